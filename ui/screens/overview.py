"""Tổng quan: the city at a glance on one 1920x1080 screen, auto-refreshing.

Everything comes from ``GET /api/v1/overview`` in one call, already cut to the
caller's domains: leaders see both halves, SOC analysts the security half
(top attacked assets), communications staff the reputation half (sentiment
index over time, top stories).  Panels are laid out three to a row.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import streamlit as st

from ui import charts
from ui.api_client import ApiClient
from ui.i18n import duration, language, number, t, when
from ui.report import daily_report
from ui.screens.common import fetch
from ui.shaping import asset_rows, open_by_severity, per_day_rows, sentiment_series, trend

Panel = Callable[[dict[str, Any]], None]
PER_ROW = 3
TITLE_CHARS = 80


def _metric(col: Any, label: str, value: str, change: dict[str, Any] | None = None,
            *, points: bool = False, good_when_up: bool = False) -> None:
    """A figure with its change against the previous window: Streamlit draws the
    arrow from the sign; more alerts is bad (red up), a higher index is good."""
    pct = (change or {}).get("change_points" if points else "change_pct")
    delta = None
    if pct is not None:
        unit = " " + t("points_unit") if points else " %"
        delta = f"{'+' if pct > 0 else ''}{number(pct)}{unit}"
    colour = "off" if not pct else ("normal" if good_when_up else "inverse")
    col.metric(label, value, delta=delta, delta_color=colour)


def _metrics(data: dict[str, Any]) -> None:
    opened = data.get("open_incidents") or {}
    wow = data.get("week_over_week") or {}
    c = st.columns(6)
    _metric(c[0], t("open_incidents"), number(opened.get("total") or 0))
    _metric(c[1], t("mtta"), duration((data.get("mtta") or {}).get("mean_seconds")))
    _metric(c[2], t("mttr"), duration((data.get("mttr") or {}).get("mean_seconds")))
    _metric(c[3], t("wow_alerts"), number((wow.get("alerts") or {}).get("current")),
            wow.get("alerts"))
    if "reputation" in (data.get("domains") or []):
        _metric(c[4], t("wow_negative_articles"),
                number((wow.get("negative_articles") or {}).get("current")),
                wow.get("negative_articles"))
        senti = data.get("sentiment_index") or {}
        _metric(c[5], t("sentiment_index"), number(senti.get("current")), senti, points=True,
                good_when_up=True)
    else:
        _metric(c[4], t("wow_incidents"), number((wow.get("incidents") or {}).get("current")),
                wow.get("incidents"))


def _severity(data: dict[str, Any]) -> None:
    sev = open_by_severity((data.get("open_incidents") or {}).get("by_severity") or {})
    st.plotly_chart(charts.bars([t(f"sev_{s}") for s, _ in sev], [n for _, n in sev],
                                [charts.SEVERITY_COLOURS[s] for s, _ in sev]),
                    width="stretch", key="ov_sev")


def _per_day(data: dict[str, Any]) -> None:
    rows = per_day_rows(data.get("alerts_per_day") or {})
    if not rows:
        st.caption(t("no_data"))
        return
    st.plotly_chart(charts.stacked(rows, "day", "domain", "count",
                                   {"security": t("domain_security"),
                                    "reputation": t("domain_reputation")},
                                   charts.DOMAIN_COLOURS), width="stretch", key="ov_days")


def _sentiment(data: dict[str, Any]) -> None:
    rows = sentiment_series(data.get("sentiment_series") or [])
    if not any(r["count"] for r in rows):
        st.caption(t("no_data"))
        return
    st.plotly_chart(charts.line([r["day"] for r in rows], [r["index"] for r in rows],
                                t("sentiment_index"), colour="#a21caf", y_range=(-110, 110)),
                    width="stretch", key="ov_senti")


def _stories(data: dict[str, Any]) -> None:
    stories = data.get("top_stories") or []
    if not stories:
        st.caption(t("no_data"))
    for s in stories[:5]:
        title = str(s.get("title") or s.get("story_id"))
        if len(title) > TITLE_CHARS:
            title = title[:TITLE_CHARS - 1] + "…"
        st.write(f"• {title} — {number(s.get('articles'))} {t('articles_unit')} "
                 f"({', '.join(s.get('outlets') or [])})")


def _assets(data: dict[str, Any]) -> None:
    rows = asset_rows(data.get("top_assets") or {})
    if not rows:
        st.caption(t("no_data"))
        return
    st.plotly_chart(charts.severity_hbars([r["key"] for r in rows],
                                          [r["by_severity"] for r in rows],
                                          {s: t(f"sev_{s}") for s in charts.SEVERITY_COLOURS}),
                    width="stretch", key="ov_assets")


def _week_over_week(data: dict[str, Any]) -> None:
    for key, change in (data.get("week_over_week") or {}).items():
        arrow, _ = trend(change)
        pct = change.get("change_pct")
        st.write(f"{t('wow_' + key)}: **{number(change.get('current'))}** {arrow} "
                 f"{number(pct) + ' %' if pct is not None else ''}")
    senti = data.get("sentiment_index")
    if senti:
        pts = senti.get("change_points")
        arrow, _ = trend({"change_pct": pts})
        st.write(f"{t('sentiment_index')}: **{number(senti.get('current'))}** {arrow} "
                 f"{number(pts) + ' ' + t('points_unit') if pts is not None else ''}")


def panels(domains: list[str]) -> list[tuple[str, Panel]]:
    """The panels a caller with ``domains`` sees, in screen order."""
    out: list[tuple[str, Panel]] = [("open_by_severity", _severity),
                                    ("alerts_per_day", _per_day)]
    if "reputation" in domains:
        out += [("sentiment_over_time", _sentiment), ("top_stories", _stories)]
    if "security" in domains:
        out.append(("top_assets", _assets))
    out.append(("week_over_week", _week_over_week))
    return out


def body(client: ApiClient, days: int) -> None:
    """The figures; re-run on its own by the fragment timer."""
    data = fetch(lambda: client.get("/overview", {"days": days}), "GET /api/v1/overview")
    if data is None:
        return
    _metrics(data)
    shown = panels(list(data.get("domains") or []))
    for start in range(0, len(shown), PER_ROW):
        for col, (title, draw) in zip(st.columns(PER_ROW), shown[start:start + PER_ROW],
                                      strict=False):
            with col:
                st.markdown(f"**{t(title)}**")
                draw(data)
    left, right = st.columns([3, 1])
    note = (" · " + t("sentiment_index_help")) if "reputation" in (data.get("domains") or []) \
        else ""
    left.caption(t("updated_at", at=when(datetime.now(UTC), seconds=True)) + note)
    right.download_button(t("download_report"), daily_report(data).encode("utf-8"),
                          file_name=f"canhgac-{datetime.now(UTC):%Y%m%d}.html",
                          mime="text/html", key="ov_report")


def render(client: ApiClient) -> None:
    head, pick = st.columns([4, 1])
    head.header(t("nav_overview"))
    days = pick.selectbox(t("window_days"), [1, 7, 30], index=1,
                          key=f"ov_days_pick_{language()}",
                          format_func=lambda d: t("last_days", n=d))
    every = int(st.session_state.get("refresh_seconds", 60))
    if every > 0 and st.session_state.get("auto_refresh", True):
        st.fragment(run_every=every)(body)(client, days)
    else:
        body(client, days)
