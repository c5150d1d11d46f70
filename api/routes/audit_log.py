"""Reading the audit log (admin)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request
from pydantic import Field

from api.context import ctx
from api.models import ListQuery, Page
from api.queries import combine, page, time_range
from store.query import Term


class AuditQuery(ListQuery):
    actor: str | None = Field(default=None, max_length=200, examples=["nguyen.van.an"])
    action: str | None = Field(default=None, max_length=100, examples=["incident.status"])
    target: str | None = Field(default=None, max_length=300)
    outcome: str | None = Field(default=None, max_length=50, examples=["failure"])


def list_audit(request: Request, p: Annotated[AuditQuery, Query()]) -> Page:
    """Audit entries, newest first: who did what to which thing, from where."""
    c = ctx(request)
    parts = [*time_range("@timestamp", p.since, p.until)]
    for field in ("actor", "action", "target", "outcome"):
        value = getattr(p, field)
        if value:
            parts.append(Term(field, value))
    return page(c.store, "audit", combine(parts), p, "@timestamp", c.settings.api.max_page_size)
