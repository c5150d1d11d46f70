"""Alert and incident figures: alerts per day by domain, the most attacked
assets split by severity, open incidents by severity, MTTA/MTTR."""

from __future__ import annotations

from typing import Any

from api.services import optional
from api.stats.window import Window
from store.base import Store
from store.query import Bool, Query, Term, Terms, TermsAgg

SEVERITIES = ("critical", "high", "medium", "low", "informational")
OPEN = ("new", "acknowledged", "in_progress", "reopened")
ASSET_FIELDS = ("host.name", "destination.ip", "user.name")
WIDE = 500  # values per severity read in one aggregation before falling back
NOT_REPUTATION = Bool(must_not=[Term("domain", "reputation")])


def in_domains(domains: tuple[str, ...] | list[str]) -> list[Query]:
    """Filters keeping alerts/incidents to ``domains``.  Documents written before
    the domain field existed are security ones, so "security" is "not
    reputation" (one negated term: cheaper than "security or missing")."""
    if set(domains) >= {"security", "reputation"}:
        return []
    if list(domains) == ["reputation"]:
        return [Term("domain", "reputation")]
    if list(domains) == ["security"]:
        return [NOT_REPUTATION]
    return [Terms("domain", ["__none__"])]


def per_day(store: Store, window: Window, domains: tuple[str, ...]) -> dict[str, list[dict]]:
    """Alerts per bucket for each visible domain, every bucket of the window present.

    Two histograms, not one per domain: security = all - reputation.
    """
    hist = {"d": window.histogram()}
    rep = window.fill(store.aggregate(
        "alerts", hist, Bool(filter=[window.range(), Term("domain", "reputation")]))["d"])
    out: dict[str, list[dict]] = {}
    if "security" in domains:
        every = window.fill(store.aggregate("alerts", hist, window.range())["d"])
        out["security"] = [{"key": e["key"], "count": e["count"] - r["count"]}
                           for e, r in zip(every, rep, strict=True)]
    if "reputation" in domains:
        out["reputation"] = rep
    return out


Split = dict[str, dict[str, int]]  # value -> severity -> alerts


def _split(store: Store, fields: tuple[str, ...], base: list[Query], severities: tuple[str, ...],
           keys: dict[str, list[Any]] | None = None
           ) -> tuple[dict[str, Split], dict[str, Any], set[str]]:
    """Alerts per value and severity of each field: per severity one call with a
    terms aggregation per field (the store contract has no sub-aggregations).

    Returns the counts per field, the typed key of each value, and the fields
    that are incomplete (a severity had ``WIDE`` values or more, so the
    smallest may be cut).  With ``keys`` (one field) only those values count.
    """
    split: dict[str, Split] = {f: {} for f in fields}
    typed: dict[str, Any] = {}
    cut: set[str] = set()
    for sev in severities:
        q = [*base, Term("severity", sev)]
        if keys:
            (field, values), = keys.items()
            q.append(Terms(field, values))
        sizes = {f: len(keys[f]) if keys else WIDE for f in fields}
        got = store.aggregate("alerts", {f: TermsAgg(f, sizes[f]) for f in fields},
                              Bool(filter=q))
        for f in fields:
            if not keys and len(got[f]) >= WIDE:
                cut.add(f)
            for b in got[f]:
                typed[str(b["key"])] = b["key"]
                split[f].setdefault(str(b["key"]), {})[sev] = b["count"]
    return split, typed, cut


def top_assets(store: Store, window: Window, *, fields: tuple[str, ...] = ASSET_FIELDS,
               size: int = 5, severity: list[str] | None = None) -> dict[str, list[dict]]:
    """Per asset field, the values security alerts name most, each split by severity::

        {"host.name": [{"key": "web-1", "count": 12,
                        "by_severity": {"critical": 1, "high": 4, ...}}, ...], ...}

    Each severity's values are counted apart and summed, which reads every
    alert of the window once; only when a severity names ``WIDE`` values or
    more are a field's top values taken from an exact count over all
    severities and split again.  Ties: the value's text, ascending.
    """
    sevs = tuple(severity or SEVERITIES)
    base: list[Query] = [window.range(), NOT_REPUTATION]
    split, typed, cut = _split(store, fields, base, sevs)
    for field in cut:
        top = store.aggregate("alerts", {"t": TermsAgg(field, size)}, Bool(
            filter=[*base, Terms("severity", list(sevs))]))["t"]
        exact, more, _ = _split(store, (field,), base, sevs, {field: [b["key"] for b in top]})
        split[field] = exact[field]
        typed.update(more)
    out: dict[str, list[dict]] = {}
    for field in fields:
        counts = split[field]
        ranked = sorted(counts, key=lambda k: (-sum(counts[k].values()), k))[:size]
        out[field] = [{"key": typed[k], "count": sum(counts[k].values()),
                       "by_severity": {s: counts[k].get(s, 0) for s in sevs}} for k in ranked]
    return out


def open_incidents(store: Store, domains: tuple[str, ...]) -> dict[str, Any]:
    """Incidents open now: total and per severity (every severity present)."""
    q = Bool(filter=[Terms("status", OPEN), *in_domains(domains)])
    got = store.aggregate("incidents", {"s": TermsAgg("severity", len(SEVERITIES) + 5)}, q)["s"]
    by_sev = {s: 0 for s in SEVERITIES}
    for b in got:
        by_sev[str(b["key"])] = b["count"]
    return {"total": store.count("incidents", q), "by_severity": by_sev}


def response_times(store: Store, window: Window, domains: tuple[str, ...]) -> dict[str, Any]:
    """MTTA and MTTR of incidents created in the window (None without the detection room)."""
    figures = optional("detection.incident_metrics")
    if figures is None:
        return {"mtta": None, "mttr": None}
    domain = domains[0] if len(domains) == 1 else None
    got = figures.metrics(store, window.since, until=window.until, domain=domain)
    return {"mtta": got.get("mtta"), "mttr": got.get("mttr")}
