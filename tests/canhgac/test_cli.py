from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from canhgac.cli import app

runner = CliRunner()


def test_demo_writes_and_reads_back_on_the_embedded_store(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    env = {"CANHGAC_DATA_DIR": str(tmp_path / "d")}
    result = runner.invoke(app, ["demo", "--summary", "--events", "300", "--json"], env=env)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["backend"] == "sqlite"
    assert summary["written"] == 300 and summary["stored"] == 300
    assert sum(b["count"] for b in summary["events_per_dataset"]) == 300
    assert summary["fulltext 'dang nhap thanh cong' (no diacritics)"] > 0
    args = ["demo", "--summary", "--events", "300", "--json"]
    again = json.loads(runner.invoke(app, args, env=env).stdout)
    assert again["written"] == 0 and again["already_there"] == 300 and again["stored"] == 300
    status = runner.invoke(app, ["store", "status", "--json"], env=env)
    assert json.loads(status.stdout)["collections"]["events"] == 300
    assert (tmp_path / "d" / "canhgac.db").is_file()


def test_config_show_masks_secrets(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["config", "show", "--json"],
                           env={"CANHGAC_STORE_PASSWORD": "hunter2"})
    assert result.exit_code == 0
    assert "hunter2" not in result.stdout
    assert json.loads(result.stdout)["store"]["password"] == "********"


def test_a_bad_setting_is_one_clear_message(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["store", "status"], env={"CANHGAC_STORE": "mongodb"})
    assert result.exit_code == 2
    assert "store.backend" in result.output and "CANHGAC_STORE" in result.output


def test_a_room_not_built_yet_says_so(tmp_path: Path, monkeypatch):
    from canhgac.cli import _room_command

    monkeypatch.chdir(tmp_path)
    _room_command("later", "canhgac.room_not_built", "app", 99, "a room for later")
    result = runner.invoke(app, ["later"])
    assert result.exit_code == 3 and "issue #99" in result.output


def test_room_commands_dispatch_to_their_typer_apps(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["up", "--only", "nothing-like-this"],
                           env={"CANHGAC_DATA_DIR": str(tmp_path)})
    assert result.exit_code == 2
    assert "unknown component" in result.output
