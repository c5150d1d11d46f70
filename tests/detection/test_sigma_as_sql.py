"""Rules the engine cannot run as Lucene still match, on every backend, the
events they match on SQLite: a field reference (``|fieldref``), a query
string past the engine's length limit, and Defender's data names spelt with
spaces.  On the engines they run as SQL over their log source's events
(``engine_exec.run_as_sql``); on SQLite as usual.  One alert per match,
through overlapping passes."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from detection.sigma.convert import coverage
from detection.sigma.loader import load_rules
from detection.sigma.runner import SigmaDetector
from store.query import Term
from tests.detection.fixtures.events import T0, ts

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

FIELDREF = "a1a1a1a1-0000-4000-8000-000000000001"
LONG = "a1a1a1a1-0000-4000-8000-000000000002"
DEFENDER = "a1a1a1a1-0000-4000-8000-000000000003"

FIELDREF_RULE = f"""title: Editor started under another account than its parent
id: {FIELDREF}
logsource:
    category: process_creation
    product: windows
detection:
    selection:
        Image|endswith: '\\notepad.exe'
    filter_same_user:
        User|fieldref: ParentUser
    condition: selection and not filter_same_user
level: medium
"""

# 1,500 package names of 30+ characters: a Lucene query string of ~60,000
# characters, past OpenSearch's default limit of 32,000.
PACKAGES = [f"@city-portal/widget-number-{i:04d}@1.{i}.0" for i in range(1500)]
LONG_RULE = f"""title: Known bad package installed
id: {LONG}
logsource:
    category: process_creation
    product: windows
detection:
    selection_img:
        Image|endswith: '\\node.exe'
    selection_pkg:
        CommandLine|contains:
""" + "".join(f"            - '{p}'\n" for p in PACKAGES) + """    condition: all of selection_*
level: high
"""

DEFENDER_RULE = f"""title: Defender found the test file
id: {DEFENDER}
logsource:
    product: windows
    service: windefend
detection:
    selection:
        EventID: 1116
        ThreatName|endswith: 'EICAR_Test_File'
    condition: selection
level: low
"""


def proc(n: int, image: str, cmd: str, user: str, parent_user: str) -> dict[str, Any]:
    return {
        "@timestamp": ts(n), "event": {"id": f"p-{n}", "code": "1", "ingested": ts(n)},
        "host": {"name": "ws-07"},
        "winlog": {"event_id": "1", "channel": "Microsoft-Windows-Sysmon/Operational",
                   "event_data": {"Image": image, "CommandLine": cmd, "User": user,
                                  "ParentUser": parent_user}},
    }


def defender(n: int, threat: str) -> dict[str, Any]:
    return {
        "@timestamp": ts(n), "event": {"id": f"d-{n}", "code": "1116", "ingested": ts(n)},
        "host": {"name": "ws-07"},
        "winlog": {"event_id": "1116", "channel": "Microsoft-Windows-Windows Defender/Operational",
                   "event_data": {"Threat Name": threat, "Severity Name": "Severe"}},
    }


@pytest.fixture
def rules(tmp_path: Path) -> Path:
    folder = tmp_path / "rules"
    folder.mkdir()
    for name, text in (("fieldref.yml", FIELDREF_RULE), ("long.yml", LONG_RULE),
                       ("defender.yml", DEFENDER_RULE)):
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def alert_events(store: Any, rule: str) -> list[str]:
    store.refresh("alerts")
    return sorted(e for d in store.scan("alerts", Term("rule.id", rule))
                  for e in d.source["event_ids"])


@pytest.mark.parametrize("evaluation", ["queries", "stream"])
def test_rules_lucene_cannot_run_match_as_on_sqlite(store: Any, rules: Path,
                                                     evaluation: str) -> None:
    assert len(LONG_RULE) > 60_000
    store.bulk("events", [
        proc(1, "C:\\Windows\\notepad.exe", "notepad x.txt", "CITY\\an", "CITY\\admin"),
        proc(2, "C:\\Windows\\notepad.exe", "notepad y.txt", "CITY\\an", "city\\an"),  # same user
        proc(3, "C:\\Windows\\calc.exe", "calc", "CITY\\an", "CITY\\admin"),
        proc(4, "C:\\Program Files\\nodejs\\node.exe",
             f"node npm install {PACKAGES[1499]} --save", "CITY\\dev", "CITY\\dev"),
        proc(5, "C:\\Program Files\\nodejs\\node.exe",
             "node npm install @city-portal/widget-number-9999@1.0.0", "CITY\\dev", "CITY\\dev"),
        proc(6, "C:\\Tools\\nodejs.exe", f"install {PACKAGES[3]}", "CITY\\dev", "CITY\\dev"),
        defender(7, "Virus:DOS/EICAR_Test_File"),
        defender(8, "Trojan:Win32/Wacatac"),
    ], mode="create", refresh=True)
    det = SigmaDetector(store, load_rules([rules]), lookback_seconds=3600,
                        engine_evaluation=evaluation)
    first = det.run_once(now=T0 + timedelta(minutes=1))
    assert not first.broken
    assert alert_events(store, FIELDREF) == ["p-1"]
    assert alert_events(store, LONG) == ["p-4"]
    assert alert_events(store, DEFENDER) == ["d-7"]
    # An overlapping pass (the lookback re-reads the same events): nothing new.
    det.run_once(now=T0 + timedelta(minutes=2))
    assert alert_events(store, FIELDREF) == ["p-1"]
    assert alert_events(store, LONG) == ["p-4"]
    assert alert_events(store, DEFENDER) == ["d-7"]


def test_coverage_counts_the_rules_run_as_sql(rules: Path) -> None:
    rs = load_rules([rules])
    sqlite = coverage(rs, "sqlite")
    assert sqlite["counts"] == {"converted": 3, "unsupported": 0, "failed": 0}
    engine = coverage(rs, "opensearch")
    # The long rule converts (the engine refuses it only when it runs).
    assert engine["counts"] == {"converted": 1, "unsupported": 0, "failed": 0, "as_sql": 2}
    reasons = {m["rule_id"]: m["reason"] for m in engine["as_sql"]}
    assert "field references" in reasons[FIELDREF]
    assert reasons[DEFENDER] == "log source runs as SQL"
    assert engine["misses"] == []
