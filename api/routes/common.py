"""Helpers the route modules share: the caller, ids in paths, domain scoping."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, Request

from api.auth.accounts import Principal
from api.auth.deps import authenticate
from api.auth.roles import DOMAINS, domains_of
from api.errors import Forbidden
from store.query import Bool, Exists, Query, Term, Terms

DocId = Annotated[str, Path(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_.:@\-]+$",
                            description="document id", examples=["inc-3f2a9c0d1b7e4a5f6c8d9e0a"])]


def caller(request: Request) -> Principal:
    """The authenticated caller (the route's role check has already run)."""
    return authenticate(request)


def domain_scope(who: Principal, asked: str | None) -> list[Query]:
    """Filters that keep a caller to the domains its roles see."""
    allowed = domains_of(who.roles)
    if asked is not None:
        if asked not in allowed:
            raise Forbidden(f"your roles do not cover the {asked} domain", code="domain_forbidden")
        return [domain_is(asked)]
    if set(allowed) >= set(DOMAINS):
        return []
    if len(allowed) == 1:
        return [domain_is(allowed[0])]
    return [Terms("domain", ["__none__"])]


def domain_is(domain: str) -> Query:
    if domain == "security":  # alerts written before the domain field default to security
        return Bool(should=[Term("domain", "security"), Bool(must_not=[Exists("domain")])])
    return Term("domain", domain)


def check_domain(who: Principal, doc: dict[str, Any]) -> None:
    domain = doc.get("domain") or "security"
    if domain not in domains_of(who.roles):
        raise Forbidden(f"your roles do not cover the {domain} domain", code="domain_forbidden")
