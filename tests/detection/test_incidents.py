"""Hand-built alerts, a settable clock, a store per backend and module, and
tests of the model's pure functions (shared by the grouping, triage and
suppression tests).

``store`` here shadows the shared fixture of the same name: the same backends
(``tests.conftest.BACKENDS``, built with ``make_store``), but one SQLite file
or engine namespace for all the incident test modules, emptied before each
test, because creating an engine namespace per test (5-7 s on this shared
machine) would take the room's test run far over its budget.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from detection.incidents import (
    InvalidTransition,
    TriageError,
    absorb,
    check_transition,
    entity_of,
    incident_id,
    make_group_key,
    make_title,
    max_severity,
    new_incident,
)
from store.base import Store
from store.query import MatchAll
from tests.conftest import BACKENDS, drop, make_store

T0 = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)  # 08:00 in Cần Thơ
LEVEL_RISK = {"informational": 5, "low": 21, "medium": 47, "high": 73, "critical": 99}


class Clock:
    """A wall clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> datetime:
        self.now += timedelta(**kw)
        return self.now


CLEARED = ("alerts", "incidents", "audit", "rule_state", "dead_letters")


_SHARED: dict[str, Store] = {}


def open_module_store(request, tmp_path_factory) -> Iterator[Store]:
    """Body of each test module's ``module_store`` fixture (params: BACKENDS):
    one store per backend for all the incident test modules, dropped when the
    run ends."""
    backend = request.param
    if backend not in _SHARED:
        st = make_store(backend, tmp_path_factory.mktemp(backend))
        st.init()
        _SHARED[backend] = st
        request.config.add_cleanup(lambda: drop(_SHARED.pop(backend)))
    yield _SHARED[backend]


def emptied(st: Store) -> Store:
    """The module's store, emptied of everything the incident modules write."""
    for name in CLEARED:
        st.delete_by_query(name, MatchAll())
    return st


@pytest.fixture(scope="module", params=BACKENDS)
def module_store(request, tmp_path_factory):
    yield from open_module_store(request, tmp_path_factory)


@pytest.fixture
def store(module_store):
    return emptied(module_store)


def make_alert(n: int, minutes: float = 0, *, rule: str = "ssh-brute", severity: str = "medium",
               host: str | None = "web-1", user: str | None = None, ip: str | None = None,
               domain: str = "security", name: str = "Dò mật khẩu SSH", **extra: Any) -> dict:
    """A Sigma-engine-shaped alert ``minutes`` after T0."""
    at = (T0 + timedelta(minutes=minutes)).isoformat()
    alert: dict[str, Any] = {
        "id": f"alert-{n:04d}", "@timestamp": at, "first_seen": at, "last_seen": at,
        "domain": domain, "status": "open", "severity": severity,
        "risk_score": LEVEL_RISK[severity],
        "rule": {"id": rule, "name": name, "level": severity,
                 "tags": ["attack.credential_access", "attack.t1110"]},
        "threat": {"tactic": {"id": "TA0006"}, "technique": {"id": "T1110"}},
        "event_ids": [f"ev-{n}"], "article_ids": [], "message": f"alert {n}",
        "incident_id": None,
    }
    if host:
        alert["host"] = {"name": host}
    if user:
        alert["user"] = {"name": user}
    if ip:
        alert["source"] = {"ip": ip}
    alert.update(extra)
    return alert


def reputation_alert(n: int, minutes: float = 0, *, story: str = "story-ngap",
                     severity: str = "high", rule: str = "story-spreading") -> dict:
    """A reputation-rule alert about a story spreading (articles, no host)."""
    alert = make_alert(n, minutes, rule=rule, severity=severity, host=None,
                       domain="reputation", name="Tin lan truyền: ngập ở Ninh Kiều")
    alert.update({"story_id": story, "article_ids": [f"art-{n}"], "event_ids": [],
                  "topic": "environment_flooding", "threat": {}})
    return alert


def put_alerts(store, alerts: list[dict]) -> None:
    result = store.bulk("alerts", alerts, mode="create", refresh=True)
    assert result.ok, result.errors


# --- the model's pure functions ---------------------------------------------------------


def test_group_key_and_id_are_deterministic():
    alert = make_alert(1)
    entity = entity_of(alert, ("host.name", "user.name"))
    key = make_group_key("security", "ssh-brute", entity)
    assert key == "security|ssh-brute|host.name=web-1"
    assert incident_id(key, T0) == incident_id(key, T0)
    assert incident_id(key, T0) != incident_id(key, T0 + timedelta(seconds=1))
    assert make_group_key("security", "r", None) == "security|r|-"


def test_entity_falls_back_in_order():
    assert entity_of(make_alert(1, host=None, user="lan"), ("host.name", "user.name")) == \
        ("user.name", "lan")
    assert entity_of(make_alert(1, host=None), ("host.name", "user.name")) is None


def test_title_is_nfc_and_bounded():
    nfd = unicodedata.normalize("NFD", "Đăng nhập quản trị ngoài giờ")
    title = make_title(nfd, ("host.name", "cong-dich-vu-cong"))
    assert title == "Đăng nhập quản trị ngoài giờ · cong-dich-vu-cong"
    assert unicodedata.is_normalized("NFC", title)
    long = make_title("Ư" * 500, None)
    assert len(long) == 200 and long.endswith("…")


def test_absorb_is_idempotent_and_keeps_the_max():
    inc = new_incident(group_key="k", domain="security", rule_id="r", rule_name="R",
                       entity=None, window_start=T0, now=T0)
    assert absorb(inc, make_alert(1, 5, severity="low"))
    assert absorb(inc, make_alert(2, 1, severity="critical", user="lan"))
    assert not absorb(inc, make_alert(2, 1, severity="critical"))
    assert inc["alert_count"] == 2 and inc["severity"] == "critical"
    assert inc["first_seen"] == "2026-11-20T01:01:00.000Z"
    assert inc["last_seen"] == "2026-11-20T01:05:00.000Z"
    assert "user.name=lan" in inc["entities"] and "lan" in inc["entity_values"]
    assert inc["tactics"] == ["TA0006"] and inc["risk_score"] == 99


def test_state_machine():
    check_transition("new", "acknowledged")
    check_transition("resolved", "reopened")
    with pytest.raises(InvalidTransition, match="from 'resolved' to 'acknowledged'"):
        check_transition("resolved", "acknowledged")
    with pytest.raises(InvalidTransition, match="final"):
        check_transition("merged", "reopened")
    with pytest.raises(TriageError, match="unknown status"):
        check_transition("new", "done")
    assert max_severity("low", None, "high", "bogus") == "high"
