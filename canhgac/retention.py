"""Retention: remove what is older than each collection's configured age.

Works on every backend through the store contract (batched deletes on
SQLite, delete-by-query on the engine).  On a large engine deployment an
index lifecycle policy (ISM on OpenSearch, ILM or data-stream lifecycle on
Elasticsearch) that drops whole backing indices is cheaper; see
docs/operations.md.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from canhgac.config import RetentionSettings
from store.base import Store
from store.query import Range
from store.schema import collection, format_timestamp

# collection → the setting that says how many days it keeps
KEEP = {
    "events": "events_days",
    "alerts": "alerts_days",
    "incidents": "incidents_days",
    "articles": "articles_days",
    "dead_letters": "dead_letters_days",
    "audit": "audit_days",
}


def cutoffs(settings: RetentionSettings, now: datetime | None = None) -> dict[str, str]:
    """The instant before which each collection's documents go (UTC text)."""
    now = now or datetime.now(UTC)
    out = {}
    for name, key in KEEP.items():
        days = getattr(settings, key)
        if days > 0:
            out[name] = format_timestamp(now - timedelta(days=days))
    return out


def apply(store: Store, settings: RetentionSettings, *, now: datetime | None = None,
          dry_run: bool = False) -> dict[str, Any]:
    """Delete (or, with ``dry_run``, count) expired documents per collection.

    Incidents go by ``last_seen`` when they have one, so an incident still
    collecting alerts is never cut; everything else by its time field.
    """
    report: dict[str, Any] = {}
    for name, cutoff in cutoffs(settings, now).items():
        coll = collection(name)
        field = "last_seen" if name == "incidents" else coll.time_field
        assert field is not None
        query = Range(field, lt=cutoff)
        count = store.count(name, query) if dry_run else store.delete_by_query(name, query)
        report[name] = {"cutoff": cutoff, "field": field,
                        ("would_delete" if dry_run else "deleted"): count}
    return report
