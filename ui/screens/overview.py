"""Tổng quan: the leader's screen (fits 1920x1080), auto-refreshing."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import streamlit as st

from ui import charts
from ui.api_client import ApiClient
from ui.i18n import duration, language, number, t, when
from ui.report import daily_report
from ui.screens.common import fetch
from ui.shaping import open_by_severity, per_day_rows, trend


def _metric(col: Any, label: str, value: str, change: dict[str, Any] | None = None) -> None:
    arrow, colour = trend(change)
    pct = (change or {}).get("change_pct")
    delta = f"{arrow} {number(pct)} %" if pct is not None else None
    col.metric(label, value, delta=delta, delta_color=colour)


def body(client: ApiClient, days: int) -> None:
    """The figures; re-run on its own by the fragment timer."""
    data = fetch(lambda: client.get("/summary", {"days": days}), "GET /api/v1/summary")
    if data is None:
        return
    opened = data.get("open_incidents") or {}
    wow = data.get("week_over_week") or {}
    senti = data.get("sentiment_index") or {}
    c = st.columns(6)
    _metric(c[0], t("open_incidents"), number(opened.get("total") or 0))
    _metric(c[1], t("mtta"), duration((data.get("mtta") or {}).get("mean_seconds")))
    _metric(c[2], t("mttr"), duration((data.get("mttr") or {}).get("mean_seconds")))
    _metric(c[3], t("wow_alerts"), number((wow.get("alerts") or {}).get("current")),
            wow.get("alerts"))
    _metric(c[4], t("wow_negative_articles"),
            number((wow.get("negative_articles") or {}).get("current")),
            wow.get("negative_articles"))
    _metric(c[5], t("sentiment_index"), number(senti.get("current")), senti)

    left, mid, right = st.columns(3)
    with left:
        st.markdown(f"**{t('open_by_severity')}**")
        sev = open_by_severity(opened.get("by_severity") or {})
        st.plotly_chart(charts.bars([t(f"sev_{s}") for s, _ in sev], [n for _, n in sev],
                                    [charts.SEVERITY_COLOURS[s] for s, _ in sev]),
                        width="stretch", key="ov_sev")
    with mid:
        st.markdown(f"**{t('alerts_per_day')}**")
        rows = per_day_rows(data.get("alerts_per_day") or {})
        if rows:
            st.plotly_chart(charts.stacked(rows, "day", "domain", "count",
                                           {"security": t("domain_security"),
                                            "reputation": t("domain_reputation")},
                                           charts.DOMAIN_COLOURS),
                            width="stretch", key="ov_days")
        else:
            st.caption(t("no_data"))
    with right:
        st.markdown(f"**{t('week_over_week')}**")
        for key, change in wow.items():
            arrow, _ = trend(change)
            pct = change.get("change_pct")
            st.write(f"{t('wow_' + key)}: **{number(change.get('current'))}** {arrow} "
                     f"{number(pct) + ' %' if pct is not None else ''}")

    left, right = st.columns(2)
    with left:
        st.markdown(f"**{t('top_stories')}**")
        stories = data.get("top_stories") or []
        if not stories:
            st.caption(t("no_data"))
        for s in stories[:5]:
            st.write(f"• {s.get('title') or s.get('story_id')} — {number(s.get('articles'))} "
                     f"{t('articles_unit')} ({', '.join(s.get('outlets') or [])})")
    with right:
        st.markdown(f"**{t('top_entities')}**")
        ents = data.get("top_entities") or []
        if ents:
            st.plotly_chart(charts.bars([str(e["key"]) for e in ents][::-1],
                                        [e["count"] for e in ents][::-1],
                                        ["#1d4ed8"] * len(ents), height=200, horizontal=True),
                            width="stretch", key="ov_ents")
        else:
            st.caption(t("no_data"))
        _top_assets(client)
    st.caption(t("updated_at", at=when(datetime.now(UTC), seconds=True)))
    st.download_button(t("download_report"), daily_report(data).encode("utf-8"),
                       file_name=f"canhgac-{datetime.now(UTC):%Y%m%d}.html", mime="text/html",
                       key="ov_report")


def _top_assets(client: ApiClient) -> None:
    """Most attacked assets: security alerts counted per host over the last week."""
    st.markdown(f"**{t('top_assets')}**")
    page = fetch(lambda: client.get("/alerts", {"domain": "security", "size": 500}),
                 "GET /api/v1/alerts")
    if page is None:
        return
    counts: dict[str, int] = {}
    for a in page.get("items") or []:
        host = (a.get("host") or {}).get("name") or (a.get("entity") or {}).get("value")
        if host:
            counts[str(host)] = counts.get(str(host), 0) + 1
    top = sorted(counts.items(), key=lambda kv: -kv[1])[:5]
    if not top:
        st.caption(t("no_data"))
    for host, n in top:
        st.write(f"• {host}: {number(n)}")


def render(client: ApiClient) -> None:
    st.header(t("nav_overview"))
    days = st.selectbox(t("window_days"), [1, 7, 30], index=1, key=f"ov_days_pick_{language()}",
                        format_func=lambda d: t("last_days", n=d))
    every = int(st.session_state.get("refresh_seconds", 60))
    if every > 0 and st.session_state.get("auto_refresh", True):
        st.fragment(run_every=every)(body)(client, days)
    else:
        body(client, days)
