"""``canhgac users ...`` through the real CLI (no default password anywhere)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from canhgac.cli import app
from store.sqlite import SQLiteStore
from tests.api.conftest import PASSWORD

runner = CliRunner()


def _env(tmp_path: Path) -> dict[str, str]:
    return {"CANHGAC_DATA_DIR": str(tmp_path), "CANHGAC_STORE": "sqlite",
            "CANHGAC_ADMIN_PASSWORD": ""}


def test_users_and_keys(tmp_path: Path) -> None:
    env = _env(tmp_path)
    r = runner.invoke(app, ["users", "create-admin", "--password-stdin"], input=PASSWORD + "\n",
                      env=env)
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["users", "create-admin", "boss", "--password-stdin"], input="short\n",
                      env=env)
    assert r.exit_code == 1 and "at least 12" in r.output
    r = runner.invoke(app, ["users", "create", "an", "-r", "soc_analyst", "-r", "comms",
                            "--password-stdin"], input=PASSWORD + "\n", env=env)
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["users", "list", "--json"], env=env)
    users = {u["id"]: u for u in json.loads(r.stdout)}
    assert users["admin"]["roles"] == ["admin"] and users["an"]["roles"] == ["soc_analyst", "comms"]
    assert runner.invoke(app, ["users", "disable", "an"], env=env).exit_code == 0
    r = runner.invoke(app, ["users", "key", "create", "filebeat-fw", "--json"], env=env)
    made = json.loads(r.stdout)
    assert made["key"].startswith("cgk_") and made["roles"] == ["ingest"]
    listed = runner.invoke(app, ["users", "key", "list", "--json"], env=env).stdout
    assert made["key"] not in listed and "filebeat-fw" in listed
    assert runner.invoke(app, ["users", "key", "revoke", made["id"]], env=env).exit_code == 0
    st = SQLiteStore(tmp_path / "canhgac.db")
    try:
        assert st.get("users", "an").source["disabled"] is True
        assert st.get("api_keys", made["id"]).source["revoked"] is True
        assert PASSWORD not in json.dumps(st.get("users", "admin").source)
    finally:
        st.close()


def test_create_admin_from_environment(tmp_path: Path) -> None:
    env = {**_env(tmp_path), "CANHGAC_ADMIN_PASSWORD": PASSWORD}
    r = runner.invoke(app, ["users", "create-admin", "root-admin"], env=env)
    assert r.exit_code == 0, r.output


def test_serve_refuses_half_tls(tmp_path: Path) -> None:
    r = runner.invoke(app, ["serve", "--tls-cert", str(tmp_path / "c.pem")], env=_env(tmp_path))
    assert r.exit_code == 2 and "both" in r.output
