"""Authentication of each request and the role every route declares.

A route states who may call it with ``who: Principal = Depends(Require(...))``
(``admin`` is always allowed).  ``tests/api/test_roles.py`` walks every
route of the app, reads these declarations and proves the matrix holds.

Accepted credentials (``Authorization`` header):

- ``Bearer <access token>`` from ``/api/v1/auth/login`` (people);
- ``Bearer cgk_...`` or ``ApiKey <key>`` (machines);
- ``ApiKey base64(id:key)`` and ``Basic base64(id:key)``, what Elasticsearch
  shippers (Filebeat, Vector, Logstash) send for an API key.
"""

from __future__ import annotations

import base64
import binascii

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.auth import accounts, tokens
from api.auth.accounts import Principal
from api.context import ctx
from api.errors import Forbidden, Unauthenticated

bearer = HTTPBearer(auto_error=False, description="access token or API key (cgk_...)")


def _key_principal(request: Request, kid: str, secret: str) -> Principal:
    if kid.startswith("k_"):
        kid = kid[2:]
    parts = accounts.split_key(secret)
    if parts is not None:  # the whole key given as the secret half
        if parts[0] != kid:
            raise Unauthenticated("credentials are not valid")
        secret = parts[1]
    p = accounts.check_key(ctx(request).store, kid, secret)
    if p is None:
        raise Unauthenticated("credentials are not valid")
    return p


def _from_header(request: Request, header: str) -> Principal:
    scheme, _, value = header.strip().partition(" ")
    scheme, value = scheme.lower(), value.strip()
    c = ctx(request)
    if not value:
        raise Unauthenticated("credentials are not valid")
    if scheme in ("bearer", "apikey") and value.startswith(accounts.KEY_PREFIX):
        parts = accounts.split_key(value)
        if parts is None:
            raise Unauthenticated("credentials are not valid")
        return _key_principal(request, *parts)
    if scheme in ("apikey", "basic"):
        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise Unauthenticated("credentials are not valid") from None
        kid, sep, secret = decoded.partition(":")
        if not sep:
            raise Unauthenticated("credentials are not valid")
        return _key_principal(request, kid, secret)
    if scheme != "bearer":
        raise Unauthenticated("unsupported authorization scheme")
    try:
        claims = tokens.verify(c.signing_key, value)
    except tokens.TokenError as exc:
        raise Unauthenticated(str(exc)) from None
    sess = accounts.session(c.store, str(claims["sid"]))
    if sess is None or sess.get("user") != claims["sub"]:
        raise Unauthenticated("session ended; log in again")
    return Principal(name=str(claims["sub"]), roles=tuple(sess.get("roles", ())), kind="user",
                     credential_id=str(claims["sid"]))


def authenticate(request: Request) -> Principal:
    """The caller, or Unauthenticated (memoised on the request)."""
    cached = getattr(request.state, "principal", None)
    if cached is not None:
        return cached
    header = request.headers.get("authorization")
    if not header:
        raise Unauthenticated()
    principal = _from_header(request, header)
    request.state.principal = principal
    return principal


class Require:
    """A route's role declaration, usable as a dependency."""

    def __init__(self, *roles: str) -> None:
        self.roles: tuple[str, ...] = ("admin", *(r for r in roles if r != "admin"))

    def __call__(self, request: Request,
                 _creds: HTTPAuthorizationCredentials | None = Depends(bearer)) -> Principal:
        principal = authenticate(request)
        if not set(principal.roles) & set(self.roles):
            raise Forbidden(f"this needs one of the roles: {', '.join(self.roles)}")
        return principal

    def __repr__(self) -> str:
        return f"Require{self.roles}"


# The declarations used across the routes, named for what they allow.
ADMIN = Require("admin")
SECURITY_READ = Require("soc_analyst", "leader")
SECURITY_WRITE = Require("soc_analyst")
REPUTATION_READ = Require("comms", "leader")
REPUTATION_WRITE = Require("comms")
ANY_READ = Require("soc_analyst", "comms", "leader")
TRIAGE = Require("soc_analyst", "comms")
LEADER = Require("leader")
INGEST = Require("ingest")
ANY_PERSON = Require("soc_analyst", "comms", "leader")
