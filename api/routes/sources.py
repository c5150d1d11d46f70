"""Sources (what the crawlers and collectors read) and collector health."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any, Literal

from fastapi import Depends, Request
from pydantic import Field, field_validator

from api import audit
from api.auth.accounts import Principal
from api.context import ctx
from api.errors import Conflict, NotFoundError
from api.models import Strict
from api.queries import ts
from api.routes.common import DocId, caller

SourceKind = Literal["rss", "html", "sitemap", "social", "syslog", "file", "pcap", "beats", "other"]


class SourceBody(Strict):
    id: str = Field(min_length=1, max_length=100, pattern=r"^[a-z0-9][a-z0-9_.\-]*$",
                    examples=["baocantho-rss"])
    name: str = Field(min_length=1, max_length=200, examples=["Báo Cần Thơ"])
    kind: SourceKind = "rss"
    url: str | None = Field(default=None, max_length=2000, examples=["https://baocantho.com.vn/rss"])
    enabled: bool = True
    schedule_minutes: int = Field(default=15, ge=1, le=7 * 24 * 60)
    tags: list[str] = Field(default_factory=list, max_length=20)
    config: dict[str, Any] = Field(default_factory=dict)

    @field_validator("url")
    @classmethod
    def _url(cls, v: str | None) -> str | None:
        if v is not None and not re.match(r"^(https?|udp|tcp|file)://\S+$", v):
            raise ValueError("url must be http(s)://, udp://, tcp:// or file://")
        return v


class SourcePatch(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    url: str | None = Field(default=None, max_length=2000)
    enabled: bool | None = None
    schedule_minutes: int | None = Field(default=None, ge=1, le=7 * 24 * 60)
    tags: list[str] | None = Field(default=None, max_length=20)
    config: dict[str, Any] | None = None

    _check_url = field_validator("url")(SourceBody._url.__func__)  # type: ignore[attr-defined]


def list_sources(request: Request) -> dict[str, Any]:
    """Every source with its collector health, when the collector reports one."""
    c = ctx(request)
    health = _health(c.store)
    items = []
    for doc in c.store.scan("sources", page_size=500):
        items.append({**doc.source, "health": health.get(doc.id)})
    return {"items": items}


def _health(store: Any) -> dict[str, dict[str, Any]]:
    out = {}
    for doc in store.scan("checkpoints", page_size=500):
        if doc.id.startswith("health:"):
            out[doc.id.removeprefix("health:")] = doc.source
    return out


def collector_health(request: Request) -> dict[str, Any]:
    """Health documents the collectors and crawlers write (``checkpoints/health:*``)."""
    items = [{**v, "id": k} for k, v in sorted(_health(ctx(request).store).items())]
    return {"items": items}


def create_source(request: Request, body: SourceBody,
                  who: Principal = Depends(caller)) -> dict[str, Any]:
    c = ctx(request)
    if c.store.get("sources", body.id) is not None:
        raise Conflict(f"source {body.id} already exists", code="source_exists")
    now = ts(datetime.now(UTC))
    doc = {**body.model_dump(), "@timestamp": now, "updated_at": now, "updated_by": who.name}
    c.store.put("sources", doc, refresh=True)
    audit.record(c.store, actor=who.name, action="source.create", target=f"sources/{body.id}",
                 address=audit.client_address(request))
    return doc


def update_source(request: Request, source_id: DocId, body: SourcePatch,
                  who: Principal = Depends(caller)) -> dict[str, Any]:
    """Change a source; ``{"enabled": false}`` disables it (sources are never deleted)."""
    c = ctx(request)
    doc = c.store.get("sources", source_id)
    if doc is None:
        raise NotFoundError(f"source {source_id} does not exist")
    changes = body.model_dump(exclude_none=True)
    changes.update({"updated_at": ts(datetime.now(UTC)), "updated_by": who.name})
    c.store.update("sources", source_id, changes, if_version=doc.version, refresh=True)
    audit.record(c.store, actor=who.name, action="source.update", target=f"sources/{source_id}",
                 address=audit.client_address(request),
                 details={"changed": sorted(k for k in changes if k not in ("updated_at",
                                                                             "updated_by"))})
    return {**doc.source, **changes}
