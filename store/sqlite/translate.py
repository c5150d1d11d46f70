"""The query model of ``store.query`` as SQLite SQL.

Each collection is one table: ``id``, ``version``, ``doc`` (JSON text) and a
generated column per hot field; text fields live in a companion FTS5 table
(``<name>_fts``) holding their folded words.  Every value and every JSON path
is a bound parameter: no user text is pasted into SQL.  Field names are
checked against a strict pattern before they are used in a column name.

Semantics follow Elasticsearch's (see ``store.query``): a predicate on a
multi-valued field matches when any value does, which ``json_each`` gives us
for free because it yields one row for a scalar and one per element for an
array.
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
        return f"(SELECT {fn}(value) FROM json_each(doc, ?))", [json_path(field)]

    def _values_pred(self, field: str, cond: str, params: list[Any]) -> tuple[str, list[Any]]:
        """``cond`` (over ``v``) holds for some value of ``field``."""
        if field == self.coll.id_field or field in self.coll.hot_fields:
            col, _ = self.scalar(field)
            return cond.replace("v", col), params
        sql = f"EXISTS (SELECT 1 FROM json_each(doc, ?) WHERE {cond.replace('v', 'value')})"
        return sql, [json_path(field), *params]

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
