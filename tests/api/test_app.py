"""The skeleton: health, readiness, metrics, error shape, limits, CORS, docs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from api.app import create_app
from tests.api.conftest import client_for, make_settings


def _is_error(body: dict, code: str) -> None:
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code


def test_health_ready_metrics(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ready"
    client.get("/api/v1/alerts")
    text = client.get("/metrics").text
    assert 'canhgac_api_requests_total{method="GET",route="/api/v1/alerts",status="401"}' in text


def test_errors_share_one_shape(client: TestClient, creds) -> None:
    _is_error(client.get("/no/such/path").json(), "not_found")
    _is_error(client.delete("/healthz").json(), "method_not_allowed")
    r = client.get("/api/v1/alerts")
    _is_error(r.json(), "unauthenticated")
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["cache-control"] == "no-store"
    r = client.get("/api/v1/alerts", params={"size": 0}, headers=creds["admin"])
    assert r.status_code == 422
    _is_error(r.json(), "validation_error")
    assert r.json()["error"]["details"][0]["loc"] == ["query", "size"]
    r = client.get("/api/v1/events/nope", headers=creds["admin"])
    assert r.status_code == 404
    _is_error(r.json(), "not_found")


def test_unknown_query_keys_are_refused(client: TestClient, creds) -> None:
    r = client.get("/api/v1/alerts", params={"sevrity": "high"}, headers=creds["admin"])
    assert r.status_code == 422


def test_body_limit(tmp_path: Path, db) -> None:
    settings = make_settings(tmp_path, max_body_bytes=2048)
    with client_for(create_app(settings, db)) as c:
        r = c.post("/api/v1/auth/login", content=b"{" + b" " * 5000 + b"}",
                   headers={"content-type": "application/json"})
        assert r.status_code == 413
        _is_error(r.json(), "payload_too_large")

        def chunks():  # no Content-Length: counted while streaming
            for _ in range(10):
                yield b" " * 1000

        r = c.post("/api/v1/auth/login", content=chunks(),
                   headers={"content-type": "application/json"})
        assert r.status_code == 413


def test_cors_closed_by_default(client: TestClient) -> None:
    r = client.options("/api/v1/alerts", headers={"Origin": "https://evil.example",
                                                  "Access-Control-Request-Method": "GET"})
    assert "access-control-allow-origin" not in r.headers


def test_cors_opens_only_for_listed_origins(tmp_path: Path, db) -> None:
    settings = make_settings(tmp_path, cors_origins='["https://ioc.cantho.example"]')
    with client_for(create_app(settings, db)) as c:
        ok = c.options("/api/v1/alerts", headers={"Origin": "https://ioc.cantho.example",
                                                  "Access-Control-Request-Method": "GET"})
        assert ok.headers["access-control-allow-origin"] == "https://ioc.cantho.example"
        bad = c.options("/api/v1/alerts", headers={"Origin": "https://evil.example",
                                                   "Access-Control-Request-Method": "GET"})
        assert "access-control-allow-origin" not in bad.headers


def test_docs_and_schema(client: TestClient) -> None:
    assert client.get("/docs").status_code == 200
    schema = client.get("/openapi.json").json()
    assert "/api/v1/incidents/{incident_id}/status" in schema["paths"]
    login = schema["paths"]["/api/v1/auth/login"]["post"]
    assert login["tags"] == ["auth"]


def test_docs_work_offline(client: TestClient) -> None:
    """Swagger UI's files come from the API itself, never from a CDN."""
    from api.docs_ui import local_assets

    if local_assets() is None:
        pytest.skip("fastapi-offline is not installed: /docs still loads Swagger UI from a CDN")
    page = client.get("/docs").text
    assert "cdn." not in page and "https://" not in page
    for asset in re.findall(r'(?:src|href)="([^"]+)"', page):
        r = client.get(asset)
        assert r.status_code == 200 and len(r.content) > 1000, asset
    assert client.get("/docs/assets/swagger-ui-bundle.js").headers["content-type"].startswith(
        "text/javascript")
    assert client.get("/docs/assets/nope.js").json()["error"]["code"] == "not_found"
    assert client.get("/docs/oauth2-redirect").status_code == 200


def test_secret_key_generated_once_private(tmp_path: Path) -> None:
    from api.auth.secrets import signing_key
    from canhgac.config import load

    cfg = load(environ={"CANHGAC_DATA_DIR": str(tmp_path / "d")})
    first = signing_key(cfg)
    assert signing_key(cfg) == first and len(first) >= 32
    path = tmp_path / "d" / "api-secret.key"
    assert path.stat().st_mode & 0o777 == 0o600
