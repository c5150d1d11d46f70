"""The one-screen overview, cut to the domains the caller may see.

Leaders and administrators get both halves; a SOC analyst the security half
(open security incidents, MTTA/MTTR, security alerts per day, top attacked
assets); communications staff the reputation half (reputation incidents and
alerts, sentiment index and its series, top stories, top entities).  The
leader's ``/summary`` is this overview over both domains.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from api.stats import alerts, articles
from api.stats.window import Window, bucket_start
from store.base import Store
from store.query import Bool, Term, TermsAgg

TOP = 5


def _change(now: int, before: int) -> dict[str, Any]:
    pct = round((now - before) * 100.0 / before, 1) if before else None
    return {"current": now, "previous": before, "change_pct": pct}


def overview(store: Store, domains: tuple[str, ...], *, days: int,
             now: datetime) -> dict[str, Any]:
    """Open incidents, response times, alerts per day, week-over-week changes
    and the visible domains' own figures over the last ``days`` days.

    Counts and changes use rolling windows (``days`` x 24 h against the same
    length before); the daily series cover ``days`` whole local days, today
    included.
    """
    rolling = Window(now - timedelta(days=days), now)
    daily = Window(bucket_start(now, "1d") - timedelta(days=days - 1), now)
    scope = alerts.in_domains(domains)
    out: dict[str, Any] = {
        "window": {**rolling.as_dict(), "days": days},
        "domains": list(domains),
        "open_incidents": alerts.open_incidents(store, domains),
        **alerts.response_times(store, rolling, domains),
        "alerts_per_day": alerts.per_day(store, daily, domains),
    }

    def count(name: str, w: Window, *more: Any) -> int:
        return store.count(name, Bool(filter=[w.range(), *more]))

    wow = {name: _change(count(name, rolling, *scope), count(name, rolling.previous, *scope))
           for name in ("alerts", "incidents")}
    if "reputation" in domains:
        neg = Term("sentiment.label", "negative")
        wow["articles"] = _change(count("articles", rolling), count("articles", rolling.previous))
        wow["negative_articles"] = _change(count("articles", rolling, neg),
                                           count("articles", rolling.previous, neg))
        tops = store.aggregate("articles", {"stories": TermsAgg("story_id", TOP),
                                            "entities": TermsAgg("entities_ids", 10)},
                               rolling.range())
        out["sentiment_index"] = articles.sentiment_change(store, rolling)
        out["sentiment_series"] = articles.series(store, daily)[0]["points"]
        out["top_stories"] = articles.story_cards(store, tops["stories"])
        out["top_entities"] = [{**b, "name": articles.entity_name(str(b["key"]))}
                               for b in tops["entities"]]
    if "security" in domains:
        out["top_assets"] = alerts.top_assets(store, rolling, fields=("host.name",
                                                                      "destination.ip"),
                                              size=TOP)
    out["week_over_week"] = wow
    return out
