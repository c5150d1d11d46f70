"""The query model of ``store.query`` as SQLite SQL.

Each collection is one table: ``id``, ``version``, ``doc`` (JSON text) and a
generated column per hot field; text fields live in a companion FTS5 table
(``<name>_fts``) holding their folded words.  Every value and every JSON path
is a bound parameter: no user text is pasted into SQL.  Field names are
checked against a strict pattern before they are used in a column name.

Semantics follow Elasticsearch's (see ``store.query``): a predicate on a
multi-valued field matches when any value does, and a dotted field is seen
through arrays of objects (``entities.id`` holds ``a`` and ``b`` in
``{"entities": [{"id": "a"}, {"id": "b"}]}``), as the engine flattens them.
``values_source`` gives every value of a field as one ``json_each`` row.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import re
from typing import Any

from store.errors import QueryError
from store.query import (
    Bool,
    Exists,
    Ids,
    Match,
    MatchAll,
    Query,
    Range,
    Sort,
    Term,
    Terms,
    validate,
)
from store.schema import IP, TEXT, Collection, coerce, ip_key
from store.text import words


def column_name(field: str) -> str:
    """The generated column of a hot field: ``host.name`` → ``h_host_name``."""
    return "h_" + re.sub(r"[^A-Za-z0-9]", "_", field).strip("_")


def fts_column(field: str) -> str:
    return "t_" + re.sub(r"[^A-Za-z0-9]", "_", field).strip("_")


def json_path(field: str) -> str:
    """``host.name`` → ``$."host"."name"`` (field names were checked already)."""
    return "$" + "".join(f'."{part}"' for part in field.split("."))


# Per row, the dotted paths whose value is an array holding objects, as
# ``|entities|mentions.places|`` (NULL when there is none; see
# ``store.schema.object_arrays``): it tells which rows a dotted field has to
# be looked up through arrays in.
ARRAYS_COLUMN = "object_arrays"


def array_marks(paths: list[str]) -> str | None:
    """The ``ARRAYS_COLUMN`` value for a document's arrays of objects."""
    return "|" + "|".join(paths) + "|" if paths else None


# Fields of up to this many parts are walked by one json_each per array level
# (fast); deeper ones by json_tree (exact at any depth, several times slower).
MAX_SPLIT_PARTS = 5


def values_source(field: str, table: str = "") -> tuple[str, list[Any]]:
    """A table-valued ``json_each(...)`` yielding one row (``value``, ``type``)
    per value of the non-hot ``field`` of a row of ``table`` (or of the row in
    scope), seen through arrays of objects as the engine flattens them.

    ``json_each(doc, '$."a"."b"')`` yields one row for a scalar and one per
    element for an array, but nothing when ``a`` is an array: JSON paths do
    not reach through arrays.  For rows whose ``ARRAYS_COLUMN`` names a part
    of the path (``a``) the path is walked through the arrays instead; other
    rows, the common case, pay one look at that short, mostly NULL column.
    The walk's values are wrapped back into an object at the same path
    (``{"a": {"b": [values]}}``), so one ``json_each`` serves both cases and
    callers see a single table-valued source.
    """
    doc = f"{table}.doc" if table else "doc"
    marks = f"{table}.{ARRAYS_COLUMN}" if table else ARRAYS_COLUMN
    parts = field.split(".")
    path = json_path(field)
    if len(parts) == 1:  # a top-level field: json_each flattens its array itself
        return f"json_each({doc}, ?)", [path]
    prefixes = ["|" + ".".join(parts[:k]) + "|" for k in range(1, len(parts))]
    guard = " OR ".join(f"instr({marks}, ?)" for _ in prefixes)
    if len(parts) <= MAX_SPLIT_PARTS:
        walk, walk_params = _split_walk(parts, doc, marks)
    else:
        walk, walk_params = _tree_walk(parts, doc)
    wrapped = f"json(({walk}))"
    for _ in parts:
        wrapped = f"json_object(?, {wrapped})"
    source = f"json_each(CASE WHEN {guard} THEN {wrapped} ELSE {doc} END, ?)"
    return source, [*prefixes, *parts, *walk_params, path]


