"""Cảnh báo & Sự cố: the incident queue, one incident in depth, triage actions, alerts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import streamlit as st

from ui.api_client import ApiClient
from ui.auth_roles import domains_for
from ui.i18n import duration, language, number, t, when
from ui.screens.common import act, can, fetch, flash
from ui.shaping import (
    OPEN_STATUSES,
    SEVERITIES,
    age_seconds,
    attack_of,
    entities_of,
    queue_order,
)

STATUSES = ("new", "acknowledged", "in_progress", "reopened", "resolved", "false_positive")
MATCHED_ALERTS = 10  # alerts whose matched events are fetched on the incident page


def _filters(roles: list[str]) -> dict[str, Any]:
    c = st.columns(4)
    status = c[0].multiselect(t("status"), STATUSES, default=list(OPEN_STATUSES),
                              format_func=lambda s: t(f"st_{s}"), key=f"q_status_{language()}",
                              placeholder=t("all"))
    severity = c[1].multiselect(t("severity"), SEVERITIES, format_func=lambda s: t(f"sev_{s}"),
                                key=f"q_sev_{language()}", placeholder=t("all"))
    domains = ["", *domains_for(roles)]
    domain = c[2].selectbox(t("domain"), domains, key=f"q_domain_{language()}",
                            format_func=lambda d: t(f"domain_{d}") if d else t("all"))
    text = c[3].text_input(t("search_text"), key="q_text")
    return {"status": status, "severity": severity, "domain": domain or None, "q": text or None,
            "sort": "severity_rank", "order": "desc", "size": 200}


def _queue_rows(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{t("severity"): t(f"sev_{i.get('severity')}"), t("title"): i.get("title"),
             t("status"): t(f"st_{i.get('status')}"), t("domain"): t(f"domain_{i.get('domain')}"),
             t("alerts"): number(i.get("alert_count") or 0),
             t("age"): duration(age_seconds(i)), t("assignee"): i.get("assignee") or "–",
             t("created"): when(i.get("created_at") or i.get("@timestamp"))} for i in items]


def _actions(client: ApiClient, inc: dict[str, Any]) -> None:
    iid = inc["id"]
    base = f"/incidents/{iid}"
    st.subheader(t("actions"))
    c = st.columns(5)
    for col, status, label in ((c[0], "acknowledged", "act_acknowledge"),
                               (c[1], "in_progress", "act_in_progress"),
                               (c[2], "resolved", "act_resolve"),
                               (c[3], "false_positive", "act_false_positive"),
                               (c[4], "reopened", "act_reopen")):
        if col.button(t(label), key=f"btn_{status}", width="stretch"):
            act(lambda s=status: client.post(f"{base}/status", {"status": s}),
                   t("done_status", status=t(f"st_{status}")))
    a, b = st.columns(2)
    with a.form("assign_form", clear_on_submit=False):
        who = st.text_input(t("assignee"), value=inc.get("assignee") or client.user or "")
        if st.form_submit_button(t("act_assign")):
            act(lambda: client.post(f"{base}/assign", {"assignee": who.strip() or None}),
                   t("done_assign", who=who or "–"))
    with b.form("comment_form", clear_on_submit=True):
        text = st.text_area(t("comment"), height=80)
        if st.form_submit_button(t("act_comment")) and text.strip():
            act(lambda: client.post(f"{base}/comments", {"text": text}), t("done_comment"))
    _suppress(client, inc)


def _suppress(client: ApiClient, inc: dict[str, Any]) -> None:
    """Silence this incident's rule for one entity (or any) for some days."""
    rules = sorted({str(r) for r in inc.get("rule_ids") or []} |
                   ({str(inc["rule"]["id"])} if (inc.get("rule") or {}).get("id") else set()))
    entities = [f"{f}={v}" for f, v in entities_of(inc, [])]
    with st.expander(t("suppress_title")), st.form("suppress_form", clear_on_submit=True):
        c = st.columns(3)
        rule = c[0].selectbox(t("suppress_rule"), ["*", *rules], key="sup_rule",
                              format_func=lambda r: t("suppress_any") if r == "*" else r)
        entity = c[1].selectbox(t("suppress_entity"), ["*", *entities], key="sup_entity",
                                format_func=lambda e: t("suppress_any") if e == "*" else e)
        days = c[2].number_input(t("suppress_days"), min_value=1, max_value=365, value=7,
                                 key="sup_days")
        reason = st.text_input(t("suppress_reason"), key="sup_reason")
        if st.form_submit_button(t("act_suppress"), key="sup_submit") and reason.strip():
            until = (datetime.now(UTC) + timedelta(days=int(days))).strftime("%Y-%m-%dT%H:%M:%SZ")
            act(lambda: client.post("/suppressions", {
                "domain": inc.get("domain") or "security", "rule_id": rule, "entity": entity,
                "reason": reason, "expires_at": until}), t("done_suppress", days=int(days)))


