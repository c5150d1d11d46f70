"""Run converted rules over the SQLite store in few passes.

Why by hand: pySigma's SQLite backend expects one flat column per field
(Zircolite's layout); our events table holds JSON documents.  So each batch of
events is flattened once, in Python, into a TEMP table of this executor's own
connection (columns ``f:<ecs.path>`` declared ``TEXT COLLATE NOCASE`` as
Zircolite does, so Sigma's case-insensitive equality holds).  Per log
source, its rows are copied once into a group table (our pipelines' log-source
condition, ``logsource_prefilter``; a log source absent from the batch runs no
rule), and its rules are evaluated 150 to a ``SELECT`` over that table, one
boolean column per rule.  A multi-valued field (a list) yields one flat row per value, so
"any value matches" holds as on the engine.  ``REGEXP`` is registered here.

The events are read by ``rowid``: SQLite hands out increasing rowids in
commit order, so ``rowid > checkpoint`` is exactly "arrived since".
"""

from __future__ import annotations

import functools
import itertools
import os
import re
import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import orjson

from detection.sigma.convert import SQL_TABLE, CompiledRule
from detection.sigma.prefilter import LiteralMatcher, ahocorasick
from store.schema import get_path
from store.sqlite.translate import column_name

RULES_PER_QUERY = 150
MAX_ROWS_PER_EVENT = 16
MAX_INSERT_SHAPES = 64  # distinct sets of filled columns per batch, else full rows


@dataclass(frozen=True)
class Match:
    """One event a rule matched."""

    rule_id: str
    event_id: str
    timestamp: str | None
    source: dict[str, Any]
    # A referenced correlation's firing, seen as a match by the correlation that
    # chains it: the base-rule matches that made it fire (``correlation.as_match``).
    parts: tuple[Match, ...] = ()


@functools.lru_cache(maxsize=4096)
def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _regexp(pattern: str, value: Any) -> bool:
    if value is None:
        return False
    try:
        return _regex(pattern).search(str(value)) is not None
    except re.error:
        return False


_EVENT_DATA = "winlog.event_data."


def _values(doc: dict[str, Any], path: str) -> list[Any]:
    """A field's values as flat-table cells (a list gives one cell per value)."""
    value = get_path(doc, path)
    if isinstance(value, list):
        return [orjson.dumps(v).decode() if isinstance(v, dict) else v for v in value] or [None]
    if isinstance(value, dict):
        return [orjson.dumps(value).decode()]
    if isinstance(value, bool):
        return ["true" if value else "false"]
    return [value]


def _wanted_leaves(doc: dict[str, Any], wanted: dict[str, Any], prefixes: set[str],
                   prefix: str = "") -> Iterator[tuple[str, Any]]:
    """The event's leaves at paths a column reads (``wanted``).

    A subtree no column reads is not walked (events carry far more than the
    rules read: ``event.original``, the collector's own fields); a list of
    objects is looked through as the engines do (``dns.answers.data`` over a
    list of answers), its values one multi-valued leaf."""
    for key, value in doc.items():
        path = prefix + key
        if isinstance(value, dict):
            if path in prefixes:
                yield from _wanted_leaves(value, wanted, prefixes, path + ".")
        elif path in wanted:
            yield path, value
        elif isinstance(value, list) and path in prefixes:
            through: dict[str, list[Any]] = defaultdict(list)
            for item in value:
                if isinstance(item, dict):
                    for sub, v in _wanted_leaves(item, wanted, prefixes, path + "."):
                        if isinstance(v, list):
                            through[sub].extend(x for x in v if x is not None)
                        elif v is not None:
                            through[sub].append(v)
            yield from through.items()


def _scan_values(per_field: Iterable[Iterable[Any]], float_text: Any) -> list[str]:
    """An event's cell values as text for the literal prefilter; a float as
    SQLite writes it into a TEXT column (``float_text``, what ``LIKE`` and
    ``REGEXP`` read), which Python's ``str`` does not always match."""
    out = []
    for values in per_field:
        for v in values:
            if v is None:
                continue
            if isinstance(v, str):
                out.append(v)
            elif isinstance(v, float):
                v = float_text(v)
                if v is not None:
                    out.append(v)
            else:
                out.append(str(v))
    return out


