"""``canhgac up``: components start, a crashed one is restarted, SIGTERM stops all."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from canhgac.supervisor import Component, Supervisor


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(pred, timeout: float = 60.0, every: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = pred()
        if got:
            return got
        time.sleep(every)
    raise AssertionError("timed out")


def test_a_crashing_service_is_restarted_with_backoff_and_a_job_reruns(tmp_path: Path,
                                                                      monkeypatch):
    monkeypatch.setenv("CANHGAC_DATA_DIR", str(tmp_path))
    crashy = Component("crashy", ["no-such-command"])  # exits non-zero at once
    job = Component("job", ["config", "show", "--json"], interval=0.5)
    sup = Supervisor([crashy, job], grace=5)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and (crashy.restarts < 2 or job.runs < 2):
            sup.step()
            time.sleep(0.1)
    finally:
        sup.stop()
    assert crashy.restarts >= 2 and crashy.last_exit not in (0, None)
    assert crashy.backoff >= 2.0  # doubled after repeated fast crashes
    assert job.runs >= 2 and job.last_exit == 0
    assert all(c.proc is None for c in (crashy, job))


def test_up_restarts_a_killed_api_and_stops_cleanly(tmp_path: Path):
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CANHGAC_")}
    env.update(CANHGAC_DATA_DIR=str(tmp_path), CANHGAC_API__PORT=str(port))
    up = subprocess.Popen([sys.executable, "-m", "canhgac.cli", "up", "--only", "api", "--json",
                           "--grace", "10"], env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
    url = f"http://127.0.0.1:{port}/healthz"

    def healthy() -> bool:
        try:
            return httpx.get(url, timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        _wait(healthy, 90)
        status = json.loads(up.stdout.readline())["components"]
        first_pid = status[0]["pid"]
        assert status[0]["name"] == "api" and status[0]["state"] == "running"
        os.kill(first_pid, signal.SIGKILL)  # a crash
        _wait(lambda: not healthy(), 30)
        _wait(healthy, 90)  # back, after the back-off
        up.send_signal(signal.SIGTERM)
        out, _ = up.communicate(timeout=60)
    finally:
        if up.poll() is None:
            up.kill()
    assert up.returncode == 0
    stopped = json.loads(out.strip().splitlines()[-1])["stopped"][0]
    assert stopped["restarts"] == 1 and stopped["state"] == "stopped"
    assert not healthy()
