"""Aggregations for the dashboard's charts, computed in the store (not from a
page of documents): alerts per day, top attacked assets, article volume and
sentiment over time, share of voice, top outlets and authors."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Depends, Query, Request
from pydantic import Field

from api.auth.accounts import Principal
from api.auth.roles import DOMAINS, domains_of
from api.context import ctx
from api.errors import Forbidden
from api.routes.common import caller
from api.stats import alerts as alert_stats
from api.stats import articles as article_stats
from api.stats.window import RangeQuery, SeriesQuery, resolve

Severity = Literal["informational", "low", "medium", "high", "critical"]
AssetField = Literal["host.name", "destination.ip", "user.name", "source.ip"]
Value = Annotated[str, Field(min_length=1, max_length=200)]


class PerDayQuery(SeriesQuery):
    domain: Literal["security", "reputation"] | None = Field(
        default=None, description="only this domain (default: every domain your roles see)")


class AssetsQuery(RangeQuery):
    field: list[AssetField] = Field(default_factory=list, max_length=4,
                                    description="asset fields (default host.name, "
                                                "destination.ip, user.name)")
    severity: list[Severity] = Field(default_factory=list, max_length=5,
                                     description="only these severities")
    size: int = Field(default=10, ge=1, le=50)


class ArticleSeriesQuery(SeriesQuery):
    dimension: article_stats.Dimension | None = Field(
        default=None, description="one series per entity, topic, outlet or author; none: "
                                  "one series over all articles (the sentiment index)")
    values: list[Value] = Field(default_factory=list, max_length=20,
                                description="these values (default: the most mentioned)",
                                examples=[["loc.ninh_kieu"]])
    size: int = Field(default=5, ge=1, le=20, description="how many values when none given")


class ShareQuery(RangeQuery):
    dimension: article_stats.Dimension = "entity"
    values: list[Value] = Field(default_factory=list, max_length=50,
                                description="values to compare (default: the watch lists' "
                                            "entities, else the most mentioned)")
    size: int = Field(default=10, ge=1, le=50)


class SourcesQuery(RangeQuery):
    size: int = Field(default=10, ge=1, le=50)


def alerts_per_day(request: Request, p: Annotated[PerDayQuery, Query()],
                   who: Principal = Depends(caller)) -> dict[str, Any]:
    """Alerts per bucket (days start at midnight in Cần Thơ), security and
    reputation apart, each limited to the domains your roles see."""
    allowed = domains_of(who.roles)
    if p.domain is not None and p.domain not in allowed:
        raise Forbidden(f"your roles do not cover the {p.domain} domain", code="domain_forbidden")
    domains = (p.domain,) if p.domain else tuple(d for d in DOMAINS if d in allowed)
    window = resolve(p, interval=p.interval)
    return {"window": window.as_dict(),
            **alert_stats.per_day(ctx(request).store, window, domains)}


def top_assets(request: Request, p: Annotated[AssetsQuery, Query()]) -> dict[str, Any]:
    """The hosts, addresses and accounts security alerts name most, each with
    its alerts per severity."""
    window = resolve(p, align=False)
    fields = tuple(dict.fromkeys(p.field)) or alert_stats.ASSET_FIELDS
    return {"window": window.as_dict(),
            "assets": alert_stats.top_assets(ctx(request).store, window, fields=fields,
                                             size=p.size, severity=list(p.severity) or None)}


def article_series(request: Request, p: Annotated[ArticleSeriesQuery, Query()]) -> dict[str, Any]:
    """Articles and their sentiment per bucket, with the sentiment index
    ``100 * (positive - negative) / total``: over all articles, or one series
    per entity, topic, outlet or author."""
    window = resolve(p, interval=p.interval)
    return {"window": window.as_dict(), "dimension": p.dimension,
            "series": article_stats.series(ctx(request).store, window, p.dimension,
                                           list(p.values) or None, p.size)}


def share_of_voice(request: Request, p: Annotated[ShareQuery, Query()]) -> dict[str, Any]:
    """Each watched entity's (or given value's) share of the mentions, with
    the previous window's count and the negative articles."""
    window = resolve(p, align=False)
    return {"window": window.as_dict(),
            **article_stats.share_of_voice(ctx(request).store, window, p.dimension,
                                           list(p.values) or None, p.size)}


def top_sources(request: Request, p: Annotated[SourcesQuery, Query()]) -> dict[str, Any]:
    """The outlets and authors with most articles in the window, with their
    share of negative articles."""
    window = resolve(p, align=False)
    return {"window": window.as_dict(),
            **article_stats.top_sources(ctx(request).store, window, p.size)}
