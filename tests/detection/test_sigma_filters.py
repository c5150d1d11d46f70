"""Sigma filters (spec v2): a filter in its own file silences, on every
backend, the events it describes for the rules it names, and only those."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from detection.sigma.loader import load_rules
from detection.sigma.runner import SigmaDetector
from tests.detection.fixtures.events import SSHD_RULE, T0, ssh

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
FAIL = "9c000000-0000-4000-8000-000000000001"
OK = "9c000000-0000-4000-8000-000000000002"
FILTER = """title: The jump host's own failures are expected
id: 9c000000-0000-4000-8000-0000000000f1
logsource:
    product: linux
    service: sshd
filter:
    rules:
        - {rule}
    selection:
        source.ip: 10.20.0.5
    condition: not selection
"""


def _rules(folder: Path, filter_rule: str) -> Path:
    folder.mkdir()
    (folder / "failed.yml").write_text(SSHD_RULE.format(
        title="failed", id=FAIL, name="failed", outcome="failure"), encoding="utf-8")
    (folder / "ok.yml").write_text(SSHD_RULE.format(
        title="ok", id=OK, name="ok", outcome="success"), encoding="utf-8")
    (folder / "filters").mkdir()
    (folder / "filters" / "jump_host.yml").write_text(FILTER.format(rule=filter_rule),
                                                      encoding="utf-8")
    return folder


def _alerted(store, folder: Path) -> set[tuple[str, str]]:
    events = [ssh(1, "failure", "10.20.0.5", "an", at=0),
              ssh(2, "failure", "203.0.113.9", "an", at=1),
              ssh(3, "success", "10.20.0.5", "an", at=2)]
    store.bulk("events", events, mode="create", refresh=True)
    SigmaDetector(store, load_rules([folder])).run_once(now=T0 + timedelta(minutes=1))
    store.refresh("alerts")
    return {(d.source["rule"]["id"], d.source["event_ids"][0]) for d in store.scan("alerts")}


def test_a_filter_in_another_file_silences_what_it_describes(store, tmp_path: Path) -> None:
    rs = load_rules([_rules(tmp_path / "rules", FAIL)])
    assert len(rs.filters) == 1 and not rs.errors
    # The named rule alone carries the filter; the other is untouched.
    assert "and (not _filt_" in rs.rules[FAIL].detection.condition[0]
    assert rs.rules[OK].detection.condition == ["selection"]
    got = _alerted(store, tmp_path / "rules")
    assert got == {(FAIL, "ssh-2"), (OK, "ssh-3")}


def test_a_filter_named_by_rule_name_applies_too(store, tmp_path: Path) -> None:
    got = _alerted(store, _rules(tmp_path / "rules", "failed"))
    assert (FAIL, "ssh-1") not in got and (FAIL, "ssh-2") in got


def test_a_broken_filter_is_reported_and_stops_nothing(tmp_path: Path) -> None:
    folder = _rules(tmp_path / "rules", FAIL)
    (folder / "filters" / "broken.yml").write_text(
        "title: broken\nlogsource:\n    product: linux\nfilter:\n    rules: [x]\n",
        encoding="utf-8")
    rs = load_rules([folder])
    assert {FAIL, OK} <= set(rs.rules)
    assert any("broken.yml" in p.path for p in rs.errors), rs.problems
