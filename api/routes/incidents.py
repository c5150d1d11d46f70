"""Incidents: list, get, and the triage actions (each one lands in the
incident's timeline and the audit log with who and when)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import Depends, Query, Request
from pydantic import Field

from api.auth.accounts import Principal
from api.context import ctx
from api.errors import ApiError, BadRequest, Conflict, NotFoundError, Unavailable
from api.models import ListQuery, Page, Strict
from api.queries import combine, one_or_many, page, text, time_range
from api.routes.alerts import Severity
from api.routes.common import DocId, caller, check_domain, domain_scope
from store.query import Ids, Term

Status = Literal["new", "acknowledged", "in_progress", "resolved", "false_positive", "reopened"]
IncidentSort = Literal["@timestamp", "severity_rank", "updated_at", "last_seen", "alert_count",
                       "status"]
Id = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_.:@\-]+$")]


class IncidentQuery(ListQuery):
    status: list[str] = Field(default_factory=list, max_length=10, examples=[["new"]])
    severity: list[Severity] = Field(default_factory=list, max_length=5)
    domain: Literal["security", "reputation"] | None = None
    assignee: str | None = Field(default=None, max_length=200)
    sort: IncidentSort = "@timestamp"


def list_incidents(request: Request, p: Annotated[IncidentQuery, Query()],
                   who: Principal = Depends(caller)) -> Page:
    c = ctx(request)
    parts = [*domain_scope(who, p.domain), *text(p.q, "title"),
             *time_range("@timestamp", p.since, p.until), *one_or_many("status", p.status),
             *one_or_many("severity", list(p.severity)),
             *([Term("assignee", p.assignee)] if p.assignee else [])]
    return page(c.store, "incidents", combine(parts), p, p.sort, c.settings.api.max_page_size)


def _load(request: Request, incident_id: str, who: Principal) -> dict[str, Any]:
    doc = ctx(request).store.get("incidents", incident_id)
    if doc is None:
        raise NotFoundError(f"incident {incident_id} does not exist")
    check_domain(who, doc.source)
    return doc.source


def get_incident(request: Request, incident_id: DocId,
                 who: Principal = Depends(caller)) -> dict[str, Any]:
    """One incident with its alerts (up to 500), comments and timeline."""
    c = ctx(request)
    inc = _load(request, incident_id, who)
    ids = [str(i) for i in (inc.get("alert_ids") or [])][:500]
    alerts = [h.source for h in c.store.search("alerts", Ids(ids), size=len(ids)).hits] if ids else []
    return {"incident": inc, "alerts": alerts}


def _triage(request: Request, action: Callable[[Any], dict[str, Any]]) -> dict[str, Any]:
    """Run one triage action, turning the incident room's errors into API errors."""
    try:
        from detection.incidents import Contention, IncidentError, NotFound, TriageError
    except ModuleNotFoundError:  # pragma: no cover - detection room absent
        raise Unavailable("incident triage is not installed", code="triage_unavailable") from None
    triage = ctx(request).triage
    if triage is None:
        raise Unavailable("incident triage is not installed", code="triage_unavailable")
    try:
        return {"incident": action(triage)}
    except NotFound as exc:
        raise NotFoundError(str(exc)) from None
    except TriageError as exc:
        raise Conflict(str(exc), code="invalid_transition"
                       if type(exc).__name__ == "InvalidTransition" else "triage_refused") from None
    except Contention as exc:
        raise Unavailable(str(exc), code="contention") from None
    except IncidentError as exc:
        raise ApiError(str(exc), code="triage_error") from None


class StatusBody(Strict):
    status: Status = Field(examples=["acknowledged"])
    note: str | None = Field(default=None, max_length=2000, examples=["đang xác minh với Sở TT&TT"])


class AssignBody(Strict):
    assignee: str | None = Field(max_length=200, examples=["nguyen.van.an"])


class CommentBody(Strict):
    text: str = Field(min_length=1, max_length=10_000, examples=["Đã chặn IP 10.20.3.4 tại tường lửa"])


class MergeBody(Strict):
    source_ids: list[Id] = Field(min_length=1, max_length=100)


class LinkBody(Strict):
    alert_ids: list[Id] = Field(min_length=1, max_length=500)


def set_status(request: Request, incident_id: DocId, body: StatusBody,
               who: Principal = Depends(caller)) -> dict[str, Any]:
    """Move an incident through the triage states (acknowledge, resolve, reopen...)."""
    _load(request, incident_id, who)
    return _triage(request, lambda t: t.set_status(incident_id, body.status, who.name, body.note))


def assign(request: Request, incident_id: DocId, body: AssignBody,
           who: Principal = Depends(caller)) -> dict[str, Any]:
    _load(request, incident_id, who)
    return _triage(request, lambda t: t.assign(incident_id, body.assignee, who.name))


def comment(request: Request, incident_id: DocId, body: CommentBody,
            who: Principal = Depends(caller)) -> dict[str, Any]:
    _load(request, incident_id, who)
    if not body.text.strip():
        raise BadRequest("a comment needs some text", code="empty_comment")
    return _triage(request, lambda t: t.comment(incident_id, body.text, who.name))


def merge(request: Request, incident_id: DocId, body: MergeBody,
          who: Principal = Depends(caller)) -> dict[str, Any]:
    """Merge other incidents into this one (their alerts move here)."""
    _load(request, incident_id, who)
    for other in body.source_ids:
        _load(request, other, who)
    return _triage(request, lambda t: t.merge(incident_id, list(body.source_ids), who.name))


def link_alerts(request: Request, incident_id: DocId, body: LinkBody,
                who: Principal = Depends(caller)) -> dict[str, Any]:
    _load(request, incident_id, who)
    return _triage(request, lambda t: t.link_alerts(incident_id, list(body.alert_ids), who.name))
