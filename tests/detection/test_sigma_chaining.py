"""Correlations over correlations (Sigma v2 chaining) on every backend: the
rule pack's "SSH brute force followed by a successful login" fed with auth-log
lines through the real sshd parser, its near misses, passes and restarts; and
the loader's handling of references across files, cycles and group-by fields
a chained firing cannot carry."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from collectors.parsers import auth
from collectors.record import RecordContext
from detection.sigma.loader import load_rules
from detection.sigma.runner import SigmaDetector
from store.query import Term
from store.sqlite import SQLiteStore
from tests.detection.fixtures.events import SSHD_RULE, T0

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
LINUX = Path(__file__).resolve().parents[2] / "rules" / "sigma" / "linux"
CHAIN = "0c1b9a52-6c1e-4d8e-9a51-3f3e0b7b1a04"
BRUTE = "0c1b9a52-6c1e-4d8e-9a51-3f3e0b7b1a02"
SUCCESS = "0c1b9a52-6c1e-4d8e-9a51-3f3e0b7b1a03"


class AuthLog:
    """Auth-log lines (written here) turned into events by the collectors' parser."""

    def __init__(self) -> None:
        self.offset = 0

    def line(self, at: float, text: str) -> dict[str, Any]:
        when = T0 + timedelta(seconds=at)
        raw = f"{when:%b} {when.day:2d} {when:%H:%M:%S} gw-01 sshd[{4000 + self.offset}]: {text}"
        ctx = RecordContext("file:/var/log/auth.log", offset=self.offset, received=when)
        self.offset += len(raw) + 1
        doc = auth.parse(raw, ctx)[0]
        doc["event"]["ingested"] = doc["@timestamp"]  # arrival = event time, for passes
        return doc

    def failures(self, ip: str, n: int, start: float, every: float = 2) -> list[dict]:
        return [self.line(start + i * every, f"Failed password for root from {ip} "
                                             f"port {40000 + i} ssh2") for i in range(n)]

    def success(self, ip: str, at: float, user: str = "quantri") -> dict:
        return self.line(at, f"Accepted password for {user} from {ip} port 51090 ssh2")


def alerts_of(store, rule: str) -> list[dict]:
    store.refresh("alerts")
    return sorted((d.source for d in store.scan("alerts", Term("rule.id", rule))),
                  key=lambda a: (a.get("source", {}).get("ip", ""), a["first_seen"]))


def run(store, events: list[dict], minutes: float = 120) -> SigmaDetector:
    store.bulk("events", events, mode="create", refresh=True)
    det = SigmaDetector(store, load_rules([LINUX]), lookback_seconds=4 * 3600)
    res = det.run_once(now=T0 + timedelta(minutes=minutes))
    assert not res.broken
    return det


def test_pack_rules_load_and_chain(tmp_path: Path) -> None:
    rs = load_rules([LINUX])
    assert not rs.errors
    assert {BRUTE, CHAIN} <= set(rs.correlations)
    store = SQLiteStore(tmp_path / "s.db")
    store.init()
    try:
        det = SigmaDetector(store, rs)
    finally:
        store.close()
    assert CHAIN not in det.corr_unsupported
    assert det.corr_base[CHAIN] == [BRUTE, SUCCESS]
    assert det.reach(CHAIN) == timedelta(minutes=32)
    assert det.leaves(CHAIN) == {SUCCESS, "0c1b9a52-6c1e-4d8e-9a51-3f3e0b7b1a01"}


def test_bruteforce_then_success_fires_once(store) -> None:
    log = AuthLog()
    events = log.failures("203.0.113.9", 30, start=0)  # dozens of failures in a minute
    events.append(log.success("203.0.113.9", at=5 * 60))  # then in, five minutes later
    run(store, events)
    chain = alerts_of(store, CHAIN)
    assert [a["source"]["ip"] for a in chain] == ["203.0.113.9"]
    alert = chain[0]
    assert alert["rule"]["level"] == "critical" and alert["kind"] == "correlation"
    assert {"T1110", "T1078"} <= set(alert["threat"]["technique"]["id"])
    assert alert["event_count"] == 31  # the failures behind the brute force + the success
    assert alert["event_ids"][-1] == events[-1]["event"]["id"]
    assert alert["first_seen"] == events[0]["@timestamp"]
    assert alert["last_seen"] == events[-1]["@timestamp"]
    assert alert["correlation"]["group_by"] == {"source.ip": "203.0.113.9"}
    # The brute force keeps its own alert; the success base rule raises none.
    assert [a["source"]["ip"] for a in alerts_of(store, BRUTE)] == ["203.0.113.9"]
    assert alerts_of(store, SUCCESS) == []


def test_chain_alert_names_the_account_that_logged_in(store) -> None:
    # The failures guess "root"; the success is "quantri": the critical alert (and
    # so the incident) must name the account that got in, while the brute force
    # (an event count, not ordered) keeps the first event's entities.
    log = AuthLog()
    events = log.failures("203.0.113.12", 15, start=0)
    events.append(log.success("203.0.113.12", at=90, user="quantri"))
    run(store, events)
    [chain] = alerts_of(store, CHAIN)
    assert chain["user"]["name"] == "quantri"
    assert chain["source"]["ip"] == "203.0.113.12"
    assert chain["event_ids"][0] == events[0]["event"]["id"]  # the evidence is unchanged
    [brute] = alerts_of(store, BRUTE)
    assert brute["user"]["name"] == "root"


