"""Persistence: the storage contract and its backends.

``open_store(settings)`` gives the backend the configuration names; see
``store.base.Store`` for the contract.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from store.base import BulkResult, DocumentError, Store
from store.errors import (
    ConflictError,
    InvalidDocument,
    NotFound,
    QueryError,
    StoreAuthError,
    StoreError,
    StoreUnavailable,
    StoreVersionError,
)

if TYPE_CHECKING:
    from canhgac.config import Settings

__all__ = [
    "BulkResult", "ConflictError", "DocumentError", "InvalidDocument", "NotFound", "QueryError", "Store",
    "StoreAuthError", "StoreError", "StoreUnavailable", "StoreVersionError", "open_store",
]


def open_store(settings: Settings) -> Store:
    """The store the settings describe (SQLite by default)."""
    cfg = settings.store
    if cfg.backend == "sqlite":
        from store.sqlite import SQLiteStore

        return SQLiteStore(settings.sqlite_path, busy_timeout=cfg.busy_timeout)
    from store.engine import EngineStore

    return EngineStore(
        cfg.url or "",
        product=cfg.backend,
        username=cfg.username,
        password=cfg.password.get_secret_value() if cfg.password else None,
        api_key=cfg.api_key.get_secret_value() if cfg.api_key else None,
        verify_certs=cfg.verify_certs,
        ca_certs=str(cfg.ca_certs) if cfg.ca_certs else None,
        namespace=cfg.namespace,
        timeout=cfg.timeout,
    )
