"""Login, token lifecycle (expiry, refresh rotation, revocation), API-key
scoping, login rate limiting and the audit entries of failures."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from pathlib import Path

from starlette.testclient import TestClient

from api.app import create_app
from api.auth import accounts, tokens
from store.query import Term
from tests.api.conftest import PASSWORD, SECRET, client_for, make_settings

LOGIN = "/api/v1/auth/login"


def _login(client: TestClient, user: str, password: str = PASSWORD):
    return client.post(LOGIN, json={"username": user, "password": password})


def _audit(db, action: str) -> list[dict]:
    db.refresh("audit")
    return [d.source for d in db.scan("audit", Term("action", action))]


def test_login_me_refresh_logout(client: TestClient, db) -> None:
    accounts.create_user(db, "Tran.Thi.Binh", PASSWORD, ["comms"])
    r = _login(client, "tran.thi.binh")
    assert r.status_code == 200, r.json()
    pair = r.json()
    assert pair["roles"] == ["comms"] and pair["expires_in"] == 15 * 60
    h = {"Authorization": f"Bearer {pair['access_token']}"}
    me = client.get("/api/v1/auth/me", headers=h).json()
    assert me == {"name": "tran.thi.binh", "kind": "user", "roles": ["comms"],
                  "domains": ["reputation"]}
    # refresh rotates: the new pair works, the old refresh token does not
    r2 = client.post("/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert r2.status_code == 200
    new = r2.json()
    assert new["refresh_token"] != pair["refresh_token"]
    h2 = {"Authorization": f"Bearer {new['access_token']}"}
    assert client.get("/api/v1/articles", headers=h2).status_code == 200
    # logout ends the session: access and refresh tokens both stop working
    assert client.post("/api/v1/auth/logout", headers=h2).json()["session_ended"] is True
    assert client.get("/api/v1/articles", headers=h2).status_code == 401
    assert client.get("/api/v1/articles", headers=h).status_code == 401
    r3 = client.post("/api/v1/auth/refresh", json={"refresh_token": new["refresh_token"]})
    assert r3.status_code == 401
    assert r3.json()["error"]["code"] == "invalid_refresh_token"
    assert [e["outcome"] for e in _audit(db, "auth.login")] == ["success"]
    assert len(_audit(db, "auth.logout")) == 1


def test_refresh_token_reuse_ends_the_session(client: TestClient, db) -> None:
    accounts.create_user(db, "le.minh.chau", PASSWORD, ["soc_analyst"])
    pair = _login(client, "le.minh.chau").json()
    new = client.post("/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]}).json()
    stolen = client.post("/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert stolen.status_code == 401
    # the legitimate holder's tokens died with the session
    h = {"Authorization": f"Bearer {new['access_token']}"}
    assert client.get("/api/v1/events", headers=h).status_code == 401


def test_expired_and_forged_tokens(client: TestClient, db) -> None:
    accounts.create_user(db, "pham.quoc.dung", PASSWORD, ["leader"])
    user = accounts.get_user(db, "pham.quoc.dung")
    sid, _, _ = accounts.open_session(db, user, 1)
    old, _ = tokens.issue(SECRET, user=user["id"], roles=user["roles"], sid=sid, minutes=15,
                          now=datetime.now(UTC) - timedelta(minutes=16))
    r = client.get("/api/v1/summary", headers={"Authorization": f"Bearer {old}"})
    assert r.status_code == 401 and "expired" in r.json()["error"]["message"]
    forged, _ = tokens.issue("another-key-" + "y" * 40, user=user["id"], roles=["admin"],
                             sid=sid, minutes=15)
    r = client.get("/api/v1/summary", headers={"Authorization": f"Bearer {forged}"})
    assert r.status_code == 401
    # a token claiming admin on a leader's session still only has the session's roles
    fresh, _ = tokens.issue(SECRET, user=user["id"], roles=["admin"], sid=sid, minutes=15)
    assert client.get("/api/v1/audit",
                      headers={"Authorization": f"Bearer {fresh}"}).status_code == 403


def test_failures_say_the_same_and_are_audited(client: TestClient, db) -> None:
    accounts.create_user(db, "vo.thanh.em", PASSWORD, ["soc_analyst"])
    wrong_pw = _login(client, "vo.thanh.em", "sai mật khẩu rồi")
    no_user = _login(client, "khong.ton.tai", "sai mật khẩu rồi")
    assert wrong_pw.status_code == no_user.status_code == 401
    assert wrong_pw.json() == no_user.json()
    failures = _audit(db, "auth.login")
    assert {e["actor"] for e in failures} == {"vo.thanh.em", "khong.ton.tai"}
    assert all(e["outcome"] == "failure" and e["address"] == "203.0.113.9" for e in failures)
    assert all(PASSWORD not in str(e) and "sai mật khẩu" not in str(e) for e in failures)


def test_disabled_user_is_locked_out_at_once(client: TestClient, db) -> None:
    accounts.create_user(db, "hoang.gia.huy", PASSWORD, ["comms"])
    pair = _login(client, "hoang.gia.huy").json()
    h = {"Authorization": f"Bearer {pair['access_token']}"}
    assert client.get("/api/v1/articles", headers=h).status_code == 200
    accounts.update_user(db, "hoang.gia.huy", disabled=True)
    assert client.get("/api/v1/articles", headers=h).status_code == 401
    assert _login(client, "hoang.gia.huy").status_code == 401
    r = client.post("/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert r.status_code == 401


def test_login_rate_limit_per_user_and_address(tmp_path: Path, db) -> None:
    settings = make_settings(tmp_path, login__per_user=3, login__per_address=5)
    accounts.create_user(db, "nguyen.van.an", PASSWORD, ["soc_analyst"])
    with client_for(create_app(settings, db)) as c:
        for _ in range(3):
            assert _login(c, "nguyen.van.an", "wrong password!").status_code == 401
        limited = _login(c, "nguyen.van.an")  # even the right password waits
        assert limited.status_code == 429
        assert limited.json()["error"]["code"] == "rate_limited"
        assert int(limited.headers["retry-after"]) >= 1
        # the address budget: other names from the same address
        assert _login(c, "a.b", "wrong password!").status_code == 401
        assert _login(c, "c.d", "wrong password!").status_code == 401
        assert _login(c, "e.f", "wrong password!").status_code == 429
    with client_for(create_app(settings, db)) as other:  # the budget is per process
        assert _login(other, "nguyen.van.an").status_code == 200
    assert any(e["outcome"] == "rate_limited" for e in _audit(db, "auth.login"))


def test_api_keys_scoped_expiring_revocable(client: TestClient, db, creds) -> None:
    made = client.post("/api/v1/api-keys", json={"name": "vector-dns", "roles": ["ingest"],
                                                 "days": 30}, headers=creds["admin"])
    assert made.status_code == 201
    key = made.json()["key"]
    assert key.startswith("cgk_")
    listed = client.get("/api/v1/api-keys", headers=creds["admin"]).json()["items"]
    assert key not in str(listed) and any(k["name"] == "vector-dns" for k in listed)
    stored = db.get("api_keys", made.json()["id"]).source
    assert key not in str(stored)
    h = {"Authorization": f"Bearer {key}"}
    assert client.get("/api/v1/alerts", headers=h).status_code == 403  # scoped to ingest
    assert client.get("/", headers=h).status_code == 200
    assert db.get("api_keys", made.json()["id"]).source["last_used"] is not None
    # Elasticsearch-style: ApiKey base64(id:key), as Filebeat sends it
    es = base64.b64encode(f"{made.json()['id']}:{key}".encode()).decode()
    assert client.get("/", headers={"Authorization": f"ApiKey {es}"}).status_code == 200
    kid = made.json()["id"]
    assert client.delete(f"/api/v1/api-keys/{kid}", headers=creds["admin"]).status_code == 200
    assert client.get("/", headers=h).status_code == 401
    # an expired key
    rec, old = accounts.create_key(db, "old", ["ingest"], "t", 1)
    db.update("api_keys", rec["id"], {"expires_at": "2020-01-01T00:00:00.000Z"})
    assert client.get("/", headers={"Authorization": f"Bearer {old}"}).status_code == 401


def test_admin_manages_users(client: TestClient, db, creds) -> None:
    r = client.post("/api/v1/users", json={"username": "do.thi.gia", "password": "ngắn"},
                    headers=creds["admin"])
    assert r.status_code == 422
    r = client.post("/api/v1/users", json={"username": "do.thi.gia", "password": PASSWORD,
                                           "roles": ["leader"]}, headers=creds["admin"])
    assert r.status_code == 201 and "password_hash" not in r.json()
    assert _login(client, "do.thi.gia").status_code == 200
    r = client.patch("/api/v1/users/do.thi.gia", json={"roles": ["comms"]}, headers=creds["admin"])
    assert r.json()["roles"] == ["comms"]
    users = client.get("/api/v1/users", headers=creds["admin"]).json()["items"]
    assert "password_hash" not in str(users)
    assert {a["action"] for a in _audit(db, "user.create") + _audit(db, "user.update")} == {
        "user.create", "user.update"}