def _split_walk(parts: list[str], doc: str, marks: str) -> tuple[str, list[Any]]:
    """A query for the JSON array of a field's values when some inner part
    holds an array: one branch per set of parts that are arrays (a branch runs
    only when the row's marks name them all), each a chain of ``json_each``
    whose array elements (integer keys) are the next level's objects.  A part
    is an array or not in a given object, so the branches never overlap.
    Arrays directly inside arrays are flattened too (``_nested``)."""
    branches: list[str] = []
    params: list[Any] = []
    for mask in range(1, 2 ** (len(parts) - 1)):
        splits = [i for i in range(1, len(parts)) if mask >> (i - 1) & 1]
        froms, conds = [], []
        base = doc
        for k, (a, b) in enumerate(zip([0, *splits[:-1]], splits, strict=True)):
            froms.append(f"json_each({base}, ?) AS s{k}, {_nested('s', k)}")
            params.append(json_path(".".join(parts[a:b])))
            conds.append(f"typeof(s{k}.key) = 'integer' AND (s{k}.type = 'object' OR "
                         f"(s{k}.type = 'array' AND n{k}.type = 'object' "
                         f"AND instr(n{k}.fullkey, '.') = 0))")
            base = f"CASE WHEN s{k}.type = 'array' THEN n{k}.value ELSE s{k}.value END"
        leaf = len(splits)
        froms.append(f"json_each({base}, ?) AS s{leaf}, {_nested('s', leaf)}")
        params.append(json_path(".".join(parts[splits[-1]:])))
        conds.append(f"(s{leaf}.type <> 'array' OR (n{leaf}.type <> 'array' "
                     f"AND instr(n{leaf}.fullkey, '.') = 0))")
        # The row's marks first: SQLite tests them before any json_each runs.
        marks_conds = [f"instr({marks}, ?)" for _ in splits]
        params += ["|" + ".".join(parts[:end]) + "|" for end in splits]
        branches.append(
            f"SELECT CASE WHEN s{leaf}.type = 'array' THEN n{leaf}.value ELSE s{leaf}.value END "
            f"AS v FROM {', '.join(froms)} WHERE {' AND '.join([*marks_conds, *conds])}")
    return f"SELECT json_group_array(v) FROM ({' UNION ALL '.join(branches)})", params


def _nested(alias: str, k: int) -> str:
    """A ``json_tree`` (``n<k>``) into the value of ``<alias><k>`` when that is
    an array inside an array, which the engine flattens; a single dummy row
    otherwise, so the join keeps the row."""
    return f"json_tree(CASE WHEN {alias}{k}.type = 'array' THEN {alias}{k}.value ELSE '0' END) AS n{k}"


def _tree_walk(parts: list[str], doc: str) -> tuple[str, list[Any]]:
    """The same array as ``_split_walk`` by one ``json_tree`` per level, for
    fields too deep to enumerate array positions: rows whose full key has no
    "." were reached from the part's value through array indexes only (the
    value itself or, through nested arrays, its elements)."""
    froms, conds = [], []
    container = doc
    for i, _part in enumerate(parts, 1):
        froms.append(f"json_tree({container} -> ?) AS w{i}")
        conds.append(f"instr(w{i}.fullkey, '.') = 0")
        if i < len(parts):
            conds.append(f"w{i}.type = 'object'")
            container = f"w{i}.value"
    conds.append(f"w{len(parts)}.type NOT IN ('array', 'null')")
    sql = (f"SELECT json_group_array(w{len(parts)}.value) FROM {', '.join(froms)} "
           f"WHERE {' AND '.join(conds)}")
    return sql, [json_path(part) for part in parts]


