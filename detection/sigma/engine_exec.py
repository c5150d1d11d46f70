"""Run converted rules on Elasticsearch/OpenSearch: ``_msearch`` for many
rules (``EngineStore.msearch_native``), each query a Lucene query string
restricted to an arrival (``event.ingested``) or time (``@timestamp``) range.

A rule the engine refuses (a query it cannot parse, a field it cannot search
that way) must not cost the others: ``msearch_native`` raises naming the
failing query's position, so that rule is set aside (and remembered for the
life of the process, per index and query text) and its chunk re-sent without
it, instead of falling back to one search per rule.

Rules the engine cannot run (Lucene cannot say "this field equals that
field", Sigma's ``fieldref``; or the engine refuses the query: a regular
expression past its automaton limit, a query string past
``search.query.max_query_string_length``) run as SQL instead (``run_as_sql``):
the engine selects the events of their log source in the range, page by page,
and the same prepared SQL the embedded store runs decides, in memory
(``SQLiteRuleExecutor``).  So a rule matches the same events on every backend
whenever it converts for SQLite, at the price of reading its log source's
events.

Log-source prefilter: rules sharing a log source (product/category/service)
share the conditions our pipelines add for it (channel, event id, ...).  One
cheap query per log source first asks whether the range holds any such event
(``present_logsources``); rules of absent log sources are not sent at all.
"""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from detection.sigma.convert import CompiledRule
from detection.sigma.sqlite_exec import Match, SQLiteRuleExecutor
from store.base import MAX_PAGE, batched
from store.errors import QueryError
from store.query import Sort
from store.schema import get_path

# Rules per msearch_native call: a refused rule costs one re-sent chunk.
CHUNK = 50
_POSITION = re.compile(r"native query (\d+)\b")
# (index, query text) → why the engine refused it.
_REFUSED: dict[tuple[str, str], str] = {}


def rule_body(rule: CompiledRule, field: str, gte: str | None, lte: str | None) -> dict[str, Any]:
    """The rule's query, filtered to ``gte <= field <= lte``."""
    rng: dict[str, Any] = {}
    if gte:
        rng["gte"] = gte
    if lte:
        rng["lte"] = lte
    must: dict[str, Any] = ({"query_string": {"query": rule.query}}
                            if isinstance(rule.query, str) else rule.query.get("query", rule.query))
    filters = [{"range": {field: rng}}] if rng else []
    return {"bool": {"must": [must], "filter": filters}}


def _refusal_key(store: Any, rule: CompiledRule) -> tuple[str, str]:
    index = store.index_name("events") if hasattr(store, "index_name") else str(id(store))
    return index, str(rule.query)


def _msearch(store: Any, rules: list[CompiledRule], bodies: list[dict[str, Any]], size: int,
             sort: list[Sort], broken: dict[str, str]) -> list[list[Any]]:
    """Documents per rule; refused rules get ``[]`` and an entry in ``broken``."""
    results: list[list[Any]] = [[] for _ in rules]
    live = list(range(len(rules)))
    while live:
        try:
            got = store.msearch_native("events", [bodies[i] for i in live], size=size, sort=sort)
        except QueryError as exc:
            m = _POSITION.search(str(exc))
            if m is None or int(m.group(1)) >= len(live):
                return _one_by_one(store, rules, bodies, live, results, size, sort, broken)
            bad = live.pop(int(m.group(1)))
            reason = str(exc)
            broken[rules[bad].rule_id] = reason
            _REFUSED[_refusal_key(store, rules[bad])] = reason
            continue
        for i, docs in zip(live, got, strict=True):
            results[i] = docs
        break
    return results


def _one_by_one(store: Any, rules: list[CompiledRule], bodies: list[dict[str, Any]],
                live: list[int], results: list[list[Any]], size: int, sort: list[Sort],
                broken: dict[str, str]) -> list[list[Any]]:
    """Last resort when a refusal does not name its position: one search per rule."""
    for i in live:
        try:
            results[i] = store.search_native("events", bodies[i], size=size, sort=sort)
        except QueryError as exc:
            broken[rules[i].rule_id] = str(exc)
            _REFUSED[_refusal_key(store, rules[i])] = str(exc)
    return results


_FIELD_TERM = re.compile(r"[\w.@]+:")
_PROBE_CLAUSE = re.compile(r"\(?NOT _exists_:[\w.]*canhgac_logsource_probe\)?")