_PROBE = "canhgac_logsource_probe"
_KEYS = "canhgac_sigma_keys"  # the distinct log-source keys of a batch


@functools.lru_cache(maxsize=256)
def logsource_prefilter(key: tuple[str | None, str | None, str | None],
                        windows: str = "winlog") -> tuple[str, tuple[str, ...]] | None:
    """The SQL condition our pipelines add for a log source, and its fields: a
    probe rule with that log source and an always-true detection, converted."""
    from sigma.rule import SigmaRule

    from detection.sigma.convert import compile_rule, probe_backend

    product, category, service = key
    ls = {k: v for k, v in (("product", product), ("category", category),
                            ("service", service)) if v}
    try:
        rule = SigmaRule.from_dict({"title": "probe", "logsource": ls, "detection": {
            "probe": {_PROBE: None}, "condition": "probe"}})
    except Exception:
        return None
    compiled = compile_rule(rule, "probe", "sqlite", probe_backend("sqlite", windows))
    if compiled.status != "converted":
        return None
    sql = re.sub(r"[`\"]f:[^`\"]*" + _PROBE + r"[`\"] IS NULL", "1", compiled.query)
    fields = tuple(f for f in compiled.fields if not f.endswith(_PROBE))
    if sql.strip() in ("1", "(1)"):
        return None
    return sql, fields


@dataclass
class _Group:
    """One log source's rules: its row filter, the chunks of rules run on every
    row, and the prefiltered rules run on their candidate events only."""

    prefilter: str | None
    table: str
    chunks: list[tuple[list[tuple[str, tuple[int, int, int]]], str]]
    filtered: list[tuple[int, str, tuple[int, int, int], str]]


