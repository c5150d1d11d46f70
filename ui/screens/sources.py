"""Nguồn: sources and the collectors' health with their last activity."""

from __future__ import annotations

import streamlit as st

from ui.api_client import ApiClient
from ui.i18n import t, when
from ui.screens.common import fetch


def render(client: ApiClient) -> None:
    st.header(t("nav_sources"))
    data = fetch(lambda: client.get("/sources"), "GET /api/v1/sources")
    items = (data or {}).get("items") or []
    if data is not None and not items:
        st.info(t("no_data"))
    st.dataframe([{"id": s.get("id"), t("name"): s.get("name"), t("kind"): s.get("kind"),
                   "URL": s.get("url"), t("enabled"): s.get("enabled"),
                   t("health"): (s.get("health") or {}).get("status") or "–",
                   t("last_activity"): when((s.get("health") or {}).get("last_seen")
                                            or (s.get("health") or {}).get("@timestamp"))}
                  for s in items], width="stretch", hide_index=True)
    st.subheader(t("collectors"))
    health = fetch(lambda: client.get("/collectors/health"), "GET /api/v1/collectors/health")
    rows = (health or {}).get("items") or []
    if health is not None and not rows:
        st.info(t("no_data"))
    for h in rows:
        ok = str(h.get("status") or "").lower() in ("ok", "healthy", "running", "up")
        st.markdown(f"{':green[●]' if ok else ':red[●]'} **{h.get('id')}** · {h.get('status') or '–'} · "
                 f"{t('last_activity')}: {when(h.get('last_seen') or h.get('@timestamp'))}")
