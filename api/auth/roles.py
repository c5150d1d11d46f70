"""The roles and the two domains they split the work into.

``admin`` may do everything; ``soc_analyst`` works the security domain,
``comms`` the reputation domain (articles, mentions), ``leader`` reads both,
``ingest`` is for machines that write events and nothing else.
"""

from __future__ import annotations

from typing import Literal

Role = Literal["admin", "soc_analyst", "comms", "leader", "ingest"]
ROLES: tuple[str, ...] = ("admin", "soc_analyst", "comms", "leader", "ingest")
PEOPLE_ROLES: tuple[str, ...] = ("admin", "soc_analyst", "comms", "leader")

Domain = Literal["security", "reputation"]
DOMAINS: tuple[str, ...] = ("security", "reputation")

# What each role may see of alerts and incidents.
ROLE_DOMAINS: dict[str, tuple[str, ...]] = {
    "admin": DOMAINS, "leader": DOMAINS, "soc_analyst": ("security",),
    "comms": ("reputation",), "ingest": (),
}


def domains_of(roles: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """The domains a holder of ``roles`` may see."""
    seen: list[str] = []
    for role in roles:
        for d in ROLE_DOMAINS.get(role, ()):
            if d not in seen:
                seen.append(d)
    return tuple(seen)


def check_roles(roles: list[str] | tuple[str, ...]) -> list[str]:
    """Reject unknown role names; keep order, drop duplicates."""
    out: list[str] = []
    for r in roles:
        if r not in ROLES:
            raise ValueError(f"unknown role {r!r}; known: {', '.join(ROLES)}")
        if r not in out:
            out.append(r)
    if not out:
        raise ValueError("at least one role is needed")
    return out
