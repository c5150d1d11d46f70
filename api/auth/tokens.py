"""Short-lived access tokens: JWT (HS256, PyJWT) naming the user, roles and session.

Why JWT and not opaque tokens: the signature and the expiry are checked
without touching the store, so garbage and expired tokens cost nothing.
Each token still names its session (``sid``) and every request checks that
session is live, so logout, a disabled user or a role change take effect at
once, not when the token expires.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

ALGORITHM = "HS256"
ISSUER = "canhgac"
AUDIENCE = "canhgac-api"


class TokenError(ValueError):
    """The token is malformed, forged, expired or of the wrong type."""


def issue(key: str, *, user: str, roles: list[str], sid: str, minutes: int,
          now: datetime | None = None) -> tuple[str, int]:
    """``(token, lifetime in seconds)``."""
    now = now or datetime.now(UTC)
    claims = {"sub": user, "roles": list(roles), "sid": sid, "typ": "access",
              "iss": ISSUER, "aud": AUDIENCE, "iat": now,
              "exp": now + timedelta(minutes=minutes), "jti": secrets.token_hex(8)}
    return jwt.encode(claims, key, algorithm=ALGORITHM), minutes * 60


def verify(key: str, token: str) -> dict[str, Any]:
    """The claims of a valid access token, else TokenError."""
    try:
        claims = jwt.decode(token, key, algorithms=[ALGORITHM], audience=AUDIENCE, issuer=ISSUER,
                            options={"require": ["exp", "iat", "sub", "sid"]})
    except jwt.ExpiredSignatureError:
        raise TokenError("access token expired") from None
    except jwt.PyJWTError:
        raise TokenError("access token is not valid") from None
    if claims.get("typ") != "access" or not isinstance(claims.get("roles"), list):
        raise TokenError("access token is not valid")
    return claims
