"""Users and API keys (admin)."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Request
from pydantic import Field

from api import audit
from api.auth import accounts
from api.auth.accounts import AccountError, Principal
from api.auth.roles import Role
from api.context import ctx
from api.errors import BadRequest, NotFoundError
from api.models import Strict
from api.routes.common import DocId, caller


class NewUser(Strict):
    username: str = Field(min_length=2, max_length=64, examples=["tran.thi.binh"])
    password: str = Field(min_length=12, max_length=1024)
    roles: list[Role] = Field(min_length=1, max_length=5, examples=[["comms"]])


class UserChange(Strict):
    roles: list[Role] | None = Field(default=None, min_length=1, max_length=5)
    disabled: bool | None = None
    password: str | None = Field(default=None, min_length=12, max_length=1024)


class NewKey(Strict):
    name: str = Field(min_length=1, max_length=100, examples=["filebeat-fw-trung-tam"])
    roles: list[Role] = Field(min_length=1, max_length=5, examples=[["ingest"]])
    days: int | None = Field(default=365, ge=1, le=3650, description="expiry; null: never")


def list_users(request: Request) -> dict[str, Any]:
    """Every user (no password hashes)."""
    return {"items": accounts.list_users(ctx(request).store)}


def create_user(request: Request, body: NewUser,
                who: Principal = Depends(caller)) -> dict[str, Any]:
    c = ctx(request)
    try:
        user = accounts.create_user(c.store, body.username, body.password, list(body.roles))
    except AccountError as exc:
        raise BadRequest(str(exc), code="invalid_user") from None
    audit.record(c.store, actor=who.name, action="user.create", target=f"users/{user['id']}",
                 address=audit.client_address(request), details={"roles": user["roles"]})
    return user


def update_user(request: Request, username: DocId, body: UserChange,
                who: Principal = Depends(caller)) -> dict[str, Any]:
    """Change roles, disable/enable or reset a password; ends the user's sessions."""
    c = ctx(request)
    if accounts.get_user(c.store, username) is None:
        raise NotFoundError(f"no user {username[:64]}")
    try:
        user = accounts.update_user(c.store, username, roles=body.roles, disabled=body.disabled,
                                    password=body.password)
    except AccountError as exc:
        raise BadRequest(str(exc), code="invalid_user") from None
    changed = [k for k in ("roles", "disabled", "password") if getattr(body, k) is not None]
    audit.record(c.store, actor=who.name, action="user.update", target=f"users/{user['id']}",
                 address=audit.client_address(request), details={"changed": changed})
    return user


def list_keys(request: Request) -> dict[str, Any]:
    """Every API key (never the secret)."""
    return {"items": accounts.list_keys(ctx(request).store)}


def create_key(request: Request, body: NewKey, who: Principal = Depends(caller)) -> dict[str, Any]:
    """A new machine key; ``key`` is shown this once and never again."""
    c = ctx(request)
    try:
        record, key = accounts.create_key(c.store, body.name, list(body.roles), who.name, body.days)
    except AccountError as exc:
        raise BadRequest(str(exc), code="invalid_key") from None
    audit.record(c.store, actor=who.name, action="api_key.create", target=f"api_keys/{record['id']}",
                 address=audit.client_address(request), details={"roles": record["roles"]})
    return {**record, "key": key}


def revoke_key(request: Request, key_id: DocId, who: Principal = Depends(caller)) -> dict[str, Any]:
    c = ctx(request)
    if not accounts.revoke_key(c.store, key_id[:64]):
        raise NotFoundError(f"no API key {key_id[:64]}")
    audit.record(c.store, actor=who.name, action="api_key.revoke", target=f"api_keys/{key_id[:64]}",
                 address=audit.client_address(request))
    return {"ok": True}
