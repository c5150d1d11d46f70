"""The audit log: who did what to which thing, from where, with what outcome."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from fastapi import Request

from store.base import Store
from store.schema import format_timestamp


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def record(store: Store, *, actor: str, action: str, target: str | None = None,
           outcome: str = "success", address: str | None = None,
           details: dict[str, Any] | None = None) -> str:
    """Write one audit entry; returns its id.  Entries are never updated."""
    entry_id = uuid.uuid4().hex
    store.put("audit", {
        "id": entry_id, "@timestamp": format_timestamp(datetime.now(UTC)), "actor": actor,
        "action": action, "target": target, "outcome": outcome, "address": address,
        "details": details or {},
    })  # no forced refresh: failed-login floods must not become engine refresh floods
    return entry_id
