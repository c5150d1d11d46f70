"""What every request handler needs, built once per process by the lifespan."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi import Request

from api.auth.ratelimit import LoginLimiter
from canhgac.config import Settings
from store.base import Store


@dataclass
class AppContext:
    settings: Settings
    store: Store
    signing_key: str
    limiter: LoginLimiter
    triage: Any = None
    extras: dict[str, Any] = field(default_factory=dict)


def ctx(request: Request) -> AppContext:
    """The process's context (set by the lifespan)."""
    return request.app.state.ctx