@functools.lru_cache(maxsize=512)
def logsource_probe(key: tuple[str | None, str | None, str | None], backend: str = "opensearch",
                    windows: str = "winlog") -> str | None:
    """The Lucene query selecting a log source's events (the conditions our
    pipelines add for it), None when it selects every event: a probe rule with
    that log source and a never-present field, converted."""
    from sigma.rule import SigmaRule

    from detection.sigma.convert import compile_rule, probe_backend

    product, category, service = key
    ls = {k: v for k, v in (("product", product), ("category", category),
                            ("service", service)) if v}
    try:
        rule = SigmaRule.from_dict({"title": "probe", "logsource": ls, "detection": {
            "probe": {"canhgac_logsource_probe": None}, "condition": "probe"}})
    except Exception:
        return None
    compiled = compile_rule(rule, "probe", backend, probe_backend(backend, windows))
    if compiled.status != "converted" or not isinstance(compiled.query, str):
        return None
    # Selects everything when no field condition is left besides the probe's own.
    return compiled.query if _FIELD_TERM.search(_PROBE_CLAUSE.sub("", compiled.query)) else None


def present_logsources(store: Any, rules: list[CompiledRule], field: str, gte: str | None,
                       lte: str | None, backend: str, windows: str) -> set[tuple] | None:
    """Log-source keys of ``rules`` with at least one event in the range (keys
    without a probe always count as present); None when the check failed."""
    keys = sorted({r.logsource for r in rules}, key=str)
    probes = {k: logsource_probe(k, backend, windows) for k in keys}
    asked = [k for k in keys if probes[k] is not None]
    present = {k for k in keys if probes[k] is None}
    if not asked:
        return present
    bodies = [rule_body(CompiledRule("probe", backend, "converted", probes[k]), field, gte, lte)
              for k in asked]
    try:
        found = store.msearch_native("events", bodies, size=1)
    except QueryError:
        return None
    return present | {k for k, docs in zip(asked, found, strict=True) if docs}


def run_rules(store: Any, rules: Iterable[CompiledRule], *, field: str = "event.ingested",
              gte: str | None = None, lte: str | None = None, size: int = MAX_PAGE,
              backend: str = "opensearch", windows: str = "winlog", prefilter: bool = True,
              ) -> tuple[list[Match], dict[str, str]]:
    """Matches of every rule in the range, and the rules that failed (id → reason).
    ``prefilter``: first drop the rules whose log source has no event in the range."""
    broken: dict[str, str] = {}
    todo: list[CompiledRule] = []
    for r in rules:
        if r.status != "converted":
            continue
        known = _REFUSED.get(_refusal_key(store, r))
        if known is not None:
            broken[r.rule_id] = known
        else:
            todo.append(r)
    if prefilter and todo:
        present = present_logsources(store, todo, field, gte, lte, backend, windows)
        if present is not None:
            todo = [r for r in todo if r.logsource in present]
    if not todo:
        return [], broken
    sort = [Sort("@timestamp", "asc")]
    out: list[Match] = []
    for start in range(0, len(todo), CHUNK):
        chunk = todo[start:start + CHUNK]
        bodies = [rule_body(r, field, gte, lte) for r in chunk]
        results = _msearch(store, chunk, bodies, size, sort, broken)
        out += [Match(r.rule_id, d.id, get_path(d.source, "@timestamp"), d.source)
                for r, docs in zip(chunk, results, strict=True) for d in docs]
    return out, broken


def run_as_sql(store: Any, rules: Iterable[CompiledRule], *, field: str = "event.ingested",
               gte: str | None = None, lte: str | None = None, backend: str = "opensearch",
               windows: str = "winlog", batch_size: int = 5000,
               ) -> tuple[list[Match], dict[str, str]]:
    """Matches of SQLite-compiled ``rules`` among the engine's events in the
    range: per log source, its events (``logsource_probe``) read page by page
    and evaluated in memory by the SQL the embedded store runs.  Returns the
    matches and the rules that failed (id → reason)."""
    groups: dict[Any, list[CompiledRule]] = defaultdict(list)
    for r in rules:
        if r.status == "converted":
            groups[r.logsource].append(r)
    rng = {k: v for k, v in (("gte", gte), ("lte", lte)) if v}
    out: list[Match] = []
    broken: dict[str, str] = {}
    for key, group in groups.items():
        probe = logsource_probe(key, backend, windows)
        query = {"bool": {"must": [{"query_string": {"query": probe}}] if probe else [],
                          "filter": [{"range": {field: rng}}] if rng else []}}
        ex = SQLiteRuleExecutor(group, windows)
        docs = (d.source for d in store.scan_native("events", query,
                                                     sort=[Sort("@timestamp", "asc")]))
        try:
            for batch in batched(docs, batch_size):
                out += ex.evaluate(batch)
        except QueryError as exc:
            broken.update((r.rule_id, str(exc)) for r in group)
        finally:
            broken.update(ex.broken)
            ex.close()
    return out, broken
