"""``canhgac ingest`` through Typer's CliRunner on the embedded store."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from canhgac.cli import app as canhgac_app
from collectors.cli_ingest import app

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("CANHGAC_STORE", "CANHGAC_STORE_URL", "CANHGAC_SQLITE_PATH", "CANHGAC_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CANHGAC_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_json_summary_per_file_and_format(env: Path) -> None:
    logs = env / "logs"
    shutil.copytree(FIXTURES / "zeek", logs / "zeek")
    shutil.copy(FIXTURES / "auth.log", logs / "auth.log")
    (logs / "junk.txt").write_text("khong phai log\n")
    result = CliRunner().invoke(app, [str(logs), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["events_written"] == 15 + 9
    assert summary["dead_letters"] == 1
    assert summary["formats"]["zeek"] == {"files": 7, "records": 9, "events_written": 9,
                                          "already_present": 0, "dead_letters": 0}
    by_name = {Path(f["path"]).name: f for f in summary["files"]}
    assert by_name["conn.log"]["detected"] == "detected zeek-tsv: #separator/#fields header"
    assert by_name["junk.txt"]["format"] == "unknown"

    again = json.loads(CliRunner().invoke(app, [str(logs), "--json"]).stdout)
    assert again["events_written"] == 0 and again["already_present"] == 24


def test_table_output_names_the_detected_format(env: Path) -> None:
    result = CliRunner().invoke(app, [str(FIXTURES / "filterlog.log")])
    assert result.exit_code == 0, result.output
    assert "detected firewall" in result.output
    assert "events written: 4" in result.output


def test_forced_format_and_unknown_format(env: Path) -> None:
    ok = CliRunner().invoke(app, [str(FIXTURES / "auth.log"), "--format", "syslog", "--json"])
    assert json.loads(ok.stdout)["formats"]["syslog"]["events_written"] == 15
    bad = CliRunner().invoke(app, [str(FIXTURES / "auth.log"), "--format", "cobol"])
    assert bad.exit_code == 2
    assert "unknown format" in bad.output


def test_missing_path_exit_code(env: Path) -> None:
    result = CliRunner().invoke(app, [str(env / "nope.log")])
    assert result.exit_code == 2
    assert "no such file" in result.output


def test_reachable_from_the_canhgac_command(env: Path) -> None:
    result = CliRunner().invoke(canhgac_app, ["ingest", str(FIXTURES / "eve.json"), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["formats"]["eve"]["events_written"] == 10