def test_success_amid_continuing_failures_fires(store) -> None:
    # The chained brute force counts from its 10th failure (when its condition was
    # met), not from the end of its window: a success at failure 12 of 20 follows it.
    log = AuthLog()
    events = log.failures("203.0.113.10", 12, start=0)
    events.append(log.success("203.0.113.10", at=24.5))
    events += log.failures("203.0.113.10", 8, start=26)
    run(store, events)
    assert [a["source"]["ip"] for a in alerts_of(store, CHAIN)] == ["203.0.113.10"]


@pytest.mark.parametrize("case", ["success_alone", "other_ip", "too_late", "success_first",
                                  "too_few_failures"])
def test_near_misses_do_not_fire(store, case: str) -> None:
    log = AuthLog()
    if case == "success_alone":
        events = [log.success("198.51.100.7", at=60)]
    elif case == "other_ip":  # brute force from one address, success from its neighbour
        events = [*log.failures("192.0.2.50", 30, start=0), log.success("192.0.2.51", at=120)]
    elif case == "too_late":  # success 31 minutes after the threshold
        events = [*log.failures("192.0.2.60", 10, start=0), log.success("192.0.2.60", at=18 + 31 * 60)]
    elif case == "success_first":
        events = [log.success("192.0.2.70", at=0), *log.failures("192.0.2.70", 15, start=10)]
    else:  # nine failures: no brute force to chain
        events = [*log.failures("192.0.2.80", 9, start=0), log.success("192.0.2.80", at=60)]
    run(store, events)
    assert alerts_of(store, CHAIN) == []
    brute = {"success_alone": [], "other_ip": ["192.0.2.50"], "too_late": ["192.0.2.60"],
             "success_first": ["192.0.2.70"], "too_few_failures": []}[case]
    assert [a["source"]["ip"] for a in alerts_of(store, BRUTE)] == brute


def test_chain_across_passes_and_restart(store) -> None:
    # Pass 1 sees only the brute force; the success arrives later and is seen by a
    # restarted worker; further passes and restarts never raise it twice.
    log = AuthLog()
    failures = log.failures("203.0.113.11", 25, start=0)
    run(store, failures, minutes=2)
    assert alerts_of(store, CHAIN) == []
    assert len(alerts_of(store, BRUTE)) == 1
    run(store, [log.success("203.0.113.11", at=20 * 60)], minutes=21)
    assert [a["source"]["ip"] for a in alerts_of(store, CHAIN)] == ["203.0.113.11"]
    det = run(store, [log.success("203.0.113.11", at=22 * 60, user="an")], minutes=23)
    det.run_once(now=T0 + timedelta(minutes=24))
    assert len(alerts_of(store, CHAIN)) == 1
    assert len(alerts_of(store, BRUTE)) == 1


COUNT = """title: many failures
id: 9a000000-0000-4000-8000-000000000002
name: many_failures
correlation:
    type: event_count
    rules:
        - fail
    group-by:
        - {group}
    timespan: 1m
    condition:
        gte: 3
"""
ORDERED = """title: failures then success
id: 9a000000-0000-4000-8000-000000000003
name: then_success
correlation:
    type: temporal_ordered
    rules:
        - {first}
        - ok
    group-by:
        - source.ip
    timespan: 10m
"""


def _write(folder: Path, name: str, text: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")


def test_references_resolve_across_files(tmp_path: Path) -> None:
    _write(tmp_path / "a", "base.yml", SSHD_RULE.format(
        title="fail", id="9a000000-0000-4000-8000-000000000000", name="fail",
        outcome="failure") + "---\n" + SSHD_RULE.format(
        title="ok", id="9a000000-0000-4000-8000-000000000001", name="ok", outcome="success"))
    _write(tmp_path / "b", "count.yml", COUNT.format(group="source.ip"))
    _write(tmp_path / "c", "chain.yml", ORDERED.format(first="many_failures"))
    rs = load_rules([tmp_path])
    assert not rs.errors, rs.errors
    chain = rs.correlations["9a000000-0000-4000-8000-000000000003"]
    assert [ref.rule.name for ref in chain.rules] == ["many_failures", "ok"]


def test_cycles_and_unknown_references_are_refused(tmp_path: Path) -> None:
    _write(tmp_path, "base.yml", SSHD_RULE.format(
        title="ok", id="9a000000-0000-4000-8000-000000000001", name="ok", outcome="success"))
    _write(tmp_path, "loop.yml", ORDERED.format(first="then_success"))  # references itself
    _write(tmp_path, "ghost.yml", COUNT.format(group="source.ip"))  # "fail" does not exist
    rs = load_rules([tmp_path])
    reasons = sorted(p.reason for p in rs.errors)
    assert len(reasons) == 2
    assert "unknown rules ['fail']" in reasons[0] and "reference cycle" in reasons[1]
    assert rs.correlations == {}


def test_group_by_missing_from_chained_firing_is_unsupported(store, tmp_path: Path) -> None:
    _write(tmp_path, "base.yml", SSHD_RULE.format(
        title="fail", id="9a000000-0000-4000-8000-000000000000", name="fail",
        outcome="failure") + "---\n" + SSHD_RULE.format(
        title="ok", id="9a000000-0000-4000-8000-000000000001", name="ok", outcome="success"))
    # The count groups by user, so its firings carry no source.ip for the chain.
    _write(tmp_path, "count.yml", COUNT.format(group="user.name"))
    _write(tmp_path, "chain.yml", ORDERED.format(first="many_failures"))
    det = SigmaDetector(store, load_rules([tmp_path]))
    why = det.corr_unsupported["9a000000-0000-4000-8000-000000000003"]
    assert "source.ip" in why and "many_failures" in why
    assert "9a000000-0000-4000-8000-000000000002" in det.corr_base
