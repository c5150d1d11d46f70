"""Dư luận: mentions with sentiment and topics, volume and sentiment over time,
share of voice, top stories and label correction."""

from __future__ import annotations

from typing import Any

import streamlit as st

from ui import charts
from ui.api_client import ApiClient
from ui.i18n import language, number, t, topic, when
from ui.screens.common import act, can, fetch, flash
from ui.shaping import get_path, mentions_over_time, sentiment_rows, share_of_voice

SENTIMENTS = ("negative", "neutral", "positive")
STREAM = 30


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


def render(client: ApiClient) -> None:
    st.header(t("nav_monitoring"))
    flash()
    days = st.selectbox(t("window_days"), [1, 7, 30], index=1, key=f"m_days_{language()}",
                        format_func=lambda d: t("last_days", n=d))
    stats = fetch(lambda: client.get("/articles/stats", {"days": days, "size": 10}),
                  "GET /api/v1/articles/stats")
    page = fetch(lambda: client.get("/articles", {"size": 500}), "GET /api/v1/articles")
    articles = (page or {}).get("items") or []
    c = st.columns(3)
    with c[0]:
        st.markdown(f"**{t('sentiment_mix')}**")
        if stats:
            mix = sentiment_rows(stats.get("sentiment") or [])
            st.plotly_chart(charts.donut([t(f"senti_{s}") for s, _ in mix], [n for _, n in mix],
                                         [charts.SENTIMENT_COLOURS[s] for s, _ in mix]),
                            width="stretch", key="m_mix")
    with c[1]:
        st.markdown(f"**{t('volume_over_time')}**")
        series = mentions_over_time(articles)
        if series:
            st.plotly_chart(charts.bars([r["day"] for r in series], [r["count"] for r in series],
                                        ["#a21caf"] * len(series)),
                            width="stretch", key="m_vol")
            st.plotly_chart(charts.line([r["day"] for r in series],
                                        [r["sentiment"] for r in series], t("sentiment")),
                            width="stretch", key="m_senti")
        else:
            st.caption(t("no_data"))
    with c[2]:
        st.markdown(f"**{t('share_of_voice')}**")
        for row in share_of_voice((stats or {}).get("sources") or []):
            st.write(f"• {row['key']}: {number(row['count'])} ({number(row['share'] * 100)} %)")
        st.markdown(f"**{t('topics')}**")
        for b in (stats or {}).get("topics") or []:
            st.write(f"• {topic(str(b['key']))}: {number(b['count'])}")
    st.subheader(t("top_stories"))
    stories = fetch(lambda: client.get("/articles/stories", {"days": days, "size": 10}),
                    "GET /api/v1/articles/stories")
    for s in (stories or {}).get("items") or []:
        st.write(f"• **{s.get('title') or s.get('story_id')}** — {number(s.get('articles'))} "
                 f"{t('articles_unit')} · {', '.join(s.get('outlets') or [])}")
    st.subheader(t("mentions"))
    for art in articles[:STREAM]:
        label = get_path(art, "sentiment.label") or "neutral"
        with st.expander(f"{when(art.get('@timestamp'))} · {get_path(art, 'source.name') or ''} · "
                         f"{art.get('title') or ''} · {t('senti_' + str(label))}"):
            st.write(str(art.get("body") or "")[:600])
            topics = ", ".join(topic(str(x)) for x in art.get("topics") or [])
            st.caption(f"{t('topics')}: {topics or '–'}")
            if can(client.roles, "comms"):
                _correct(client, art)
