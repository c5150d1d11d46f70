"""Fixtures of the API tests: the real app over the shared ``store`` fixture
(SQLite and, when reachable, the live OpenSearch), a user per role and an
ingest key, all made through the same code the service runs."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher

from api.app import create_app
from api.auth import accounts, passwords, tokens
from canhgac.config import Settings, load
from store.base import Store

with warnings.catch_warnings():  # starlette warns about its httpx-based client on import
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

SECRET = "test-signing-key-" + "x" * 40
PASSWORD = "mật khẩu đủ dài 123"
PEOPLE = ("admin", "soc_analyst", "comms", "leader")


@pytest.fixture(autouse=True)
def fast_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cheap argon2 parameters for tests (the algorithm and code path stay the same)."""
    monkeypatch.setattr(passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024,
                                                             parallelism=1))
    monkeypatch.setattr(passwords, "_DUMMY", passwords._hasher.hash("dummy-password"))


def make_settings(tmp_path: Path, **api: Any) -> Settings:
    env = {"CANHGAC_DATA_DIR": str(tmp_path), "CANHGAC_API__SECRET_KEY": SECRET}
    for key, value in api.items():
        env[f"CANHGAC_API__{key.upper()}"] = str(value)
    return load(environ=env)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


def client_for(app: Any) -> TestClient:
    return TestClient(app, raise_server_exceptions=False, client=("203.0.113.9", 50000))


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Store]:
    """An SQLite store: most API tests test the API, not the backend."""
    from store.sqlite import SQLiteStore

    st = SQLiteStore(tmp_path / "api.db")
    st.init()
    try:
        yield st
    finally:
        st.close()


@pytest.fixture
def client(db: Store, settings: Settings) -> Iterator[TestClient]:
    """The app over SQLite."""
    with client_for(create_app(settings, db)) as c:
        yield c


@pytest.fixture
def client_all(store: Store, settings: Settings) -> Iterator[TestClient]:
    """The app over every backend this run reaches (SQLite, live OpenSearch)."""
    with client_for(create_app(settings, store)) as c:
        yield c


@dataclass
class Creds:
    """Authorization headers per role (people: access tokens; ingest: API key)."""

    headers: dict[str, dict[str, str]]
    ingest_key: str

    def __getitem__(self, role: str) -> dict[str, str]:
        return self.headers[role]


def token_for(store: Store, username: str) -> str:
    user = accounts.get_user(store, username)
    assert user is not None
    sid, _refresh, _exp = accounts.open_session(store, user, 1)
    token, _ = tokens.issue(SECRET, user=user["id"], roles=user["roles"], sid=sid, minutes=5)
    return token


def make_creds(store: Store) -> Creds:
    headers = {}
    for role in PEOPLE:
        name = f"u-{role.replace('_', '-')}"
        accounts.create_user(store, name, PASSWORD, [role])
        headers[role] = {"Authorization": f"Bearer {token_for(store, name)}"}
    _rec, key = accounts.create_key(store, "test-shipper", ["ingest"], "test", 1)
    headers["ingest"] = {"Authorization": f"Bearer {key}"}
    return Creds(headers, key)


@pytest.fixture
def creds(db: Store, client: TestClient) -> Creds:
    return make_creds(db)


@pytest.fixture
def creds_all(store: Store, client_all: TestClient) -> Creds:
    return make_creds(store)
