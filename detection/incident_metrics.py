"""Figures for the leaders' screen: time to acknowledge and resolve, open incidents.

MTTA is measured from an incident's creation (``created_at``: when grouping
raised it, i.e. when the centre could first know) to its first
acknowledgement (``acknowledged_at``: the first move out of ``new``); MTTR
from creation to closing (``resolved_at``: resolved or false positive).
Merged incidents are left out (their alerts count in the target).
"""

from __future__ import annotations

import statistics
from datetime import datetime
from typing import Any

from detection.incidents import CLOSED, DOMAINS, MERGED, OPEN, SEVERITIES, TriageError, ts
from store.base import Store
from store.query import Bool, Range, Term, Terms, TermsAgg
from store.schema import parse_timestamp


def _seconds(doc: dict[str, Any], end_field: str) -> float | None:
    end = doc.get(end_field)
    start = doc.get("created_at") or doc.get("@timestamp")
    if not end or not start:
        return None
    return max(0.0, (parse_timestamp(end) - parse_timestamp(start)).total_seconds())


def _stats(values: list[float]) -> dict[str, float | int | None]:
    if not values:
        return {"count": 0, "mean_seconds": None, "median_seconds": None}
    return {"count": len(values), "mean_seconds": round(statistics.fmean(values), 3),
            "median_seconds": round(statistics.median(values), 3)}


def metrics(store: Store, since: datetime | str, *, until: datetime | str | None = None,
            domain: str | None = None) -> dict[str, Any]:
    """MTTA/MTTR over incidents created in ``[since, until]`` and the incidents
    open right now by severity::

        {"since", "until", "domain", "incidents": n,
         "mtta": {"count", "mean_seconds", "median_seconds"},
         "mttr": {...}, "open_by_severity": {"critical": n, ...}, "open_total": n}
    """
    if domain is not None and domain not in DOMAINS:
        raise TriageError(f"unknown domain {domain!r}; known: {', '.join(DOMAINS)}")
    try:
        start = ts(parse_timestamp(since))
        end = ts(parse_timestamp(until)) if until is not None else None
    except ValueError as exc:
        raise TriageError(str(exc)) from None
    store.refresh("incidents")
    scope = [Term("domain", domain)] if domain else []
    created = Range("created_at", gte=start, lte=end) if end else Range("created_at", gte=start)
    query = Bool(filter=[*scope, created], must_not=[Term("status", MERGED)])
    acks: list[float] = []
    fixes: list[float] = []
    total = 0
    for hit in store.scan("incidents", query):
        total += 1
        doc = hit.source
        mtta = _seconds(doc, "acknowledged_at")
        if mtta is not None:
            acks.append(mtta)
        if doc.get("status") in CLOSED:
            mttr = _seconds(doc, "resolved_at")
            if mttr is not None:
                fixes.append(mttr)
    open_query = Bool(filter=[*scope, Terms("status", list(OPEN))])
    buckets = store.aggregate("incidents", {"s": TermsAgg("severity", size=len(SEVERITIES))},
                              open_query)["s"]
    by_severity = {s: 0 for s in reversed(SEVERITIES)}
    for bucket in buckets:
        if bucket["key"] in by_severity:
            by_severity[bucket["key"]] = bucket["count"]
    return {"since": start, "until": end, "domain": domain, "incidents": total,
            "mtta": _stats(acks), "mttr": _stats(fixes), "open_by_severity": by_severity,
            "open_total": sum(by_severity.values())}
