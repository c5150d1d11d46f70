"""The one screen: ``/overview`` for every person (cut to the domains their
roles see) and the leader's ``/summary`` (both domains), built by
``api.stats.overview``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import Depends, Query, Request
from pydantic import Field

from api.auth.accounts import Principal
from api.auth.roles import DOMAINS, domains_of
from api.context import ctx
from api.errors import Forbidden
from api.models import Strict
from api.routes.common import caller
from api.stats.overview import overview as build


class SummaryQuery(Strict):
    days: int = Field(default=7, ge=1, le=90, description="window length; compared with the one before")


class OverviewQuery(SummaryQuery):
    domain: Literal["security", "reputation"] | None = Field(
        default=None, description="only this domain (default: every domain your roles see)")


def summary(request: Request, p: Annotated[SummaryQuery, Query()]) -> dict[str, Any]:
    """Open incidents by severity, MTTA/MTTR, alerts per day (security vs
    reputation), sentiment index, top stories, top entities, top attacked
    assets, week over week."""
    return build(ctx(request).store, DOMAINS, days=p.days, now=datetime.now(UTC))


def overview(request: Request, p: Annotated[OverviewQuery, Query()],
             who: Principal = Depends(caller)) -> dict[str, Any]:
    """The overview of the domains your roles see: SOC analysts the security
    half, communications staff the reputation half, leaders both."""
    domains = domains_of(who.roles)
    if p.domain is not None:
        if p.domain not in domains:
            raise Forbidden(f"your roles do not cover the {p.domain} domain",
                            code="domain_forbidden")
        domains = (p.domain,)
    return build(ctx(request).store, tuple(d for d in DOMAINS if d in domains), days=p.days,
                 now=datetime.now(UTC))
