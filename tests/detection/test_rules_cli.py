"""`canhgac rules` and `canhgac hunt` through the real CLI."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from canhgac.cli import app
from tests.detection.fixtures.events import RULES

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def test_validate_reports_broken_rule_and_fails() -> None:
    res = CliRunner().invoke(app, ["rules", "validate", str(RULES)])
    assert res.exit_code == 1
    assert "broken.yml:" in res.output


def test_coverage_counts_per_backend() -> None:
    res = CliRunner().invoke(app, ["rules", "coverage", str(RULES), "--backend", "sqlite",
                                   "--backend", "opensearch", "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output.strip().splitlines()[-1])
    assert data["backends"]["sqlite"]["converted"] == 3
    assert data["backends"]["opensearch"]["converted"] == 3


def test_hunt_json_lines(tmp_path) -> None:
    from tests.detection.fixtures.events import sysmon_proc

    ev = sysmon_proc(1, "C:\\Windows\\powershell.exe", "powershell -enc AAA", at=1)
    miss = sysmon_proc(2, "C:\\Windows\\notepad.exe", "notepad", at=2)
    log = tmp_path / "events.ndjson"
    log.write_text("\n".join(json.dumps(e) for e in (ev, miss)) + "\n")
    res = CliRunner().invoke(app, ["hunt", str(log), "--rules", str(RULES), "--json"])
    assert res.exit_code == 0, res.output
    lines = [json.loads(x) for x in res.output.splitlines() if x.startswith("{")]
    assert [x["rule.id"] for x in lines] == ["11111111-1111-4111-8111-111111111111"]


def test_rules_test_counts_matches(tmp_path) -> None:
    from tests.detection.fixtures.events import sysmon_proc

    log = tmp_path / "sample.ndjson"
    log.write_text(json.dumps(sysmon_proc(1, "C:\\powershell.exe", "powershell -enc A")) + "\n")
    res = CliRunner().invoke(app, ["rules", "test", str(RULES / "proc_cmd.yml"),
                                   "--events", str(log)])
    assert res.exit_code == 0, res.output
    rows = [json.loads(x) for x in res.output.splitlines() if x.startswith("{")]
    assert rows == [{"rule.id": "11111111-1111-4111-8111-111111111111", "alerts": 1}]


def test_missing_rule_folder_is_an_error_and_the_pack_is_found_from_anywhere(
        tmp_path, monkeypatch) -> None:
    from canhgac.settings.detection import DetectionSettings
    from detection.sigma.loader import load_rules

    rs = load_rules([tmp_path / "no-such-folder"])
    assert [(p.path, p.reason) for p in rs.errors] == [
        (str(tmp_path / "no-such-folder"), "no such file or folder")]
    monkeypatch.chdir(tmp_path)  # the default pack does not depend on where we run
    pack = load_rules(DetectionSettings().rule_paths)
    assert not pack.errors and len(pack.rules) >= 5 and pack.correlations
