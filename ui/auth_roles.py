"""What each role sees: pages and alert domains (mirrors the API's role table)."""

from __future__ import annotations

ROLE_DOMAINS = {"admin": ("security", "reputation"), "leader": ("security", "reputation"),
                "soc_analyst": ("security",), "comms": ("reputation",)}

PAGE_ROLES: dict[str, tuple[str, ...]] = {
    "overview": ("admin", "leader", "soc_analyst", "comms"),
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


# Where a role starts: leaders on the one screen, analysts and communications
# staff on their queue (the overview is one click away).
HOME: dict[str, str] = {"admin": "overview", "leader": "overview", "soc_analyst": "alerts",
                        "comms": "alerts"}


def pages_for(roles: list[str]) -> list[str]:
    """Page keys the holder of ``roles`` may open, in menu order."""
    return [p for p, allowed in PAGE_ROLES.items() if any(r in allowed for r in roles)]


def home_page(roles: list[str]) -> str | None:
    """The page shown after login: the overview when any role starts there,
    else the first role's home, else the first page the roles may open."""
    pages = pages_for(roles)
    homes = [HOME[r] for r in roles if HOME.get(r) in pages]
    if "overview" in homes:
        return "overview"
    return homes[0] if homes else (pages[0] if pages else None)
