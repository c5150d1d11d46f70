"""``canhgac incidents`` end to end on the embedded store (the CLI opens the
configured store itself, so this runs on SQLite in a temporary data dir)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from detection.incidents_cli import app
from store.sqlite import SQLiteStore
from tests.detection.test_incidents import make_alert, put_alerts, reputation_alert


@pytest.fixture
def cli(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CANHGAC_CONFIG", raising=False)
    for name in ("CANHGAC_STORE", "CANHGAC_SQLITE_PATH", "CANHGAC_STORE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CANHGAC_DATA_DIR", str(tmp_path / "data"))
    st = SQLiteStore(tmp_path / "data" / "canhgac.db")
    put_alerts(st, [make_alert(1, 0, severity="high"), make_alert(2, 3),
                    make_alert(3, 4, host="scanner"), reputation_alert(4, 5)])
    st.close()
    runner = CliRunner()

    def run(*args: str) -> str:
        result = runner.invoke(app, list(args))
        assert result.exit_code == 0, result.output
        return result.stdout

    return run


def test_group_triage_and_suppress_from_the_shell(cli):
    out = json.loads(cli("suppress", "add", "--entity", "scanner", "--reason", "máy quét",
                         "--for", "1d", "--actor", "lan", "--json"))
    assert out["entity"] == "scanner" and out["created_by"] == "lan"
    report = json.loads(cli("group-once", "--json"))
    assert (report["grouped"], report["suppressed"], report["created"]) == (3, 1, 2)
    rows = [json.loads(line) for line in cli("list", "--json").splitlines()]
    assert [r["severity"] for r in rows] == ["high", "high"]
    sec = next(r for r in rows if r["domain"] == "security")
    assert sec["alert_count"] == 2
    cli("ack", sec["id"], "--actor", "lan")
    cli("assign", sec["id"], "minh", "--actor", "lan")
    cli("comment", sec["id"], "Đã xử lý", "--actor", "minh")
    done = json.loads(cli("resolve", sec["id"], "--false-positive", "--actor", "minh", "--json"))
    assert (done["status"], done["assignee"]) == ("false_positive", "minh")
    shown = json.loads(cli("show", sec["id"], "--alerts", "--json"))
    assert [a["id"] for a in shown["alerts"]] == ["alert-0001", "alert-0002"]
    assert [e["actor"] for e in shown["timeline"]][-4:] == ["lan", "lan", "minh", "minh"]
    figures = json.loads(cli("metrics", "--since", "3650d", "--json"))
    assert figures["mttr"]["count"] == 1 and figures["open_total"] == 1
    missing = CliRunner().invoke(app, ["ack", "inc-nope"])
    assert missing.exit_code == 4 and "no incident 'inc-nope'" in missing.stderr
    assert len(cli("suppress", "list", "--json").splitlines()) == 1


def test_invalid_transition_exits_with_a_message(cli):
    cli("group-once")
    rows = [json.loads(line) for line in cli("list", "--json").splitlines()]
    result = CliRunner().invoke(app, ["status", rows[0]["id"], "reopened", "--actor", "lan"])
    assert result.exit_code == 1
    assert "cannot move an incident from 'new' to 'reopened'" in result.output
