"""The deployment files stay valid: docker-compose.yml is checked by
Debian's docker-compose (1.29; `config` needs no Docker engine), which
`make test` installs; and every Canhgac service's container entry point runs
as a plain process with the resolved compose environment and passes its own
health check."""

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


# -- the services' container entry points, run as plain processes ---------------------
# No Docker engine here: each canhgac service of the resolved compose file runs
# with its command and environment as a child process, the image's config
# (deploy/canhgac.yaml) and a store the tests reach (the test OpenSearch when
# set, else SQLite); ports and /data are moved to free loopback ones.


def _resolved() -> dict:
    import yaml

    result = _config(ROOT / "docker-compose.yml", ROOT / ".env.example")
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


NAMESPACE = "t" + __import__("uuid").uuid4().hex[:12]  # one per run, shared by the services


def _service_env(svc: dict, data: Path, config: Path) -> dict[str, str]:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("CANHGAC_")}
    env.update({k: str(v) for k, v in (svc.get("environment") or {}).items()})
    env.update({"CANHGAC_DATA_DIR": str(data), "CANHGAC_CONFIG": str(config),
                "CANHGAC_LOG__LEVEL": "WARNING"})
    url = os.environ.get("CANHGAC_TEST_OPENSEARCH_URL")
    for key in ("CANHGAC_STORE_USERNAME", "CANHGAC_STORE_PASSWORD"):
        env.pop(key, None)  # the test node has security off
    if url:
        env.update({"CANHGAC_STORE": "opensearch", "CANHGAC_STORE_URL": url,
                    "CANHGAC_STORE_NAMESPACE": NAMESPACE})
    else:
        env["CANHGAC_STORE"] = "sqlite"
    return env


def _local_command(command: list[str], ports: dict[int, int]) -> list[str]:
    out = []
    for arg in command:
        if arg == "0.0.0.0":
            arg = "127.0.0.1"
        elif arg.isdigit() and int(arg) in ports:
            arg = str(ports[int(arg)])
        elif arg.startswith("http://api:"):
            arg = f"http://127.0.0.1:{ports[int(arg.rsplit(':', 1)[1])]}"
        out.append(arg)
    return out


def test_every_service_entry_point_runs_and_passes_its_health_check(tmp_path: Path):
    import json
    import os
    import signal
    import sys
    import time

    import httpx

    services = {n: s for n, s in _resolved()["services"].items()
                if str(s.get("image", "")).startswith("canhgac")}
    assert set(services) == {"api", "ui", "collectors", "crawler", "detection"}
    ports = {8000: _free_port(), 8501: _free_port(), 5514: _free_port()}
    config = tmp_path / "canhgac.yaml"
    config.write_text((ROOT / "deploy" / "canhgac.yaml").read_text(encoding="utf-8")
                      .replace("/data", str(tmp_path / "data"))
                      .replace("0.0.0.0", "127.0.0.1")
                      .replace("5514", str(ports[5514])), encoding="utf-8")
    procs = {}
    try:
        for name, svc in services.items():
            assert svc["restart"] == "unless-stopped" and svc["healthcheck"]["test"], name
            log = open(tmp_path / f"{name}.log", "wb")  # noqa: SIM115
            procs[name] = subprocess.Popen(
                [sys.executable, "-m", "canhgac.cli", *_local_command(svc["command"], ports)],
                cwd=ROOT, env=_service_env(svc, tmp_path / "data", config), stdout=log,
                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
            log.close()
        # each service's own health check, pointed at its local port
        for name, svc in services.items():
            test = [a.replace("8000", str(ports[8000])).replace("8501", str(ports[8501]))
                    for a in svc["healthcheck"]["test"][1:]]
            if test[0] == "python":
                test[0] = sys.executable
            elif test[0] == "canhgac":
                test = [sys.executable, "-m", "canhgac.cli", *test[1:]]
            env = _service_env(svc, tmp_path / "data", config)
            deadline = time.monotonic() + 90
            while True:
                assert procs[name].poll() is None, \
                    (tmp_path / f"{name}.log").read_text(errors="replace")[-3000:]
                check = subprocess.run(test, env=env, cwd=ROOT, capture_output=True,
                                       timeout=60, stdin=subprocess.DEVNULL)
                if check.returncode == 0:
                    break
                assert time.monotonic() < deadline, (name, check.stderr[-2000:])
                time.sleep(1)
        # the collectors really listen: a syslog line reaches the store
        import socket

        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.sendto(b"<38>Nov 26 10:00:00 may-chu-1 sshd[42]: Failed password for root "
                     b"from 10.9.8.7 port 5000 ssh2", ("127.0.0.1", ports[5514]))
        status_cmd = [sys.executable, "-m", "canhgac.cli", "store", "status", "--json"]
        env = _service_env(services["collectors"], tmp_path / "data", config)
        deadline = time.monotonic() + 60
        while True:
            out = subprocess.run(status_cmd, env=env, cwd=ROOT, capture_output=True,
                                 text=True, timeout=60, stdin=subprocess.DEVNULL)
            status = json.loads(out.stdout) if out.returncode == 0 else {}
            if (status.get("collections") or {}).get("events"):
                break
            assert time.monotonic() < deadline, (out.stdout, out.stderr)
            time.sleep(1)
        api_url = f"http://127.0.0.1:{ports[8000]}"
        assert httpx.get(f"{api_url}/healthz", timeout=10).status_code == 200
    finally:
        codes = {}
        for proc in procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for name, proc in procs.items():
            try:
                codes[name] = proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                codes[name] = "killed"
        url = os.environ.get("CANHGAC_TEST_OPENSEARCH_URL")
        if url:  # leave the shared test node as it was
            httpx.delete(f"{url}/_data_stream/logs-*-{NAMESPACE}", timeout=30)
            httpx.delete(f"{url}/canhgac-{NAMESPACE}-*", timeout=30)
    # nothing the services started outlives them (the dashboard's port is free again)
    import socket

    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", ports[8501]))
    # SIGTERM is a clean stop for every service (compose stops them that way)
    assert all(code in (0, -signal.SIGTERM) for code in codes.values()), {
        n: (c, (tmp_path / f"{n}.log").read_text(errors="replace")[-1500:])
        for n, c in codes.items() if c not in (0, -signal.SIGTERM)}
