"""The engine dies mid-run: writes fail with a clear StoreUnavailable, and
every write the store acknowledged before that is there after a restart.

Starts its own OpenSearch node (separate port, run folder and data) with
tools/opensearch/opensearch.sh, kills it with SIGKILL while a writer is busy,
then restarts it on the same data.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

from store import StoreUnavailable
from store.query import Ids

SCRIPT = Path(__file__).resolve().parents[2] / "tools" / "opensearch" / "opensearch.sh"
PORT = 19250

pytestmark = [
    pytest.mark.engine,
    pytest.mark.skipif(not os.environ.get("CANHGAC_TEST_OPENSEARCH_URL"),
                       reason="CANHGAC_TEST_OPENSEARCH_URL not set: no OpenSearch toolchain "
                              "(make test provides one)"),
]


def _node(run_dir: Path, *args: str, keep: bool = False) -> subprocess.CompletedProcess:
    env = dict(os.environ, CANHGAC_OPENSEARCH_RUN_DIR=str(run_dir),
               CANHGAC_OPENSEARCH_PORT=str(PORT), CANHGAC_OPENSEARCH_HEAP="512m",
               CANHGAC_OPENSEARCH_KEEP_DATA="1" if keep else "0")
    return subprocess.run([str(SCRIPT), *args], env=env, capture_output=True, text=True,
                          timeout=300, stdin=subprocess.DEVNULL)


def _doc(i: int) -> dict:
    return {"@timestamp": "2026-11-20T00:00:00Z", "event": {"id": f"o-{i:06d}",
            "dataset": "outage.test"}, "message": f"event {i}"}


def test_engine_killed_mid_run_loses_nothing_acknowledged(tmp_path: Path):
    from store.engine import EngineStore

    run_dir = tmp_path / "node"
    started = _node(run_dir, "start")
    assert started.returncode == 0, started.stdout + started.stderr
    url = f"http://127.0.0.1:{PORT}"
    acked: list[str] = []
    failure: list[BaseException] = []
    try:
        st = EngineStore(url, namespace="outage", timeout=5.0)
        st.init()

        def writer() -> None:
            for batch in range(400):  # bounded: stops at the first failure anyway
                docs = [_doc(batch * 100 + i) for i in range(100)]
                try:
                    result = st.bulk("events", docs, mode="create")
                except StoreUnavailable as exc:
                    failure.append(exc)
                    return
                acked.extend(d["event"]["id"] for d in docs
                             if d["event"]["id"] not in {e.id for e in result.errors})
                time.sleep(0.01)

        thread = threading.Thread(target=writer)
        thread.start()
        deadline = time.monotonic() + 60
        while len(acked) < 1000 and time.monotonic() < deadline and thread.is_alive():
            time.sleep(0.05)
        pid = int((run_dir / "opensearch.pid").read_text().strip())
        os.kill(pid, signal.SIGKILL)
        thread.join(120)
        assert not thread.is_alive()
        assert failure, "the writer never noticed the engine had gone"
        assert url in str(failure[0]) and "unreachable" in str(failure[0]).lower()
        with pytest.raises(StoreUnavailable):
            st.count("events")
        st.close()

        restarted = _node(run_dir, "start", keep=True)
        assert restarted.returncode == 0, restarted.stdout + restarted.stderr
        st = EngineStore(url, namespace="outage", timeout=30.0)
        st.refresh("events")
        assert len(acked) >= 1000
        found = 0
        for k in range(0, len(acked), 1000):
            found += st.count("events", Ids(acked[k:k + 1000]))
        assert found == len(acked)
        st.close()
    finally:
        _node(run_dir, "stop")
