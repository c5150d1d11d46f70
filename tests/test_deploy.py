"""The deployment files stay valid: docker-compose.yml is checked by
Debian's docker-compose (1.29; `config` needs no Docker engine), which
`make test` installs."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = shutil.which("docker-compose")

pytestmark = pytest.mark.skipif(
    COMPOSE is None, reason="docker-compose not installed (make test installs it from Debian)")


def _config(compose_file: Path, env_file: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [COMPOSE, "--project-directory", str(compose_file.parent), "-f", str(compose_file),
         "--env-file", str(env_file), "config", *extra],
        capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)


def test_compose_file_is_valid_with_the_example_env():
    result = _config(ROOT / "docker-compose.yml", ROOT / ".env.example", "--services")
    assert result.returncode == 0, result.stderr
    services = set(result.stdout.split())
    assert {"api", "ui", "collectors", "crawler", "detection"} <= services
    assert {"elasticsearch", "opensearch", "kibana", "dashboards"} <= services


def test_compose_refuses_to_run_without_passwords(tmp_path: Path):
    env = tmp_path / ".env"
    env.write_text("COMPOSE_PROFILES=elasticsearch\n", encoding="utf-8")
    result = _config(ROOT / "docker-compose.yml", env)
    assert result.returncode != 0
    assert "ENGINE_PASSWORD" in result.stderr


def test_the_validator_rejects_a_malformed_file(tmp_path: Path):
    broken = tmp_path / "docker-compose.yml"
    broken.write_text((ROOT / "docker-compose.yml").read_text(encoding="utf-8").replace(
        "    restart: unless-stopped\n", "    restart: [unless-stopped\n", 1), encoding="utf-8")
    result = _config(broken, ROOT / ".env.example")
    assert result.returncode != 0


def test_every_service_command_is_a_canhgac_command():
    import yaml

    from canhgac.cli import ROOM_COMMANDS

    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    known = set(ROOM_COMMANDS) | {"store", "config", "demo"}
    for name, svc in compose["services"].items():
        if svc.get("image", "").startswith("canhgac"):
            assert svc["command"][0] in known, name
