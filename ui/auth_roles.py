"""What each role sees: pages and alert domains (mirrors the API's role table)."""

from __future__ import annotations

ROLE_DOMAINS = {"admin": ("security", "reputation"), "leader": ("security", "reputation"),
                "soc_analyst": ("security",), "comms": ("reputation",)}

PAGE_ROLES: dict[str, tuple[str, ...]] = {
    "overview": ("admin", "leader"),
    "alerts": ("admin", "soc_analyst", "comms", "leader"),
    "search": ("admin", "soc_analyst", "leader"),
    "monitoring": ("admin", "comms", "leader"),
    "rules": ("admin", "soc_analyst"),
    "sources": ("admin", "soc_analyst", "comms"),
}


def domains_for(roles: list[str]) -> list[str]:
    out: list[str] = []
    for r in roles:
        out.extend(d for d in ROLE_DOMAINS.get(r, ()) if d not in out)
    return out


def pages_for(roles: list[str]) -> list[str]:
    """Page keys the holder of ``roles`` may open, in menu order."""
    return [p for p, allowed in PAGE_ROLES.items() if any(r in allowed for r in roles)]
