"""Run converted rules on Elasticsearch/OpenSearch: one ``_msearch`` for many
rules (``EngineStore.msearch_native``), each query a Lucene query string
restricted to an arrival (``event.ingested``) or time (``@timestamp``) range."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from detection.sigma.convert import CompiledRule
from detection.sigma.sqlite_exec import Match
from store.base import MAX_PAGE
from store.errors import QueryError
from store.query import Sort
from store.schema import get_path


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


def run_rules(store: Any, rules: Iterable[CompiledRule], *, field: str = "event.ingested",
              gte: str | None = None, lte: str | None = None,
              size: int = MAX_PAGE) -> tuple[list[Match], dict[str, str]]:
    """Matches of every rule in the range, and the rules that failed (id → reason)."""
    rules = [r for r in rules if r.status == "converted"]
    if not rules:
        return [], {}
    bodies = [rule_body(r, field, gte, lte) for r in rules]
    sort = [Sort("@timestamp", "asc")]
    broken: dict[str, str] = {}
    try:
        results = store.msearch_native("events", bodies, size=size, sort=sort)
    except QueryError:
        results = []
        for r, body in zip(rules, bodies, strict=True):
            try:
                results.append(store.search_native("events", body, size=size, sort=sort))
            except QueryError as exc:
                broken[r.rule_id] = str(exc)
                results.append([])
    out = [Match(r.rule_id, d.id, get_path(d.source, "@timestamp"), d.source)
           for r, docs in zip(rules, results, strict=True) for d in docs]
    return out, broken
