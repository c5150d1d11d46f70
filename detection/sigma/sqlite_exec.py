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
import re
import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import orjson

from detection.sigma.convert import SQL_TABLE, CompiledRule
from store.schema import get_path, iter_leaves
from store.sqlite.translate import column_name

RULES_PER_QUERY = 150
_SRC = "\x00canhgac_src\x00"  # where a chunk's rows come from, filled in per batch
MAX_ROWS_PER_EVENT = 16


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


def _first_values(doc: dict[str, Any], leaves: dict[str, Any], paths: list[str],
                  spaced: dict[str, Any]) -> list[Any]:
    """The values of the first of ``paths`` the event has (``leaves``: its flat
    dotted fields; ``spaced``: Windows data names with their spaces removed)."""
    for path in paths:
        value = leaves.get(path)
        if value is None:
            if spaced and path.startswith(_EVENT_DATA):
                value = spaced.get(path[len(_EVENT_DATA):])
            if value is None:
                continue
        if isinstance(value, list | bool | dict):
            return _values({"v": value}, "v")
        return [value]
    return [None]


_PROBE = "canhgac_logsource_probe"


@functools.lru_cache(maxsize=256)
def logsource_prefilter(key: tuple[str | None, str | None, str | None],
                        windows: str = "winlog") -> tuple[str, tuple[str, ...]] | None:
    """The SQL condition our pipelines add for a log source, and its fields: a
    probe rule with that log source and an always-true detection, converted."""
    from sigma.rule import SigmaRule

    from detection.sigma.convert import _backend, compile_rule

    product, category, service = key
    ls = {k: v for k, v in (("product", product), ("category", category),
                            ("service", service)) if v}
    try:
        rule = SigmaRule.from_dict({"title": "probe", "logsource": ls, "detection": {
            "probe": {_PROBE: None}, "condition": "probe"}})
    except Exception:
        return None
    compiled = compile_rule(rule, "probe", "sqlite", _backend("sqlite", windows))
    if compiled.status != "converted":
        return None
    sql = re.sub(r"[`\"]f:[^`\"]*" + _PROBE + r"[`\"] IS NULL", "1", compiled.query)
    fields = tuple(f for f in compiled.fields if not f.endswith(_PROBE))
    if sql.strip() in ("1", "(1)"):
        return None
    return sql, fields


class SQLiteRuleExecutor:
    """Evaluates compiled SQLite rules over batches of event documents."""

    def __init__(self, rules: Iterable[CompiledRule], windows: str = "winlog") -> None:
        self.rules = [r for r in rules if r.status == "converted"]
        # SQLite column names ignore case: "Payload" and "payload" share one column,
        # filled from whichever path the event has.
        groups: dict[Any, list[CompiledRule]] = defaultdict(list)
        for r in self.rules:
            groups[r.logsource].append(r)
        prefilters = {key: logsource_prefilter(key, windows) for key in groups}
        variants: dict[str, list[str]] = defaultdict(list)
        wanted = {f for r in self.rules for f in r.fields}
        wanted |= {f for pf in prefilters.values() if pf for f in pf[1]}
        for f in sorted(wanted):
            variants[f.lower()].append(f)
        self.paths = list(variants.values())
        self.fields = [v[0] for v in self.paths]
        self.conn = sqlite3.connect(":memory:", check_same_thread=False)
        self.conn.create_function("regexp", 2, _regexp, deterministic=True)
        cols = ", ".join(f'"f:{f}" TEXT COLLATE NOCASE' for f in self.fields)
        self.conn.execute(f"CREATE TEMP TABLE {SQL_TABLE} (_n INTEGER{', ' if cols else ''}{cols})")
        self._insert = (f"INSERT INTO {SQL_TABLE} VALUES (?{', ?' * len(self.fields)})")
        # Per log source: its prefilter (None: every row) and its rule chunks.
        self.groups: list[tuple[str | None, list[tuple[list[str], str]]]] = []
        for key, rules in groups.items():
            pf = prefilters[key]
            chunks = []
            for i in range(0, len(rules), RULES_PER_QUERY):
                chunk = rules[i:i + RULES_PER_QUERY]
                cols = ", ".join(f"({r.query})" for r in chunk)
                where = " OR ".join(f"({r.query})" for r in chunk)
                chunks.append(([r.rule_id for r in chunk],
                               f"SELECT _n, {cols} FROM {_SRC} WHERE {where}"))
            self.groups.append((pf[0] if pf else None, chunks))
        self.broken: dict[str, str] = {}

    def close(self) -> None:
        self.conn.close()

    def _load(self, docs: list[dict[str, Any]]) -> None:
        self.conn.execute(f"DELETE FROM {SQL_TABLE}")
        rows = []
        for n, doc in enumerate(docs):
            leaves = dict(iter_leaves(doc))
            data = get_path(doc, "winlog.event_data")
            spaced = ({k.replace(" ", ""): v for k, v in data.items() if " " in k}
                      if isinstance(data, dict) else {})
            per_field = [_first_values(doc, leaves, paths, spaced) for paths in self.paths]
            combos = itertools.islice(itertools.product(*per_field), MAX_ROWS_PER_EVENT)
            rows.extend((n, *combo) for combo in combos)
        self.conn.executemany(self._insert, rows)

    def evaluate(self, docs: list[dict[str, Any]]) -> list[Match]:
        """Every (rule, event) match among ``docs`` (event documents)."""
        if not docs or not self.rules:
            return []
        self._load(docs)
        seen: set[tuple[str, int]] = set()
        out: list[Match] = []
        for pf, chunks in self.groups:
            src = SQL_TABLE
            if pf is not None:
                # The log source's rows, selected once for all its rule chunks;
                # a log source absent from the batch costs one scan, no rule.
                self.conn.execute("DROP TABLE IF EXISTS temp.canhgac_sigma_group")
                self.conn.execute(f"CREATE TEMP TABLE canhgac_sigma_group AS "
                                  f"SELECT * FROM {SQL_TABLE} WHERE {pf}")
                if self.conn.execute("SELECT 1 FROM canhgac_sigma_group LIMIT 1").fetchone() \
                        is None:
                    continue
                src = "canhgac_sigma_group"
            for rule_ids, sql in chunks:
                try:
                    rows = self.conn.execute(sql.replace(_SRC, src, 1)).fetchall()
                except sqlite3.Error as exc:
                    rows = self._one_by_one(rule_ids, exc, src)
                for row in rows:
                    n = row[0]
                    for rid, hit in zip(rule_ids, row[1:], strict=False):
                        if hit and (rid, n) not in seen:
                            seen.add((rid, n))
                            doc = docs[n]
                            out.append(Match(rid, get_path(doc, "event.id"),
                                             get_path(doc, "@timestamp"), doc))
        return out

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


def read_events_after(path: str, after_rowid: int, limit: int) -> list[tuple[int, dict[str, Any]]]:
    """``(rowid, doc)`` of events with ``rowid > after_rowid``, oldest first."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    try:
        rows = conn.execute('SELECT rowid, doc FROM "events" WHERE rowid > ? ORDER BY rowid '
                            "LIMIT ?", (after_rowid, limit)).fetchall()
    finally:
        conn.close()
    return [(r, orjson.loads(d)) for r, d in rows]


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
