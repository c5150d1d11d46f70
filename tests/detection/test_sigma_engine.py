"""The Sigma engine end to end on every backend: rules → alerts, exactly once
through overlaps and restarts, and correlations of every type."""

from __future__ import annotations

from datetime import timedelta

import pytest

from detection.sigma.loader import load_rules
from detection.sigma.runner import SigmaDetector
from store.query import Term
from tests.detection.fixtures.events import RULES, T0, ssh, sysmon_proc

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

PROC = "11111111-1111-4111-8111-111111111111"
BRUTE = "44444444-4444-4444-8444-444444444444"
VALUES = "55555555-5555-4555-8555-555555555555"
ORDERED = "66666666-6666-4666-8666-666666666666"
TEMPORAL = "77777777-7777-4777-8777-777777777777"


@pytest.fixture(params=["queries", "stream"])
def evaluation(request: pytest.FixtureRequest, backend: str) -> str:
    """How the engines evaluate rules: Lucene queries in the engine, or the
    pass's events streamed to the worker and evaluated as SQL."""
    if backend == "sqlite" and request.param == "stream":
        pytest.skip("stream evaluation is for the engines: SQLite always evaluates as SQL")
    return request.param


def detector(store, evaluation: str = "queries", **kw) -> SigmaDetector:
    return SigmaDetector(store, load_rules([RULES]), lookback_seconds=3600,
                         engine_evaluation=evaluation, **kw)


def alerts_of(store, rule: str) -> list[dict]:
    store.refresh("alerts")
    return [d.source for d in store.scan("alerts", Term("rule.id", rule))]


def test_broken_rule_reported_with_file_and_line() -> None:
    rs = load_rules([RULES])
    assert PROC in rs.rules
    bad = [p for p in rs.errors if p.path.endswith("broken.yml")]
    assert bad and bad[0].line is not None
    assert "88888888-8888-4888-8888-888888888888" not in rs.rules


def test_one_alert_per_match_through_overlap_and_restart(store, evaluation: str) -> None:
    events = [
        sysmon_proc(1, "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\PowerShell.EXE",
                    "powershell.exe -nop -ENC SQBFAFgA", at=1),
        sysmon_proc(2, "C:\\Windows\\System32\\cmd.exe", "cmd /c -enc x", at=2),  # near miss
        sysmon_proc(3, "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
                    "powershell -enc AAAA", user="NT AUTHORITY\\SYSTEM", at=3),  # filtered
    ]
    store.bulk("events", events, mode="create", refresh=True)
    det = detector(store, evaluation)
    first = det.run_once(now=T0 + timedelta(minutes=1))
    assert first.per_rule[PROC] == 1
    got = alerts_of(store, PROC)
    assert len(got) == 1
    alert = got[0]
    assert alert["event_ids"] == ["win-1"]
    assert alert["rule"]["level"] == "high" and alert["risk_score"] == 75
    assert alert["threat"]["technique"]["id"] == ["T1059.001"]
    assert alert["threat"]["tactic"]["id"] == ["TA0002"]
    assert alert["host"]["name"] == "ws-01" and alert["status"] == "open"
    # Overlap: the same events again in the next pass, then a restart (new detector).
    det.run_once(now=T0 + timedelta(minutes=2))
    restarted = detector(store, evaluation)
    restarted.run_once(now=T0 + timedelta(minutes=3))
    assert len(alerts_of(store, PROC)) == 1
    # A new matching event after the restart: exactly one more alert.
    store.bulk("events", [sysmon_proc(4, "D:\\x\\powershell.exe", "powershell -enc BBBB",
                                      at=30)], mode="create", refresh=True)
    restarted.run_once(now=T0 + timedelta(minutes=4))
    assert sorted(a["event_ids"][0] for a in alerts_of(store, PROC)) == ["win-1", "win-4"]


def test_disabled_rule_raises_nothing(store) -> None:
    store.put("rule_state", {"id": PROC, "enabled": False}, refresh=True)
    store.bulk("events", [sysmon_proc(1, "C:\\powershell.exe", "powershell -enc A", at=1)],
               mode="create", refresh=True)
    detector(store).run_once(now=T0 + timedelta(minutes=1))
    assert alerts_of(store, PROC) == []


def test_correlations_fire_across_bucket_edge_once(store, evaluation: str) -> None:
    # Five failures from one ip straddling the minute edge at T0+10s, by three users.
    evs = [ssh(i, "failure", "203.0.113.7", f"u{i % 3}", at=6 + i * 2) for i in range(5)]
    # Near miss: four failures from another ip.
    evs += [ssh(10 + i, "failure", "198.51.100.9", "root", at=i) for i in range(4)]
    # Fail then success (ordered) from the brute-force ip; success alone elsewhere.
    evs += [ssh(20, "success", "203.0.113.7", "u1", at=20),
            ssh(21, "success", "198.51.100.20", "bob", at=21)]
    store.bulk("events", evs, mode="create", refresh=True)
    det = detector(store, evaluation)
    det.run_once(now=T0 + timedelta(minutes=1))
    det.run_once(now=T0 + timedelta(minutes=2))  # overlap: nothing new
    detector(store, evaluation).run_once(now=T0 + timedelta(minutes=3))  # restart
    brute = alerts_of(store, BRUTE)
    assert len(brute) == 1
    assert brute[0]["source"]["ip"] == "203.0.113.7"
    assert brute[0]["event_count"] == 5
    assert brute[0]["correlation"]["window_start"] < "2026-11-26T10:00:00.000Z" < \
        brute[0]["correlation"]["window_end"]
    vc = alerts_of(store, VALUES)
    assert [a["source"]["ip"] for a in vc] == ["203.0.113.7"]
    assert [a["source"]["ip"] for a in alerts_of(store, ORDERED)] == ["203.0.113.7"]
    assert [a["source"]["ip"] for a in alerts_of(store, TEMPORAL)] == ["203.0.113.7"]


def test_stream_evaluates_each_event_once_and_catches_late_arrivals(store, backend) -> None:
    if backend == "sqlite":
        pytest.skip("stream evaluation is for the engines: SQLite reads by rowid")
    ps = "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe"
    store.bulk("events", [sysmon_proc(1, ps, "powershell -enc AAAA", at=1),
                          sysmon_proc(2, "C:\\Windows\\notepad.exe", "notepad", at=2)],
               mode="create", refresh=True)
    det = detector(store, "stream")
    assert det.run_once(now=T0 + timedelta(minutes=1)).events == 2
    # A late arrival: stamped before the first pass's end, visible only now,
    # inside the next pass's overlap; and one new event after the checkpoint.
    store.bulk("events", [sysmon_proc(3, ps, "powershell -enc BBBB", at=30),
                          sysmon_proc(4, ps, "powershell -enc CCCC", at=90)],
               mode="create", refresh=True)
    second = det.run_once(now=T0 + timedelta(minutes=2))
    assert second.events == 2  # the late one and the new one, not the first two again
    assert sorted(a["event_ids"][0] for a in alerts_of(store, PROC)) == ["win-1", "win-3",
                                                                         "win-4"]
    assert det.run_once(now=T0 + timedelta(minutes=3)).events == 0
    # A restart forgets what it evaluated: the overlap is read again, no duplicate.
    again = detector(store, "stream").run_once(now=T0 + timedelta(minutes=4))
    assert again.events == 4
    assert len(alerts_of(store, PROC)) == 3
