"""Quy tắc: the Sigma rules with enable/disable, backend coverage and recent hits."""

from __future__ import annotations

import streamlit as st

from ui.api_client import ApiClient
from ui.i18n import number, t
from ui.screens.common import act, can, fetch, flash


def render(client: ApiClient) -> None:
    st.header(t("nav_rules"))
    flash()
    data = fetch(lambda: client.get("/rules"), "GET /api/v1/rules")
    hits_page = fetch(lambda: client.get("/alerts", {"domain": "security", "size": 500}),
                      "GET /api/v1/alerts")
    hits: dict[str, int] = {}
    for a in (hits_page or {}).get("items") or []:
        rid = str((a.get("rule") or {}).get("id"))
        hits[rid] = hits.get(rid, 0) + 1
    items = (data or {}).get("items") or []
    st.caption(t("rules_count", n=number(len(items))))
    edit = can(client.roles, "soc_analyst")
    for r in items:
        c = st.columns([5, 1, 1, 1])
        c[0].write(f"**{r.get('title') or r['id']}** · `{r['id']}` · "
                   f"{t('sev_' + str(r.get('level') or 'medium'))}")
        c[1].write(t("rule_on") if r.get("enabled") else t("rule_off"))
        c[2].write(t("recent_hits", n=number(hits.get(r["id"], 0))))
        if edit:
            verb = "disable" if r.get("enabled") else "enable"
            if c[3].button(t(f"act_{verb}"), key=f"rule_{verb}_{r['id']}"):
                act(lambda v=verb, rid=r["id"]: client.post(f"/rules/{rid}/{v}"),
                       t("done_rule"))
    for p in (data or {}).get("problems") or []:
        st.warning(f"{p.get('path')}:{p.get('line')} {p.get('reason')}")
    st.subheader(t("coverage"))
    cov = fetch(lambda: client.get("/rules/coverage"), "GET /api/v1/rules/coverage")
    if cov:
        st.write(f"{t('backend')}: **{cov.get('backend')}**")
        st.json(cov.get("coverage"), expanded=False)
