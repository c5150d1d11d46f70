"""Dư luận: what is said about the city.  Volume and sentiment over time per
watched entity or topic, share of voice, top outlets and authors, top stories
(all computed by the API over every article of the window), then the live
stream of mentions with a label-correction control on each."""

from __future__ import annotations

from typing import Any

import streamlit as st

from ui import charts
from ui.api_client import ApiClient
from ui.i18n import language, number, t, topic, when
from ui.screens.common import act, can, fetch, flash
from ui.shaping import (
    get_path,
    sentiment_rows,
    series_rows,
    share_rows,
    source_rows,
    trend,
)

SENTIMENTS = ("negative", "neutral", "positive")
DIMENSIONS = ("entity", "topic")
STREAM = 30
SERIES = 5


def _correct(client: ApiClient, art: dict[str, Any]) -> None:
    with st.form(f"label_{art['id']}"):
        now = get_path(art, "sentiment.label")
        pick = st.selectbox(t("sentiment"), SENTIMENTS,
                            index=SENTIMENTS.index(now) if now in SENTIMENTS else 1,
                            format_func=lambda s: t(f"senti_{s}"))
        relevant = st.checkbox(t("relevant"), value=True)
        if st.form_submit_button(t("act_correct")):
            act(lambda: client.post(f"/articles/{art['id']}/labels",
                                    {"sentiment": pick, "relevant": relevant}),
                t("done_correct"))


def label_of(dimension: str) -> Any:
    """How a value of ``dimension`` is shown: an entity's name, a topic's label."""
    if dimension == "topic":
        return lambda item: topic(str(item.get("key")))
    return lambda item: str(item.get("name") or item.get("key"))


def _series(client: ApiClient, days: int, dimension: str) -> None:
    data = fetch(lambda: client.get("/stats/articles/series",
                                    {"days": days, "dimension": dimension, "size": SERIES}),
                 "GET /api/v1/stats/articles/series")
    rows = series_rows((data or {}).get("series") or [], label_of(dimension))
    vol, senti = st.columns(2)
    vol.markdown(f"**{t('volume_by', what=t('dim_' + dimension))}**")
    senti.markdown(f"**{t('sentiment_over_time')}**")
    if not rows:
        vol.caption(t("no_data"))
        return
    vol.plotly_chart(charts.lines(rows, "day", "name", "count"), width="stretch", key="m_vol")
    senti.plotly_chart(charts.lines(rows, "day", "name", "index", y_range=(-110, 110)),
                       width="stretch", key="m_senti")


def _share(client: ApiClient, days: int, dimension: str) -> None:
    params: dict[str, Any] = {"days": days, "dimension": dimension, "size": 10}
    data = fetch(lambda: client.get("/stats/articles/share-of-voice", params),
                 "GET /api/v1/stats/articles/share-of-voice")
    if data is None:
        return
    title = t("share_watched") if data.get("watched") else t("share_of_voice")
    st.markdown(f"**{title}**")
    rows = [r for r in share_rows(data.get("items") or [], label_of(dimension)) if r["count"]]
    if not rows:
        st.caption(t("no_data"))
    for r in rows:
        arrow, _ = trend(r["change"])
        st.write(f"• {r['label']}: {number(r['percent'])} % ({number(r['count'])} "
                 f"{t('articles_unit')}, {number(r['negative'])} {t('negative_unit')}) {arrow}")


def _sources(client: ApiClient, days: int) -> None:
    data = fetch(lambda: client.get("/stats/articles/top-sources", {"days": days, "size": 8}),
                 "GET /api/v1/stats/articles/top-sources")
    if data is None:
        return
    for key, title in (("outlets", "top_outlets"), ("authors", "top_authors")):
        st.markdown(f"**{t(title)}**")
        rows = source_rows(data.get(key) or [])
        if not rows:
            st.caption(t("no_data"))
            continue
        st.dataframe([{t("name"): r["name"], t("col_articles"): r["count"],
                       t("col_negative"): r["negative_pct"]} for r in rows],
                     hide_index=True, width="stretch", key=f"m_{key}")


def render(client: ApiClient) -> None:
    st.header(t("nav_monitoring"))
    flash()
    pick_days, pick_dim = st.columns(2)
    days = pick_days.selectbox(t("window_days"), [1, 7, 30], index=1, key=f"m_days_{language()}",
                               format_func=lambda d: t("last_days", n=d))
    dimension = pick_dim.radio(t("dimension"), DIMENSIONS, horizontal=True,
                               key=f"m_dim_{language()}",
                               format_func=lambda d: t(f"dim_{d}"))
    _series(client, days, dimension)
    stats = fetch(lambda: client.get("/articles/stats", {"days": days, "size": 10}),
                  "GET /api/v1/articles/stats")
    c = st.columns(3)
    with c[0]:
        st.markdown(f"**{t('sentiment_mix')}**")
        if stats:
            mix = sentiment_rows(stats.get("sentiment") or [])
            st.plotly_chart(charts.donut([t(f"senti_{s}") for s, _ in mix], [n for _, n in mix],
                                         [charts.SENTIMENT_COLOURS[s] for s, _ in mix]),
                            width="stretch", key="m_mix")
    with c[1]:
        _share(client, days, dimension)
    with c[2]:
        _sources(client, days)
    st.subheader(t("top_stories"))
    stories = fetch(lambda: client.get("/articles/stories", {"days": days, "size": 10}),
                    "GET /api/v1/articles/stories")
    for s in (stories or {}).get("items") or []:
        st.write(f"• **{s.get('title') or s.get('story_id')}** — {number(s.get('articles'))} "
                 f"{t('articles_unit')} · {', '.join(s.get('outlets') or [])}")
    st.subheader(t("mentions"))
    page = fetch(lambda: client.get("/articles", {"size": STREAM}), "GET /api/v1/articles")
    for art in (page or {}).get("items") or []:
        label = get_path(art, "sentiment.label") or "neutral"
        with st.expander(f"{when(art.get('@timestamp'))} · {get_path(art, 'source.name') or ''} · "
                         f"{art.get('title') or ''} · {t('senti_' + str(label))}"):
            st.write(str(art.get("body") or "")[:600])
            topics = ", ".join(topic(str(x)) for x in art.get("topics") or [])
            st.caption(f"{t('topics')}: {topics or '–'}")
            if can(client.roles, "comms"):
                _correct(client, art)
