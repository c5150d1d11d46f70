"""The role matrix: walk EVERY route of the app; a wrong role gets 403, no
credentials get 401, an allowed role gets past the door (neither)."""

from __future__ import annotations

import re

import pytest
from fastapi.routing import APIRoute
from starlette.testclient import TestClient

from api.auth import accounts
from api.auth.deps import Require
from api.auth.roles import ROLES
from api.routes import ROUTES
from tests.api.conftest import PASSWORD, token_for

PUBLIC = {("GET", "/healthz"), ("GET", "/readyz"), ("GET", "/metrics"),
          ("POST", "/api/v1/auth/login"), ("POST", "/api/v1/auth/refresh")}
DOCS = {"/openapi.json", "/docs", "/docs/oauth2-redirect", "/docs/assets"}


def _declared(route: APIRoute) -> tuple[str, ...] | None:
    for dep in route.dependant.dependencies:
        if isinstance(dep.call, Require):
            return dep.call.roles
    return None


def _walk(app) -> list[tuple[str, str, tuple[str, ...] | None]]:
    out = []
    for route in app.routes:
        if not isinstance(route, APIRoute):
            assert route.path in DOCS, f"unexpected non-API route {route.path}"
            continue
        for method in route.methods:
            out.append((method, route.path, _declared(route)))
    return out


def _url(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x1", path)


def _headers(store, creds, role: str) -> dict[str, str]:
    if role == "ingest":
        return creds["ingest"]
    return {"Authorization": f"Bearer {token_for(store, 'u-' + role.replace('_', '-'))}"}


def test_every_route_is_in_the_table_and_declares_roles(client: TestClient) -> None:
    walked = _walk(client.app)
    assert len(walked) == len(ROUTES)
    for method, path, roles in walked:
        if (method, path) in PUBLIC:
            assert roles is None, f"{method} {path} is public but declares roles"
        else:
            assert roles and roles[0] == "admin", f"{method} {path} declares no roles"


def test_role_matrix(client_all: TestClient, creds_all, store) -> None:
    client, creds = client_all, creds_all
    checked = 0
    for method, path, roles in _walk(client.app):
        if roles is None:
            continue
        url = _url(path)
        body = {"json": {}} if method in ("POST", "PUT", "PATCH") else {}
        r = client.request(method, url, **body)
        assert r.status_code == 401, (method, path, r.status_code)
        assert r.json()["error"]["code"] == "unauthenticated"
        for role in ROLES:
            r = client.request(method, url, headers=_headers(store, creds, role), **body)
            if role in roles:
                assert r.status_code not in (401, 403), (method, path, role, r.json())
            else:
                assert r.status_code == 403, (method, path, role, r.status_code)
                assert r.json()["error"]["code"] == "forbidden"
            checked += 1
    assert checked >= 5 * 40


@pytest.mark.parametrize("header", ["Bearer", "Bearer not-a-token", "Basic Zm9vOmJhcg==",
                                    "Digest abc", "ApiKey !!!", "Bearer cgk_00_zz",
                                    "Bearer cgk_0123456789abcdef_wrong"])
def test_bad_credentials_are_401(client: TestClient, creds, header: str) -> None:
    r = client.get("/api/v1/alerts", headers={"Authorization": header})
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "unauthenticated"


def test_user_with_two_roles_gets_both(client: TestClient, db) -> None:
    accounts.create_user(db, "hai-vai", PASSWORD, ["soc_analyst", "comms"])
    h = {"Authorization": f"Bearer {token_for(db, 'hai-vai')}"}
    assert client.get("/api/v1/events", headers=h).status_code == 200
    assert client.get("/api/v1/articles", headers=h).status_code == 200
    assert client.get("/api/v1/summary", headers=h).status_code == 403
    assert client.get("/api/v1/overview", headers=h).json()["domains"] == ["security",
                                                                           "reputation"]
