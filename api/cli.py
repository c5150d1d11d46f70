"""``canhgac serve`` (the API under uvicorn) and ``canhgac users`` (accounts and keys)."""

from __future__ import annotations

import json
import os
import sys
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.table import Table

serve_app = typer.Typer(help="Run the API service.", add_completion=False,
                        invoke_without_command=True)
users_app = typer.Typer(help="Users and API keys.", no_args_is_help=True, add_completion=False)
key_app = typer.Typer(help="API keys for machines (shown once, stored hashed).",
                      no_args_is_help=True)
users_app.add_typer(key_app, name="key")

if TYPE_CHECKING:
    from canhgac.config import Settings
    from store.base import Store

console = Console()
err = Console(stderr=True)
PASSWORD_ENV = "CANHGAC_ADMIN_PASSWORD"


def _settings() -> Settings:
    from canhgac.cli import settings

    return settings()


def _store() -> Store:
    from canhgac.cli import open_store

    st = open_store(_settings())
    st.init()
    return st


@serve_app.callback()
def serve(
    host: str | None = typer.Option(None, help="bind address (api.host)"),
    port: int | None = typer.Option(None, help="port (api.port)"),
    workers: int | None = typer.Option(None, min=1, help="worker processes (api.workers)"),
    tls_cert: str | None = typer.Option(None, help="PEM certificate (api.tls_cert)"),
    tls_key: str | None = typer.Option(None, help="PEM key (api.tls_key)"),
) -> None:
    """Serve the API with uvicorn (TLS when a certificate is given); SIGTERM
    finishes in-flight requests within api.graceful_timeout seconds."""
    import uvicorn

    cfg = _settings()
    api = cfg.api
    cert = tls_cert or (str(api.tls_cert) if api.tls_cert else None)
    key = tls_key or (str(api.tls_key) if api.tls_key else None)
    if (cert is None) != (key is None):
        err.print("[red]error:[/red] give both --tls-cert and --tls-key")
        raise typer.Exit(2)
    from api.auth.secrets import SecretKeyError, signing_key

    try:
        signing_key(cfg)  # create the key once, before workers race for it
    except SecretKeyError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    uvicorn.run("api.asgi:app", host=host or api.host, port=port or api.port,
                workers=workers or api.workers, ssl_certfile=cert, ssl_keyfile=key,
                timeout_graceful_shutdown=api.graceful_timeout, proxy_headers=False,
                server_header=False, log_level=cfg.log.level.lower(), lifespan="on")


def _password(stdin: bool) -> str:
    if stdin:
        value = sys.stdin.readline().rstrip("\n")
    elif os.environ.get(PASSWORD_ENV):
        value = os.environ[PASSWORD_ENV]
    else:
        value = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    return value


@users_app.command("create-admin")
def create_admin(
    username: str = typer.Argument("admin"),
    password_stdin: bool = typer.Option(False, "--password-stdin",
                                        help="read the password from standard input"),
) -> None:
    """Create an administrator (password from a prompt, --password-stdin or
    CANHGAC_ADMIN_PASSWORD; there is no default password)."""
    _create(username, ["admin"], password_stdin)


@users_app.command("create")
def create(
    username: str = typer.Argument(...),
    role: list[str] = typer.Option(..., "--role", "-r",
                                   help="admin, soc_analyst, comms or leader (repeatable)"),
    password_stdin: bool = typer.Option(False, "--password-stdin"),
) -> None:
    """Create a user with the given roles."""
    _create(username, role, password_stdin)


def _create(username: str, roles: list[str], password_stdin: bool) -> None:
    from api.auth.accounts import AccountError, create_user

    st = _store()
    try:
        user = create_user(st, username, _password(password_stdin), roles)
    except AccountError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from None
    finally:
        st.close()
    console.print(f"created {user['id']} ({', '.join(user['roles'])})")


@users_app.command("list")
def list_(as_json: bool = typer.Option(False, "--json")) -> None:
    """Users, their roles and whether they are enabled."""
    from api.auth.accounts import list_users

    st = _store()
    try:
        items = list_users(st)
    finally:
        st.close()
    if as_json:
        sys.stdout.write(json.dumps(items, ensure_ascii=False) + "\n")
        return
    table = Table("user", "roles", "disabled", "last login")
    for u in items:
        table.add_row(u["id"], ", ".join(u["roles"]), str(u["disabled"]), str(u["last_login"]))
    console.print(table)


@users_app.command("disable")
def disable(username: str, enable: bool = typer.Option(False, "--enable",
                                                       help="enable again instead")) -> None:
    """Disable a user (ends their sessions at once); --enable undoes it."""
    from api.auth.accounts import AccountError, update_user

    st = _store()
    try:
        update_user(st, username, disabled=not enable)
    except AccountError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from None
    finally:
        st.close()
    console.print(f"{username}: {'enabled' if enable else 'disabled'}")


@key_app.command("create")
def key_create(
    name: str = typer.Argument(..., help="what uses it, e.g. filebeat-fw-trung-tam"),
    role: list[str] = typer.Option(["ingest"], "--role", "-r", help="roles (repeatable)"),
    days: int = typer.Option(365, min=0, help="expiry in days; 0: never"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Create an API key; the key is printed once and cannot be shown again."""
    from api.auth.accounts import AccountError, create_key

    st = _store()
    try:
        record, key = create_key(st, name, role, "cli", days or None)
    except AccountError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from None
    finally:
        st.close()
    if as_json:
        sys.stdout.write(json.dumps({**record, "key": key}) + "\n")
    else:
        console.print(f"key {record['id']} ({', '.join(record['roles'])}); store it now:")
        sys.stdout.write(key + "\n")


@key_app.command("list")
def key_list(as_json: bool = typer.Option(False, "--json")) -> None:
    """API keys (never their secrets)."""
    from api.auth.accounts import list_keys

    st = _store()
    try:
        items = list_keys(st)
    finally:
        st.close()
    if as_json:
        sys.stdout.write(json.dumps(items) + "\n")
        return
    table = Table("id", "name", "roles", "expires", "last used", "revoked")
    for k in items:
        table.add_row(k["id"], k["name"] or "", ", ".join(k["roles"]), str(k["expires_at"]),
                      str(k["last_used"]), str(k["revoked"]))
    console.print(table)


@key_app.command("revoke")
def key_revoke(key_id: str) -> None:
    """Revoke an API key (it stops working at once)."""
    from api.auth.accounts import revoke_key

    st = _store()
    try:
        ok = revoke_key(st, key_id)
    finally:
        st.close()
    if not ok:
        err.print(f"[red]error:[/red] no API key {key_id}")
        raise typer.Exit(1)
    console.print(f"revoked {key_id}")
