"""Login, token refresh, logout and who-am-I."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Request
from pydantic import BaseModel, Field

from api import audit
from api.auth import accounts, tokens
from api.auth.accounts import AccountError, Principal
from api.context import ctx
from api.errors import TooManyRequests, Unauthenticated
from api.models import Strict
from api.routes.common import caller

BAD_LOGIN = "user name or password is not valid"


class LoginBody(Strict):
    username: str = Field(min_length=1, max_length=200, examples=["nguyen.van.an"])
    password: str = Field(min_length=1, max_length=1024, examples=["a long passphrase"])


class RefreshBody(Strict):
    refresh_token: str = Field(min_length=1, max_length=512)


class TokenPair(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int = Field(description="access token lifetime, seconds")
    refresh_token: str
    refresh_expires_at: str | None = None
    roles: list[str]


def _tokens(request: Request, user: str, roles: list[str], sid: str,
            refresh: str, refresh_expires: str | None) -> TokenPair:
    c = ctx(request)
    access, lifetime = tokens.issue(c.signing_key, user=user, roles=roles, sid=sid,
                                    minutes=c.settings.api.access_token_minutes)
    return TokenPair(access_token=access, expires_in=lifetime, refresh_token=refresh,
                     refresh_expires_at=refresh_expires, roles=roles)


def login(request: Request, body: LoginBody) -> TokenPair:
    """Exchange a user name and password for an access token and a refresh token.

    Failures say the same thing whichever half was wrong; too many failures
    for one user name or one address get 429 with ``Retry-After``."""
    c = ctx(request)
    address = audit.client_address(request)
    key = body.username.strip().lower()
    wait = c.limiter.retry_after(key, address)
    if wait:
        audit.record(c.store, actor=key[:200], action="auth.login", outcome="rate_limited",
                     address=address)
        raise TooManyRequests("too many failed logins; wait and try again", wait)
    user = accounts.authenticate(c.store, body.username, body.password)
    if user is None:
        c.limiter.failed(key, address)
        audit.record(c.store, actor=key[:200], action="auth.login", outcome="failure",
                     address=address, details={"reason": "invalid credentials"})
        raise Unauthenticated(BAD_LOGIN, code="invalid_credentials")
    c.limiter.succeeded(key)
    sid, refresh, expires = accounts.open_session(c.store, user, c.settings.api.refresh_token_days)
    audit.record(c.store, actor=user["id"], action="auth.login", address=address,
                 target=f"sessions/{sid}")
    return _tokens(request, user["id"], user["roles"], sid, refresh,
                   expires.strftime("%Y-%m-%dT%H:%M:%SZ"))


def refresh(request: Request, body: RefreshBody) -> TokenPair:
    """A new access token and a new refresh token (the old one stops working;
    presenting it again ends the session)."""
    c = ctx(request)
    try:
        sess, new_refresh = accounts.rotate_refresh(c.store, body.refresh_token)
    except AccountError:
        audit.record(c.store, actor="unknown", action="auth.refresh", outcome="failure",
                     address=audit.client_address(request))
        raise Unauthenticated("refresh token is not valid", code="invalid_refresh_token") from None
    sid = sess["id"].removeprefix("s_")
    return _tokens(request, sess["user"], list(sess["roles"]), sid, new_refresh,
                   sess.get("expires_at"))


def logout(request: Request, who: Principal = Depends(caller)) -> dict[str, Any]:
    """End the caller's session: its access and refresh tokens stop working."""
    c = ctx(request)
    ended = False
    if who.kind == "user":
        ended = accounts.revoke_session(c.store, who.credential_id)
    audit.record(c.store, actor=who.name, action="auth.logout", address=audit.client_address(request),
                 target=f"sessions/{who.credential_id}")
    return {"ok": True, "session_ended": ended}


def me(who: Principal = Depends(caller)) -> dict[str, Any]:
    """Who the credentials belong to and what they may do."""
    from api.auth.roles import domains_of

    return {"name": who.name, "kind": who.kind, "roles": list(who.roles),
            "domains": list(domains_of(who.roles))}
