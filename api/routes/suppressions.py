"""Suppression rules: silence known-benign alerts (rule and/or entity, with an
expiry) without deleting anything.  The rules live in ``detection.suppression``;
matching alerts are kept with ``status: suppressed`` and never grouped."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any, Literal

from fastapi import Depends, Request
from pydantic import Field

from api.auth.accounts import Principal
from api.auth.roles import domains_of
from api.context import ctx
from api.errors import BadRequest, NotFoundError
from api.models import Strict
from api.routes.common import DocId, caller, check_domain
from detection.incidents import NotFound, TriageError
from detection.suppression import ANY, Suppressions


class SuppressionBody(Strict):
    domain: Literal["security", "reputation"] = Field(examples=["security"])
    rule_id: str = Field(default=ANY, min_length=1, max_length=200,
                         pattern=r"^[A-Za-z0-9_.:@*\-]+$", examples=["ssh-bruteforce"])
    entity: str = Field(default=ANY, min_length=1, max_length=500,
                        examples=["source.ip=10.20.3.4"])
    reason: str = Field(min_length=1, max_length=1000,
                        examples=["máy quét lỗ hổng định kỳ của Sở TT&TT"])
    expires_at: datetime | None = Field(default=None, examples=["2026-12-31T00:00:00Z"])


def _suppressions(request: Request) -> Suppressions:
    return Suppressions(ctx(request).store)


def _as_dict(rule: Any) -> dict[str, Any]:
    return asdict(rule)


def list_suppressions(request: Request, who: Principal = Depends(caller)) -> dict[str, Any]:
    """Active suppression rules in the caller's domains."""
    allowed = set(domains_of(who.roles))
    items = [_as_dict(r) for r in _suppressions(request).list()
             if r.domain == ANY or r.domain in allowed]
    return {"items": items, "total": len(items)}


def create_suppression(request: Request, body: SuppressionBody,
                       who: Principal = Depends(caller)) -> dict[str, Any]:
    """Silence a rule and/or an entity until ``expires_at`` (audited)."""
    check_domain(who, {"domain": body.domain})
    try:
        rule = _suppressions(request).add(rule_id=body.rule_id, entity=body.entity,
                                          reason=body.reason, actor=who.name,
                                          expires_at=body.expires_at, domain=body.domain)
    except TriageError as exc:
        raise BadRequest(str(exc), code="suppression_refused") from None
    return _as_dict(rule)


def delete_suppression(request: Request, suppression_id: DocId,
                       who: Principal = Depends(caller)) -> dict[str, Any]:
    """Remove a suppression rule (alerts it silenced stay as they are)."""
    sup = _suppressions(request)
    try:
        rule = sup.get(suppression_id)
        check_domain(who, {"domain": rule.domain if rule.domain != ANY else "security"})
        sup.remove(suppression_id, who.name)
    except NotFound as exc:
        raise NotFoundError(str(exc)) from None
    return {"id": suppression_id, "removed": True}
