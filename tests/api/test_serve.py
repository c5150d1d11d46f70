"""``canhgac serve`` for real: uvicorn on loopback with TLS, then a graceful stop."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl CLI needed to make a cert")
def test_serve_tls_and_graceful_shutdown(tmp_path: Path) -> None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=60)
    port = _free_port()
    env = {**os.environ, "CANHGAC_DATA_DIR": str(tmp_path), "CANHGAC_STORE": "sqlite",
           "CANHGAC_LOG__LEVEL": "INFO"}
    proc = subprocess.Popen([sys.executable, "-m", "canhgac.cli", "serve", "--host", "127.0.0.1",
                             "--port", str(port), "--tls-cert", str(cert), "--tls-key", str(key)],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        answer = None
        with httpx.Client(verify=False, timeout=2.0) as http:
            for _ in range(150):  # up to ~30 s on a loaded machine
                try:
                    answer = http.get(f"https://127.0.0.1:{port}/readyz")
                    break
                except httpx.TransportError:
                    time.sleep(0.2)
        assert answer is not None and answer.json()["status"] == "ready"
        assert (tmp_path / "api-secret.key").stat().st_mode & 0o777 == 0o600
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    output = proc.stdout.read().decode() if proc.stdout else ""
    # uvicorn finishes in-flight requests and the lifespan, then re-raises SIGTERM.
    assert code in (0, -signal.SIGTERM), output[-2000:]
    assert "Application shutdown complete" in output, output[-2000:]