class SQLiteRuleExecutor:
    """Evaluates compiled SQLite rules over batches of event documents."""

    def __init__(self, rules: Iterable[CompiledRule], windows: str = "winlog",
                 prefilter: bool | None = None,
                 logsources: dict[Any, tuple[str, tuple[str, ...]] | None] | None = None,
                 ) -> None:
        """``prefilter``: run rules on their candidate events only (default: on,
        unless ``$CANHGAC_SIGMA_PREFILTER`` is ``off``; always off without
        pyahocorasick).  ``logsources``: ``logsource_prefilter`` of the rules'
        log sources when the caller has them (a pool's workers get the
        parent's instead of converting a probe each)."""
        self.rules = [r for r in rules if r.status == "converted"]
        # SQLite column names ignore case: "Payload" and "payload" share one column,
        # filled from whichever path the event has.
        groups: dict[Any, list[CompiledRule]] = defaultdict(list)
        for r in self.rules:
            groups[r.logsource].append(r)
        known = logsources or {}
        prefilters = {key: known[key] if key in known else logsource_prefilter(key, windows)
                      for key in groups}
        variants: dict[str, list[str]] = defaultdict(list)
        wanted = {f for r in self.rules for f in r.fields}
        wanted |= {f for pf in prefilters.values() if pf for f in pf[1]}
        for f in sorted(wanted):
            variants[f.lower()].append(f)
        self.paths = list(variants.values())
        self.fields = [v[0] for v in self.paths]
        # Per event path, its column and rank among the column's paths; per
        # Windows data name (spaces removed), the same for ``winlog.event_data.*``.
        self._col_of: dict[str, tuple[int, int]] = {}
        self._spaced_of: dict[str, list[tuple[int, int]]] = defaultdict(list)
        self._prefixes = {p.rsplit(".", i)[0] for paths in self.paths for p in paths
                          for i in range(1, p.count(".") + 1)}
        for col, paths in enumerate(self.paths):
            for rank, path in enumerate(paths):
                self._col_of.setdefault(path, (col, rank))
                if path.startswith(_EVENT_DATA):
                    self._spaced_of[path[len(_EVENT_DATA):]].append((col, rank))
        # Every rule's statement is prepared once and reused batch after batch.
        self.conn = sqlite3.connect(":memory:", check_same_thread=False,
                                    cached_statements=len(self.rules) + 256)
        self.conn.create_function("regexp", 2, _regexp, deterministic=True)
        cols = ", ".join(f'"f:{f}" TEXT COLLATE NOCASE' for f in self.fields)
        self.conn.execute(f"CREATE TEMP TABLE {SQL_TABLE} (_n INTEGER{', ' if cols else ''}{cols})")
        self._insert = (f"INSERT INTO {SQL_TABLE} VALUES (?{', ?' * len(self.fields)})")
        self._columns = ["_n", *(f'"f:{f}"' for f in self.fields)]
        self._inserts: dict[tuple[int, ...], str] = {}
        if prefilter is None:
            prefilter = os.environ.get("CANHGAC_SIGMA_PREFILTER", "on").lower() not in (
                "off", "0", "no", "false")
        use_prefilter = prefilter and ahocorasick is not None
        self.prefiltered = 0  # how many rules run on their candidate events only
        filtered_clauses: list[tuple[int, tuple[tuple[str, ...], ...]]] = []
        self.groups: list[_Group] = []
        self._invalid: dict[str, str] = {}
        for g, (key, grules) in enumerate(groups.items()):
            pf = prefilters[key]
            table = SQL_TABLE
            if pf is not None:
                # The log source's rows, copied once per batch for all its rules
                # (a table kept from batch to batch, so prepared statements stay valid).
                table = f"canhgac_sigma_group_{g}"
                self.conn.execute(f"CREATE TEMP TABLE {table} AS SELECT * FROM {SQL_TABLE} "
                                  "WHERE 0")
                self.conn.execute(f"CREATE INDEX temp.{table}_n ON {table} (_n)")
            # Order of the matches, as when every rule ran 150 to a SELECT:
            # (group, chunk, event, place in chunk).
            order = {r.rule_id: (g, i // RULES_PER_QUERY, i % RULES_PER_QUERY)
                     for i, r in enumerate(grules)}
            always = [r for r in grules if not (use_prefilter and r.clauses)]
            chunks = []
            for i in range(0, len(always), RULES_PER_QUERY):
                chunk = always[i:i + RULES_PER_QUERY]
                cols = ", ".join(f"({r.query})" for r in chunk)
                where = " OR ".join(f"({r.query})" for r in chunk)
                chunks.append(([(r.rule_id, order[r.rule_id]) for r in chunk],
                               f"SELECT _n, {cols} FROM {table} WHERE {where}"))
            filtered = []
            for r in grules:
                if not (use_prefilter and r.clauses):
                    continue
                idx = len(filtered_clauses)
                filtered_clauses.append((idx, r.clauses))
                sql = (f"SELECT DISTINCT _n FROM {table} WHERE _n IN "
                       f"(SELECT value FROM json_each(?)) AND ({r.query})")
                try:  # prepared now (and cached): a broken rule is known before a batch
                    self.conn.execute(sql, ("[]",)).fetchall()
                except sqlite3.Error as exc:
                    self._invalid[r.rule_id] = str(exc)
                filtered.append((idx, r.rule_id, order[r.rule_id], sql))
            self.prefiltered += len(filtered)
            self.groups.append(_Group(pf[0] if pf else None, table, chunks, filtered))
        # The log-source conditions read a handful of columns (the channel, the
        # event id…) whose values repeat across a batch: they are evaluated once
        # per distinct combination, in a small table of those columns alone.
        key_fields = sorted({f.lower() for pf in prefilters.values() if pf for f in pf[1]})
        self._key_cols = [self.fields.index(variants[f][0]) for f in key_fields]
        if self._key_cols:
            key_decl = ", ".join(f'"f:{self.fields[c]}" TEXT COLLATE NOCASE'
                                 for c in self._key_cols)
            self.conn.execute(f"CREATE TEMP TABLE {_KEYS} (_k INTEGER, {key_decl})")
        self._matcher = LiteralMatcher(filtered_clauses) if filtered_clauses else None
        self._scanned: list[list[str]] = []  # per event, its values for the prefilter
        self._floats: dict[str, str | None] = {}
        self.broken: dict[str, str] = {}

    def close(self) -> None:
        self.conn.close()

    def _load(self, docs: list[dict[str, Any]]) -> None:
        self.conn.execute(f"DELETE FROM {SQL_TABLE}")
        shapes: dict[tuple[int, ...], list[tuple[Any, ...]]] = defaultdict(list)
        scanned: list[list[str]] = []
        scan = self._matcher is not None
        width = len(self.fields)
        col_of, spaced_of = self._col_of, self._spaced_of
        prefixes = self._prefixes
        for n, doc in enumerate(docs):
            leaves = dict(_wanted_leaves(doc, col_of, prefixes))
            data = get_path(doc, "winlog.event_data")
            spaced = ({k.replace(" ", ""): v for k, v in data.items() if " " in k}
                      if isinstance(data, dict) else {})
            # Walk the event's own fields, not every column: per column, the value
            # of its first path the event has (the leaf before its spaceless
            # Windows data name at the same rank); a list gives one cell per value.
            best: dict[int, tuple[tuple[int, int], Any]] = {}
            for path, value in leaves.items():
                hit = col_of.get(path)
                if hit is not None and value is not None:
                    col, rank = hit
                    if col not in best or (rank, 0) < best[col][0]:
                        best[col] = ((rank, 0), value)
            for name, value in spaced.items():
                if value is None:
                    continue
                for col, rank in spaced_of.get(name, ()):
                    if col not in best or (rank, 1) < best[col][0]:
                        best[col] = ((rank, 1), value)
            cells: dict[int, Any] = {}
            multi = False
            for col, (_key, value) in best.items():
                if isinstance(value, list | bool | dict):
                    vals = _values({"v": value}, "v")
                    if len(vals) > 1:
                        cells[col] = vals
                        multi = True
                    elif vals[0] is not None:
                        cells[col] = vals[0]
                else:
                    cells[col] = value
            if multi:
                per_field: list[list[Any]] = [[None]] * width
                for col, value in cells.items():
                    per_field[col] = value if isinstance(value, list) else [value]
                combos = itertools.islice(itertools.product(*per_field), MAX_ROWS_PER_EVENT)
                for combo in combos:
                    cols = tuple(i for i, v in enumerate(combo) if v is not None)
                    shapes[cols].append((n, *(combo[i] for i in cols)))
                if scan:
                    scanned.append(_scan_values(per_field, self._float_text))
            else:
                cols = tuple(sorted(cells))
                shapes[cols].append((n, *(cells[i] for i in cols)))
                if scan:
                    scanned.append(_scan_values([cells.values()], self._float_text))
        self._insert_rows(shapes)
        self._scanned = scanned

    def _insert_rows(self, shapes: dict[tuple[int, ...], list[tuple[Any, ...]]]) -> None:
        """Insert flat rows naming only the columns each fills (``shapes``: the
        rows, ``_n`` first, by the columns they fill): an event fills a few
        dozen of the hundreds of columns, and binding the NULLs dominated."""
        if len(shapes) > MAX_INSERT_SHAPES:  # too varied: statements would churn
            rows = []
            for cols, values in shapes.items():
                for row in values:
                    full: list[Any] = [row[0], *([None] * len(self.fields))]
                    for i, v in zip(cols, row[1:], strict=True):
                        full[i + 1] = v
                    rows.append(full)
            rows.sort(key=lambda r: r[0])
            self.conn.executemany(self._insert, rows)
            return
        for cols, values in shapes.items():
            sql = self._inserts.get(cols)
            if sql is None:
                names = ", ".join(["_n", *(self._columns[i + 1] for i in cols)])
                sql = self._inserts[cols] = (f"INSERT INTO {SQL_TABLE} ({names}) VALUES "
                                             f"({', '.join('?' * (len(cols) + 1))})")
            self.conn.executemany(sql, values)

    def _float_text(self, value: float) -> str | None:
        """A float as a TEXT column holds it (SQLite's own formatting), cached."""
        key = repr(value)
        if key not in self._floats:
            if len(self._floats) > 100_000:
                self._floats.clear()
            self._floats[key] = self.conn.execute("SELECT CAST(? AS TEXT)",
                                                  (value,)).fetchone()[0]
        return self._floats[key]

    def _members(self) -> dict[int, list[int]]:
        """Per group with a log-source condition, the flat rows meeting it.

        The conditions are evaluated once per distinct combination of the
        columns they read (a few per batch: channel, event id, provider), all
        of them in one scan of that small table, a column each; each row then
        takes the answer of its combination."""
        out: dict[int, list[int]] = defaultdict(list)
        todo = [(g, grp.prefilter) for g, grp in enumerate(self.groups)
                if grp.prefilter is not None]
        if not todo:
            return out
        names = ", ".join(self._columns[c + 1] for c in self._key_cols)
        rows_of: dict[tuple[Any, ...], list[int]] = defaultdict(list)
        for rowid, *key in self.conn.execute(f"SELECT rowid, {names} FROM {SQL_TABLE}"):
            rows_of[tuple(key)].append(rowid)
        keys = list(rows_of)
        self.conn.execute(f"DELETE FROM {_KEYS}")
        self.conn.executemany(f"INSERT INTO {_KEYS} VALUES (?{', ?' * len(self._key_cols)})",
                              [(k, *key) for k, key in enumerate(keys)])
        for i in range(0, len(todo), RULES_PER_QUERY):
            part = todo[i:i + RULES_PER_QUERY]
            cols = ", ".join(f"({pf})" for _g, pf in part)
            where = " OR ".join(f"({pf})" for _g, pf in part)
            for row in self.conn.execute(f"SELECT _k, {cols} FROM {_KEYS} WHERE {where}"):
                rowids = rows_of[keys[row[0]]]
                for (g, _pf), hit in zip(part, row[1:], strict=True):
                    if hit:
                        out[g].extend(rowids)
        for rowids in out.values():
            rowids.sort()
        return out

    def _candidates(self, count: int) -> dict[int, list[int]]:
        """Per prefiltered rule, the events (batch positions) that hold a literal
        of each of its clauses."""
        out: dict[int, list[int]] = defaultdict(list)
        if self._matcher is None:
            return out
        for n, values in enumerate(self._scanned[:count]):
            for idx in self._matcher.candidates(values):
                out[idx].append(n)
        self._matcher.reanchor()
        return out

    def evaluate(self, docs: list[dict[str, Any]]) -> list[Match]:
        """Every (rule, event) match among ``docs`` (event documents)."""
        return matches_of(docs, self.positions(docs))

    def positions(self, docs: list[dict[str, Any]]) -> list[tuple[str, int]]:
        """Every match among ``docs`` as (rule id, position in ``docs``), in
        the order ``evaluate`` gives them."""
        if not docs or not self.rules:
            return []
        self._load(docs)
        candidates = self._candidates(len(docs))
        seen: set[tuple[str, int]] = set()
        hits: list[tuple[tuple[int, int, int, int], str, int]] = []
        members = self._members()
        for g, grp in enumerate(self.groups):
            if grp.prefilter is not None:
                # The log source's rows; one absent from the batch runs no rule.
                self.conn.execute(f"DELETE FROM {grp.table}")
                if not members.get(g):
                    continue
                self.conn.execute(f"INSERT INTO {grp.table} SELECT * FROM {SQL_TABLE} WHERE "
                                  "rowid IN (SELECT value FROM json_each(?))",
                                  (f"[{','.join(map(str, members[g]))}]",))
            for chunk, sql in grp.chunks:
                rule_ids = [rid for rid, _ in chunk]
                try:
                    rows = self.conn.execute(sql).fetchall()
                except sqlite3.Error as exc:
                    rows = self._one_by_one(rule_ids, exc, grp.table)
                for row in rows:
                    n = row[0]
                    for (rid, (g, c, p)), hit in zip(chunk, row[1:], strict=False):
                        if hit and (rid, n) not in seen:
                            seen.add((rid, n))
                            hits.append(((g, c, n, p), rid, n))
            for idx, rid, (g, c, p), sql in grp.filtered:
                if rid in self._invalid:
                    self.broken[rid] = self._invalid[rid]
                    continue
                cands = candidates.get(idx)
                if not cands:
                    continue
                try:
                    rows = self.conn.execute(sql, (f"[{','.join(map(str, cands))}]",)).fetchall()
                except sqlite3.Error as exc:
                    self.broken[rid] = str(exc)
                    continue
                for (n,) in rows:
                    if (rid, n) not in seen:
                        seen.add((rid, n))
                        hits.append(((g, c, n, p), rid, n))
        hits.sort(key=lambda h: h[0])
        return [(rid, n) for _key, rid, n in hits]

    def _one_by_one(self, rule_ids: list[str], exc: sqlite3.Error,
                    src: str = SQL_TABLE) -> list[tuple]:
        """A chunk failed: run its rules alone, record the broken ones."""
        by_id = {r.rule_id: r for r in self.rules}
        hits: dict[int, list[int]] = defaultdict(lambda: [0] * len(rule_ids))
        for i, rid in enumerate(rule_ids):
            if rid in self.broken:
                continue
            try:
                for (n,) in self.conn.execute(
                        f"SELECT _n FROM {src} WHERE {by_id[rid].query}"):
                    hits[n][i] = 1
            except sqlite3.Error as e:
                self.broken[rid] = str(e)
        return [(n, *flags) for n, flags in hits.items()]


def matches_of(docs: list[dict[str, Any]], positions: Iterable[tuple[str, int]]) -> list[Match]:
    """(rule id, position in ``docs``) pairs as matches."""
    out = []
    for rid, n in positions:
        doc = docs[n]
        out.append(Match(rid, get_path(doc, "event.id"), get_path(doc, "@timestamp"), doc))
    return out


def last_rowid(path: str) -> int:
    """The highest event rowid (0 when empty): ``last_rowid - checkpoint`` is
    how many events wait, since rowids only grow."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    try:
        return int(conn.execute('SELECT max(rowid) FROM "events"').fetchone()[0] or 0)
    finally:
        conn.close()


def read_raw_after(path: str, after_rowid: int, limit: int) -> list[tuple[int, str]]:
    """``(rowid, JSON text)`` of events with ``rowid > after_rowid``, oldest first."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    try:
        return conn.execute('SELECT rowid, doc FROM "events" WHERE rowid > ? ORDER BY rowid '
                            "LIMIT ?", (after_rowid, limit)).fetchall()
    finally:
        conn.close()


def read_events_after(path: str, after_rowid: int, limit: int) -> list[tuple[int, dict[str, Any]]]:
    """``(rowid, doc)`` of events with ``rowid > after_rowid``, oldest first."""
    return [(r, orjson.loads(d)) for r, d in read_raw_after(path, after_rowid, limit)]


def read_events_in_time(path: str, gte: str, lte: str, max_rowid: int,
                        limit: int) -> Iterator[list[dict[str, Any]]]:
    """Batches of at most ``limit`` event documents with ``gte <= @timestamp <=
    lte`` (the store's indexed ``@timestamp`` column, canonical text form) and
    ``rowid <= max_rowid``: the events a pass did not read itself.  The rowids
    come from the index first, then the documents by rowid, so a narrow time
    range never walks the whole table."""
    if max_rowid <= 0:
        return
    col = column_name("@timestamp")
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    try:
        ids = sorted(r for (r,) in conn.execute(
            f'SELECT rowid FROM "events" WHERE {col} >= ? AND {col} <= ? AND rowid <= ?',
            (gte, lte, max_rowid)))
        for i in range(0, len(ids), limit):
            chunk = ids[i:i + limit]
            rows = conn.execute(f'SELECT doc FROM "events" WHERE rowid IN '
                                f'({",".join("?" * len(chunk))}) ORDER BY rowid', chunk).fetchall()
            yield [orjson.loads(d) for (d,) in rows]
    finally:
        conn.close()
