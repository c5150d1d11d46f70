"""Alerts: list and filter, get one with the events or articles it matched."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Depends, Query, Request
from pydantic import Field

from api.auth.accounts import Principal
from api.context import ctx
from api.errors import NotFoundError
from api.models import ListQuery, Page
from api.queries import combine, one_or_many, page, text, time_range
from api.routes.common import DocId, caller, check_domain, domain_scope
from store.query import Bool, Ids, Term

Severity = Literal["informational", "low", "medium", "high", "critical"]
AlertSort = Literal["@timestamp", "severity", "risk_score", "last_seen", "rule.id", "status"]
ENTITY_FIELDS = ("host.name", "user.name", "source.ip", "destination.ip")
MATCHED_LIMIT = 200


class AlertQuery(ListQuery):
    severity: list[Severity] = Field(default_factory=list, max_length=5, examples=[["high"]])
    rule: list[str] = Field(default_factory=list, max_length=20, description="rule ids")
    status: list[str] = Field(default_factory=list, max_length=10, examples=[["new"]])
    domain: Literal["security", "reputation"] | None = None
    entity: str | None = Field(default=None, max_length=300,
                               description="host, user or address the alert names",
                               examples=["ws-so-gtvt-12"])
    incident: str | None = Field(default=None, max_length=200)
    sort: AlertSort = "@timestamp"


def _entity(value: str | None) -> list[Any]:
    if not value:
        return []
    # source.ip/destination.ip are typed IP: only try them when the value is one.
    import ipaddress

    fields = list(ENTITY_FIELDS)
    try:
        ipaddress.ip_address(value)
    except ValueError:
        fields = ["host.name", "user.name"]
    return [Bool(should=[Term(f, value) for f in fields])]


def list_alerts(request: Request, p: Annotated[AlertQuery, Query()],
                who: Principal = Depends(caller)) -> Page:
    """Alerts your roles may see, filtered and sorted."""
    c = ctx(request)
    parts = [*domain_scope(who, p.domain), *text(p.q),
             *time_range("@timestamp", p.since, p.until),
             *one_or_many("severity", list(p.severity)), *one_or_many("rule.id", p.rule),
             *one_or_many("status", p.status), *_entity(p.entity),
             *([Term("incident_id", p.incident)] if p.incident else [])]
    return page(c.store, "alerts", combine(parts), p, p.sort, c.settings.api.max_page_size)


def get_alert(request: Request, alert_id: DocId, who: Principal = Depends(caller)) -> dict[str, Any]:
    """One alert with the events (security) or articles (reputation) it matched."""
    c = ctx(request)
    doc = c.store.get("alerts", alert_id)
    if doc is None:
        raise NotFoundError(f"alert {alert_id} does not exist")
    check_domain(who, doc.source)
    out: dict[str, Any] = {"alert": doc.source, "events": [], "articles": []}
    for key, coll in (("event_ids", "events"), ("article_ids", "articles")):
        ids = [str(i) for i in (doc.source.get(key) or [])][:MATCHED_LIMIT]
        if ids:
            out[coll] = [h.source for h in c.store.search(coll, Ids(ids), size=len(ids)).hits]
    return out
