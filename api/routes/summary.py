"""The leader's one screen: counts and trends over a window, with the
previous window of the same length for week-over-week changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import Query, Request
from pydantic import Field

from api.context import ctx
from api.models import Strict
from api.queries import ts
from api.routes.articles import story_cards
from api.routes.common import domain_is
from api.services import optional
from store.query import Avg, Bool, DateHistogram, Range, Term, Terms, TermsAgg

OPEN = ("new", "acknowledged", "in_progress", "reopened")
LOCAL_OFFSET = "+07:00"  # days start at midnight in Cần Thơ


class SummaryQuery(Strict):
    days: int = Field(default=7, ge=1, le=90, description="window length; compared with the one before")


def _change(now: float | int | None, before: float | int | None) -> dict[str, Any]:
    pct = None
    if now is not None and before:
        pct = round((now - before) * 100.0 / before, 1)
    return {"current": now, "previous": before, "change_pct": pct}


def _sentiment_index(avg: float | None) -> float | None:
    """Mean sentiment score (-1..1) as an index (-100..100)."""
    return None if avg is None else round(avg * 100, 1)


def summary(request: Request, p: Annotated[SummaryQuery, Query()]) -> dict[str, Any]:
    """Open incidents by severity, MTTA/MTTR, alerts per day (security vs
    reputation), sentiment index, top stories, top entities, week over week."""
    st = ctx(request).store
    now = datetime.now(UTC)
    since, prev = now - timedelta(days=p.days), now - timedelta(days=2 * p.days)
    this_w, last_w = (Range("@timestamp", gte=ts(since), lt=ts(now)),
                      Range("@timestamp", gte=ts(prev), lt=ts(since)))

    open_q = Terms("status", OPEN)
    by_sev = st.aggregate("incidents", {"s": TermsAgg("severity", 10)}, open_q)["s"]
    # Two histograms, not one per domain with a "missing means security" clause:
    # security = all - reputation (alerts without a domain count as security).
    day = {"d": DateHistogram("@timestamp", "1d", LOCAL_OFFSET)}
    every = st.aggregate("alerts", day, this_w)["d"]
    rep = {b["key"]: b["count"] for b in st.aggregate(
        "alerts", day, Bool(filter=[this_w, domain_is("reputation")]))["d"]}
    per_day = {"security": [{"key": b["key"], "count": b["count"] - rep.get(b["key"], 0)}
                            for b in every],
               "reputation": [{"key": b["key"], "count": rep.get(b["key"], 0)} for b in every]}
    art_now = st.aggregate("articles", {"avg": Avg("sentiment.score"),
                                        "stories": TermsAgg("story_id", 5),
                                        "entities": TermsAgg("entities.id", 10)}, this_w)
    art_prev = st.aggregate("articles", {"avg": Avg("sentiment.score")}, last_w)
    neg = Term("sentiment.label", "negative")

    def counts(window: Range) -> dict[str, int]:
        return {"alerts": st.count("alerts", window),
                "incidents": st.count("incidents", window),
                "articles": st.count("articles", window),
                "negative_articles": st.count("articles", Bool(filter=[window, neg]))}

    cur, old = counts(this_w), counts(last_w)
    figures = optional("detection.incident_metrics")
    times = figures.metrics(st, since, until=now) if figures is not None else {}
    return {
        "window": {"since": ts(since), "until": ts(now), "days": p.days},
        "open_incidents": {"total": st.count("incidents", open_q),
                           "by_severity": {b["key"]: b["count"] for b in by_sev}},
        "mtta": times.get("mtta"), "mttr": times.get("mttr"),
        "alerts_per_day": per_day,
        "sentiment_index": _change(_sentiment_index(art_now["avg"]),
                                   _sentiment_index(art_prev["avg"])),
        "top_stories": story_cards(st, art_now["stories"]),
        "top_entities": art_now["entities"],
        "week_over_week": {k: _change(cur[k], old[k]) for k in cur},
    }
