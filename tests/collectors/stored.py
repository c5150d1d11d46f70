"""Reading back what a collector test stored: one field of every event, and
the dead letters."""

from __future__ import annotations

from typing import Any

from store.base import Store


def stored(store: Store, field: str) -> list[Any]:
    """``field`` (dotted) of every stored event, sorted (None where absent)."""
    store.refresh()
    out = []
    for doc in store.scan("events"):
        cur: Any = doc.source
        for part in field.split("."):
            cur = cur.get(part) if isinstance(cur, dict) else None
        out.append(cur)
    return sorted(out, key=str)


def dead(store: Store) -> list[dict[str, Any]]:
    """Every dead letter's document."""
    store.refresh("dead_letters")
    return [d.source for d in store.scan("dead_letters")]
