"""Users, login sessions and API keys, kept in the store.

- ``users``: one document per person, ``id`` = lower-case user name, an
  argon2id ``password_hash``, ``roles`` and ``disabled``.
- ``api_keys`` holds two kinds of credential, told apart by ``kind``:
  ``session`` (one per login: the SHA-256 of the current refresh secret,
  rotated on every refresh, ``revoked`` on logout) and ``api_key`` (a machine
  key: SHA-256 of its secret, ``roles`` it is scoped to, ``expires_at``,
  ``last_used``).  Secrets are random 256-bit strings, so a fast hash is
  enough for them; passwords, chosen by people, get argon2id.

Tokens given out: refresh ``<session id>.<secret>`` and API key
``cgk_<key id>_<secret>``; only their hashes are stored, each shown once.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from api.auth import passwords
from api.auth.roles import check_roles
from store.base import Store
from store.errors import ConflictError, NotFound
from store.query import Bool, Term
from store.schema import format_timestamp, parse_timestamp

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{1,63}$")
KEY_PREFIX = "cgk_"
LAST_USED_EVERY = timedelta(seconds=60)


class AccountError(ValueError):
    """A user or key operation that cannot be done (the message says why)."""


@dataclass(frozen=True)
class Principal:
    """Who is calling: a person's session or a machine key."""

    name: str
    roles: tuple[str, ...]
    kind: str  # "user" | "api_key"
    credential_id: str


def _now() -> datetime:
    return datetime.now(UTC)


def _ts(dt: datetime) -> str:
    return format_timestamp(dt)


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def normalise_username(name: str) -> str:
    name = name.strip().lower()
    if not USERNAME.match(name):
        raise AccountError("a user name is 2-64 characters: a-z 0-9 . _ @ - (starting alphanumeric)")
    return name


# -- users -----------------------------------------------------------------------------


def create_user(store: Store, username: str, password: str, roles: list[str]) -> dict[str, Any]:
    """Create a user; refuses an existing name and short passwords."""
    name = normalise_username(username)
    try:
        roles = check_roles(roles)
        pw_hash = passwords.hash_password(password)
    except ValueError as exc:
        raise AccountError(str(exc)) from None
    if "ingest" in roles:
        raise AccountError("ingest is a machine role: give it to an API key, not a user")
    if store.get("users", name) is not None:
        raise AccountError(f"user {name} already exists")
    now = _ts(_now())
    doc = {"id": name, "username": name, "password_hash": pw_hash, "roles": roles,
           "disabled": False, "@timestamp": now, "updated_at": now, "last_login": None}
    store.put("users", doc, refresh=True)
    return public_user(doc)


def public_user(doc: dict[str, Any]) -> dict[str, Any]:
    """A user document without its password hash."""
    return {k: doc.get(k) for k in ("id", "username", "roles", "disabled", "@timestamp",
                                     "updated_at", "last_login")}


def list_users(store: Store) -> list[dict[str, Any]]:
    return [public_user(d.source) for d in store.scan("users", page_size=500)]


def get_user(store: Store, username: str) -> dict[str, Any] | None:
    try:
        name = normalise_username(username)
    except AccountError:
        return None
    doc = store.get("users", name)
    return doc.source if doc else None


def update_user(store: Store, username: str, *, roles: list[str] | None = None,
                disabled: bool | None = None, password: str | None = None) -> dict[str, Any]:
    """Change roles, enable/disable or reset the password; any change of
    roles, status or password ends the user's sessions."""
    name = normalise_username(username)
    doc = store.get("users", name)
    if doc is None:
        raise AccountError(f"no user {name}")
    changes: dict[str, Any] = {"updated_at": _ts(_now())}
    try:
        if roles is not None:
            changes["roles"] = check_roles(roles)
            if "ingest" in changes["roles"]:
                raise AccountError("ingest is a machine role: give it to an API key")
        if password is not None:
            changes["password_hash"] = passwords.hash_password(password)
    except ValueError as exc:
        raise AccountError(str(exc)) from None
    if disabled is not None:
        changes["disabled"] = disabled
    store.update("users", name, changes, if_version=doc.version, refresh=True)
    revoke_sessions(store, name)
    return public_user({**doc.source, **changes})


def authenticate(store: Store, username: str, password: str) -> dict[str, Any] | None:
    """The user document when name and password match and the user is enabled.
    The same work is done whichever half is wrong."""
    doc = get_user(store, username)
    ok = passwords.verify_password(doc.get("password_hash") if doc else None, password)
    if not ok or doc is None or doc.get("disabled"):
        return None
    return doc


# -- sessions (refresh tokens) -----------------------------------------------------------


def open_session(store: Store, user: dict[str, Any], days: int) -> tuple[str, str, datetime]:
    """Start a session; returns ``(session id, refresh token, expiry)``."""
    sid = secrets.token_hex(16)
    secret = secrets.token_urlsafe(32)
    now = _now()
    expires = now + timedelta(days=days)
    store.put("api_keys", {
        "id": f"s_{sid}", "kind": "session", "user": user["id"], "roles": user["roles"],
        "refresh_hash": sha256(secret), "@timestamp": _ts(now), "expires_at": _ts(expires),
        "revoked": False, "last_used": _ts(now)}, refresh=True)
    store.update("users", user["id"], {"last_login": _ts(now)})
    return sid, f"{sid}.{secret}", expires