class Compiler:
    """Compiles queries for one collection into ``(sql, params)``."""

    def __init__(self, coll: Collection) -> None:
        self.coll = coll
        self.table = f'"{coll.name}"'
        self.fts = f'"{coll.name}_fts"'

    # -- expressions -----------------------------------------------------------
    def scalar(self, field: str) -> tuple[str, list[Any]]:
        """An expression for a field's (first) value, used by sort and ranges
        on hot columns."""
        if field == self.coll.id_field:
            return "id", []
        if field in self.coll.hot_fields:
            return column_name(field), []
        return "json_extract(doc, ?)", [json_path(field)]

    def sort_expr(self, field: str, order: str) -> tuple[str, list[Any]]:
        """The sort key of a field: on a multi-valued field the lowest value
        ascending and the highest descending, as Elasticsearch sorts."""
        if field == self.coll.id_field or field in self.coll.hot_fields:
            return self.scalar(field)
        fn = "MIN" if order == "asc" else "MAX"
        source, params = values_source(field)
        return f"(SELECT {fn}(value) FROM {source})", params

    def _values_pred(self, field: str, cond: str, params: list[Any]) -> tuple[str, list[Any]]:
        """``cond`` (over ``v``) holds for some value of ``field``."""
        if field == self.coll.id_field or field in self.coll.hot_fields:
            col, _ = self.scalar(field)
            return cond.replace("v", col), params
        source, sparams = values_source(field)
        sql = f"EXISTS (SELECT 1 FROM {source} WHERE {cond.replace('v', 'value')})"
        return sql, [*sparams, *params]

    def _not_text(self, field: str) -> None:
        if self.coll.kind(field) == TEXT:
            raise QueryError(f"{field} is a full-text field; use match")

    # -- queries ---------------------------------------------------------------
    def where(self, query: Query | None) -> tuple[str, list[Any]]:
        if query is None:
            return "1", []
        return self._compile(validate(query))

    def _compile(self, q: Query) -> tuple[str, list[Any]]:
        match q:
            case MatchAll():
                return "1", []
            case Term(field, value):
                self._not_text(field)
                if value is None:
                    raise QueryError(f"term on {field} needs a value")
                value = coerce(self.coll, field, value)
                if self.coll.kind(field) == IP and "/" in value:
                    return self._cidr(field, [value])
                return self._values_pred(field, "v = ?", [value])
            case Terms(field, values):
                self._not_text(field)
                if not values:
                    return "0", []
                vals = [coerce(self.coll, field, v) for v in values]
                if self.coll.kind(field) == IP and any("/" in v for v in vals):
                    return self._cidr(field, vals)
                marks = ", ".join("?" * len(vals))
                return self._values_pred(field, f"v IN ({marks})", vals)
            case Range(field):
                self._not_text(field)
                is_ip = self.coll.kind(field) == IP
                conds, vals = [], []
                for op, bound in (("gte", ">="), ("gt", ">"), ("lte", "<="), ("lt", "<")):
                    value = getattr(q, op)
                    if value is not None:
                        value = coerce(self.coll, field, value)
                        if is_ip:  # compare as addresses, not as text
                            if "/" in value:
                                raise QueryError(f"range on {field} takes addresses, not blocks")
                            conds.append(f"canhgac_ip(v) {bound} ?")
                            vals.append(ip_key(value))
                            continue
                        conds.append(f"v {bound} ?")
                        vals.append(value)
                if not conds:
                    return self._values_pred(field, "v IS NOT NULL", [])
                return self._values_pred(field, " AND ".join(conds), vals)
            case Exists(field):
                return self._values_pred(field, "v IS NOT NULL", [])
            case Ids(values):
                if not values:
                    return "0", []
                return f"id IN ({', '.join('?' * len(values))})", list(values)
            case Match():
                return self._match(q)
            case Bool():
                return self._bool(q)
        raise QueryError(f"not a query: {q!r}")

    def _cidr(self, field: str, blocks: list[str]) -> tuple[str, list[Any]]:
        """Addresses inside any of ``blocks`` (plain addresses are /32 or /128)."""
        conds, vals = [], []
        for block in blocks:
            net = ipaddress.ip_network(block, strict=False)
            conds.append("canhgac_ip(v) BETWEEN ? AND ?")
            vals += [ip_key(net.network_address), ip_key(net.broadcast_address)]
        return self._values_pred(field, "(" + " OR ".join(conds) + ")", vals)

    def _match(self, q: Match) -> tuple[str, list[Any]]:
        if not self.coll.text_fields:
            raise QueryError(f"{self.coll.name} has no full-text fields")
        if q.field is not None and q.field not in self.coll.text_fields:
            raise QueryError(
                f"{q.field} is not a full-text field of {self.coll.name}; "
                f"those are {', '.join(self.coll.text_fields)}"
            )
        tokens = words(q.text)
        if not tokens:
            return "0", []
        # Each folded word is quoted, so FTS5 operators in user text are inert.
        expr = ('"' + " ".join(tokens) + '"') if q.phrase else " ".join(f'"{t}"' for t in tokens)
        if q.field is not None:
            expr = f"{fts_column(q.field)} : ({expr})"
        return f"rowid IN (SELECT rowid FROM {self.fts} WHERE {self.fts} MATCH ?)", [expr]

    def _bool(self, q: Bool) -> tuple[str, list[Any]]:
        parts: list[str] = []
        params: list[Any] = []
        for clause in (*q.must, *q.filter):
            sql, p = self._compile(clause)
            parts.append(f"({sql})")
            params += p
        if q.should:
            ors = []
            for clause in q.should:
                sql, p = self._compile(clause)
                ors.append(f"({sql})")
                params += p
            parts.append("(" + " OR ".join(ors) + ")")
        for clause in q.must_not:
            sql, p = self._compile(clause)
            # COALESCE: a missing field makes the predicate NULL, and NOT NULL
            # would drop the row; Elasticsearch keeps it.
            parts.append(f"NOT COALESCE(({sql}), 0)")
            params += p
        if not parts:
            return "1", []
        return " AND ".join(parts), params

    # -- sort and cursors ------------------------------------------------------
    def order(self, sort: list[Sort] | None) -> tuple[list[tuple[str, list[Any], str]], str, list]:
        """Sort atoms ``(expr, params, dir)`` (missing values last, id last)
        and the ORDER BY clause with its params."""
        atoms: list[tuple[str, list[Any], str]] = []
        id_order = "asc"
        for s in sort or []:
            if s.field == self.coll.id_field:
                id_order = s.order  # ids are unique: nothing after it matters
                break
            self._not_text(s.field)
            expr, p = self.sort_expr(s.field, s.order)
            atoms.append((f"({expr} IS NULL)", p, "asc"))
            atoms.append((expr, p, s.order))
        atoms.append(("id", [], id_order))
        clause = ", ".join(f"{e} {d.upper()}" for e, _, d in atoms)
        params = [x for _, p, _ in atoms for x in p]
        return atoms, clause, params

    @staticmethod
    def after(atoms: list[tuple[str, list[Any], str]], values: list[Any]) -> tuple[str, list]:
        """Rows strictly after ``values`` in the order ``atoms`` describe."""
        if len(values) != len(atoms):
            raise QueryError("cursor does not fit this sort")
        ors, params = [], []
        for i, (expr, p, direction) in enumerate(atoms):
            if values[i] is None:  # the value atom of a missing field: all equal
                continue
            conds, cp = [], []
            for j in range(i):
                if values[j] is None:
                    continue
                e, pj, _ = atoms[j]
                conds.append(f"{e} = ?")
                cp += [*pj, values[j]]
            op = ">" if direction == "asc" else "<"
            conds.append(f"{expr} {op} ?")
            cp += [*p, values[i]]
            ors.append("(" + " AND ".join(conds) + ")")
            params += cp
        return "(" + " OR ".join(ors) + ")", params


def encode_cursor(values: list[Any]) -> str:
    raw = json.dumps(values, separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode("ascii")


def decode_cursor(cursor: str) -> list[Any]:
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor.encode("ascii")))
    except (ValueError, UnicodeError) as exc:
        raise QueryError("invalid cursor") from exc
    if not isinstance(values, list):
        raise QueryError("invalid cursor")
    return values