def _pivots(pairs: list[tuple[str, str]]) -> None:
    st.subheader(t("entities"))
    if not pairs:
        st.caption(t("no_data"))
    cols = st.columns(4)
    for n, (field, value) in enumerate(pairs[:12]):
        if cols[n % 4].button(f"{field} = {value}", key=f"pivot_{n}"):
            st.session_state["search_prefill"] = {field: value}
            st.session_state["page_next"] = "search"
            st.rerun()


def incident_detail(client: ApiClient, iid: str, roles: list[str]) -> None:
    data = fetch(lambda: client.get(f"/incidents/{iid}"), "GET /api/v1/incidents/{id}")
    if data is None:
        return
    inc, alerts = data.get("incident") or {}, data.get("alerts") or []
    st.subheader(f"{inc.get('title')}")
    c = st.columns(5)
    c[0].metric(t("severity"), t(f"sev_{inc.get('severity')}"))
    c[1].metric(t("status"), t(f"st_{inc.get('status')}"))
    c[2].metric(t("alerts"), number(inc.get("alert_count") or len(alerts)))
    c[3].metric(t("assignee"), inc.get("assignee") or "–")
    c[4].metric(t("age"), duration(age_seconds(inc)))
    attack = attack_of(alerts, inc)
    st.write(f"**{t('attack_tactics')}:** {', '.join(attack['tactics']) or '–'}  ·  "
             f"**{t('attack_techniques')}:** {', '.join(attack['techniques']) or '–'}")
    if can(roles, "soc_analyst", "comms"):
        _actions(client, inc)
    _pivots(entities_of(inc, alerts))
    st.subheader(t("alerts"))
    st.dataframe([{t("time"): when(a.get("@timestamp")), t("severity"): t(f"sev_{a.get('severity')}"),
                   t("rule"): (a.get("rule") or {}).get("name"), t("message"): a.get("message"),
                   "id": a.get("id")} for a in alerts], width="stretch", hide_index=True)
    st.subheader(t("matched"))
    for a in alerts[:MATCHED_ALERTS]:
        with st.expander(f"{(a.get('rule') or {}).get('name') or a.get('id')} · "
                         f"{when(a.get('@timestamp'))}"):
            got = fetch(lambda a=a: client.get(f"/alerts/{a['id']}"), "GET /api/v1/alerts/{id}")
            if got:
                docs = (got.get("events") or []) + (got.get("articles") or [])
                if not docs:
                    st.caption(t("no_data"))
                for d in docs[:20]:
                    st.json(d, expanded=False)
    st.subheader(t("timeline"))
    entries = sorted(inc.get("timeline") or [], key=lambda e: str(e.get("at") or ""))
    if not entries:
        st.caption(t("no_data"))
    for e in entries:
        detail = e.get("to") or e.get("text") or e.get("note") or ""
        if e.get("action") == "status" and e.get("to"):
            detail = t(f"st_{e['to']}")
        st.write(f"{when(e.get('at') or e.get('@timestamp'), seconds=True)} · **{e.get('actor')}** · "
                 f"{t('tl_' + str(e.get('action')))} {detail}")
    for cm in inc.get("comments") or []:
        st.info(f"{cm.get('author') or cm.get('actor')} · {when(cm.get('at'))}: {cm.get('text')}")


def render(client: ApiClient) -> None:
    st.header(t("nav_alerts"))
    flash()
    roles = client.roles
    tab_inc, tab_alerts = st.tabs([t("incidents"), t("alerts")])
    with tab_inc:
        params = _filters(roles)
        page = fetch(lambda: client.get("/incidents", params), "GET /api/v1/incidents")
        items = queue_order((page or {}).get("items") or [])
        st.caption(t("queue_count", n=number(len(items))))
        if not items:
            st.info(t("queue_empty"))
        else:
            st.dataframe(_queue_rows(items), width="stretch", hide_index=True)
            labels = {i["id"]: f"[{t('sev_' + str(i.get('severity')))}] {i.get('title')} "
                               f"({t('st_' + str(i.get('status')))})" for i in items}
            iid = st.selectbox(t("pick_incident"), list(labels), format_func=labels.get,
                               key=f"incident_pick_{language()}")
            if iid:
                st.divider()
                incident_detail(client, iid, roles)
    with tab_alerts:
        page = fetch(lambda: client.get("/alerts", {"size": 200, "sort": "@timestamp"}),
                     "GET /api/v1/alerts")
        rows = queue_order((page or {}).get("items") or [])
        st.dataframe([{t("severity"): t(f"sev_{a.get('severity')}"),
                       t("time"): when(a.get("@timestamp")),
                       t("domain"): t(f"domain_{a.get('domain') or 'security'}"),
                       t("rule"): (a.get("rule") or {}).get("name"),
                       t("message"): a.get("message"), t("status"): a.get("status")}
                      for a in rows], width="stretch", hide_index=True)