def session(store: Store, sid: str) -> dict[str, Any] | None:
    """The live session with this id, or None (unknown, revoked, expired)."""
    if not re.fullmatch(r"[0-9a-f]{32}", sid or ""):
        return None
    doc = store.get("api_keys", f"s_{sid}")
    if doc is None or doc.source.get("kind") != "session" or doc.source.get("revoked"):
        return None
    if parse_timestamp(doc.source["expires_at"]) <= _now():
        return None
    return doc.source


def rotate_refresh(store: Store, token: str) -> tuple[dict[str, Any], str]:
    """Swap a refresh token for a new one; returns ``(session, new token)``.

    A refresh token used twice (a stolen copy) revokes the whole session."""
    sid, _, secret = (token or "").partition(".")
    sess = session(store, sid)
    if sess is None or not secret:
        raise AccountError("refresh token is not valid")
    if not hmac.compare_digest(sess["refresh_hash"], sha256(secret)):
        revoke_session(store, sid)
        raise AccountError("refresh token is not valid")
    user = get_user(store, sess["user"])
    if user is None or user.get("disabled"):
        revoke_session(store, sid)
        raise AccountError("refresh token is not valid")
    new_secret = secrets.token_urlsafe(32)
    store.update("api_keys", f"s_{sid}", {"refresh_hash": sha256(new_secret),
                                          "roles": user["roles"], "last_used": _ts(_now())},
                 refresh=True)
    return {**sess, "roles": user["roles"]}, f"{sid}.{new_secret}"


def revoke_session(store: Store, sid: str) -> bool:
    doc = store.get("api_keys", f"s_{sid}")
    if doc is None or doc.source.get("kind") != "session":
        return False
    store.update("api_keys", f"s_{sid}", {"revoked": True, "revoked_at": _ts(_now())},
                 refresh=True)
    return True


def revoke_sessions(store: Store, username: str) -> int:
    """End every live session of a user (role change, disable, password reset)."""
    n = 0
    query = Bool(filter=[Term("kind", "session"), Term("user", username),
                         Term("revoked", False)])
    for doc in list(store.scan("api_keys", query)):
        store.update("api_keys", doc.id, {"revoked": True, "revoked_at": _ts(_now())})
        n += 1
    store.refresh("api_keys")
    return n


# -- API keys ----------------------------------------------------------------------------


def create_key(store: Store, name: str, roles: list[str], owner: str,
               days: int | None) -> tuple[dict[str, Any], str]:
    """A new machine key; returns ``(public record, the key)`` (shown once)."""
    try:
        roles = check_roles(roles)
    except ValueError as exc:
        raise AccountError(str(exc)) from None
    if not name.strip() or len(name) > 100:
        raise AccountError("a key needs a name of 1-100 characters")
    kid = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    now = _now()
    doc = {"id": f"k_{kid}", "kind": "api_key", "name": name.strip(), "roles": roles,
           "owner": owner, "key_hash": sha256(secret), "@timestamp": _ts(now),
           "expires_at": _ts(now + timedelta(days=days)) if days else None,
           "revoked": False, "last_used": None}
    store.put("api_keys", doc, refresh=True)
    return public_key(doc), f"{KEY_PREFIX}{kid}_{secret}"


def public_key(doc: dict[str, Any]) -> dict[str, Any]:
    return {"id": doc["id"], "name": doc.get("name"), "roles": doc.get("roles", []),
            "owner": doc.get("owner"), "created_at": doc.get("@timestamp"),
            "expires_at": doc.get("expires_at"), "revoked": bool(doc.get("revoked")),
            "last_used": doc.get("last_used")}


def list_keys(store: Store) -> list[dict[str, Any]]:
    return [public_key(d.source) for d in store.scan("api_keys", Term("kind", "api_key"))]


def revoke_key(store: Store, key_id: str) -> bool:
    kid = key_id if key_id.startswith("k_") else f"k_{key_id}"
    doc = store.get("api_keys", kid)
    if doc is None or doc.source.get("kind") != "api_key":
        return False
    store.update("api_keys", kid, {"revoked": True, "revoked_at": _ts(_now())}, refresh=True)
    return True


def split_key(key: str) -> tuple[str, str] | None:
    """``cgk_<id>_<secret>`` → ``(id, secret)``."""
    if not key.startswith(KEY_PREFIX):
        return None
    kid, sep, secret = key[len(KEY_PREFIX):].partition("_")
    if not sep or not re.fullmatch(r"[0-9a-f]{16}", kid) or not secret:
        return None
    return kid, secret


def check_key(store: Store, kid: str, secret: str) -> Principal | None:
    """The principal of a live key whose secret matches, else None; records
    ``last_used`` (at most once a minute, so reads stay cheap)."""
    if not re.fullmatch(r"[0-9a-f]{16}", kid):
        return None
    doc = store.get("api_keys", f"k_{kid}")
    if doc is None:
        return None
    src = doc.source
    if src.get("kind") != "api_key" or src.get("revoked"):
        return None
    if not hmac.compare_digest(src.get("key_hash", ""), sha256(secret)):
        return None
    now = _now()
    if src.get("expires_at") and parse_timestamp(src["expires_at"]) <= now:
        return None
    last = src.get("last_used")
    if last is None or now - parse_timestamp(last) >= LAST_USED_EVERY:
        # A concurrent request may have recorded it first: that is fine.
        with contextlib.suppress(ConflictError, NotFound):
            store.update("api_keys", doc.id, {"last_used": _ts(now)}, if_version=doc.version)
    return Principal(name=f"key:{src.get('name')}", roles=tuple(src.get("roles", ())),
                     kind="api_key", credential_id=doc.id)
