"""Tìm kiếm: events by field filters and full text over a time range, with a
histogram, expandable raw documents and CSV/NDJSON export."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import streamlit as st

from ui import charts
from ui.api_client import ApiClient
from ui.i18n import language, number, t, when
from ui.screens.common import fetch
from ui.shaping import event_query, get_path, histogram_rows, interval_for, to_csv, to_ndjson

FIELDS = ("host.name", "user.name", "source.ip", "destination.ip", "event.dataset",
          "event.outcome")
RANGES = {"1h": timedelta(hours=1), "24h": timedelta(days=1), "7d": timedelta(days=7),
          "30d": timedelta(days=30)}
COLUMNS = ("@timestamp", "event.dataset", "host.name", "user.name", "source.ip",
           "destination.ip", "event.action", "event.outcome", "message")
RAW_SHOWN = 25


def _stamp(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def render(client: ApiClient) -> None:
    st.header(t("nav_search"))
    prefill = st.session_state.pop("search_prefill", None) or {}
    for f, v in prefill.items():
        st.session_state[f"f_{f}"] = v
    cols = st.columns(len(FIELDS))
    filters = {f: cols[i].text_input(f, key=f"f_{f}") for i, f in enumerate(FIELDS)}
    a, b = st.columns([3, 1])
    text = a.text_input(t("search_text"), key="s_text")
    span = b.selectbox(t("time_range"), list(RANGES), index=2, key=f"s_range_{language()}",
                       format_func=lambda k: t(f"range_{k}"))
    until = datetime.now(UTC)
    since = until - RANGES[span]
    body: dict[str, Any] = {"q": text or None, "query": event_query(filters),
                            "since": _stamp(since), "until": _stamp(until)}
    hist = fetch(lambda: client.post("/events/aggregate", {
        **body, "aggs": {"h": {"date_histogram": {"field": "@timestamp",
                                                  "interval": interval_for(RANGES[span]
                                                                           .total_seconds()),
                                                  "offset": "+07:00"}}}}),
        "POST /api/v1/events/aggregate")
    page = fetch(lambda: client.post("/events/search", {**body, "size": 200}),
                 "POST /api/v1/events/search")
    if page is None:
        return
    items = page.get("items") or []
    st.caption(t("matches", n=number(page.get("total") or 0), shown=number(len(items))))
    if hist:
        rows = histogram_rows(((hist.get("aggregations") or {}).get("h")) or [])
        if rows:
            st.plotly_chart(charts.bars([when(r["time"]) for r in rows], [r["count"] for r in rows],
                                        ["#1d4ed8"] * len(rows), height=180),
                            width="stretch", key="s_hist")
    st.dataframe([{c: when(get_path(d, c), seconds=True) if c == "@timestamp"
                   else get_path(d, c) for c in COLUMNS} for d in items],
                 width="stretch", hide_index=True)
    e1, e2 = st.columns(2)
    e1.download_button(t("export_csv"), to_csv(items).encode("utf-8"), "events.csv", "text/csv",
                       key="s_csv")
    e2.download_button(t("export_ndjson"), to_ndjson(items).encode("utf-8"), "events.ndjson",
                       "application/x-ndjson", key="s_ndjson")
    st.subheader(t("raw_documents"))
    for d in items[:RAW_SHOWN]:
        with st.expander(f"{when(d.get('@timestamp'), seconds=True)} · "
                         f"{get_path(d, 'host.name') or ''} · {str(d.get('message') or '')[:120]}"):
            st.json(d)
