"""The live-capture input of ``canhgac collect run`` on loopback: flows reach
the store when they time out while the capture goes on, and open flows are
flushed on stop.  Only traffic the test sends to 127.0.0.1 is captured
(a BPF filter on its own ports), in bounded loops."""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path
from typing import Any

import pytest

from store.base import Store

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 and not os.access("/usr/bin/dumpcap", os.X_OK),
    reason="live capture needs root or dumpcap with capture capabilities")


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def flows(store: Store) -> dict[int, dict[str, Any]]:
    store.refresh("events")
    out = {}
    for d in store.scan("events"):
        ev = d.source
        if ev["event"]["dataset"] == "pcap.flow":
            out[ev["destination"]["port"]] = ev
    return out


def wait(cond: Any, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.1)
    return False


def test_live_capture_input_flushes_on_timeout_and_on_stop(store: Store,
                                                           tmp_path: Path) -> None:
    from canhgac.settings.collectors import CollectorsSettings
    from collectors.runner import CollectorRuntime

    early, late = free_udp_port(), free_udp_port()
    cfg = CollectorsSettings.model_validate({
        "captures": [{"id": "lo", "interface": "lo",
                      "bpf_filter": f"udp and (port {early} or port {late})",
                      "idle": 1.0, "tick_interval": 0.2, "restart_interval": 1.0}],
        "sink": {"batch_timeout": 0.05, "batch_size": 50}, "health_interval": 60})
    runtime = CollectorRuntime(cfg, store, tmp_path / "data").start()
    try:
        assert wait(lambda: runtime.health.get("lo").state == "running"), \
            runtime.health.get("lo")
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            for _ in range(12):
                s.sendto(b"canh-gac-early", ("127.0.0.1", early))
        # idle for 1 s: the flow is emitted while the capture keeps running
        assert wait(lambda: early in flows(store)), "no flow after its idle timeout"
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            for _ in range(5):
                s.sendto(b"canh-gac-late", ("127.0.0.1", late))
        time.sleep(0.5)  # captured, still open (idle timeout not reached)
    finally:
        assert runtime.stop()
    got = flows(store)
    assert got[early]["source"]["packets"] == 12
    assert got[early]["source"]["bytes"] == 12 * (20 + 8 + len(b"canh-gac-early"))
    assert got[early]["event"]["reason"] == "idle_timeout"
    assert got[late]["source"]["packets"] == 5
    assert got[late]["event"]["reason"] == "end_of_capture"
    assert got[late]["network"]["community_id"].startswith("1:")
    h = runtime.health.get("lo")
    assert h is not None and h.events_out >= 2 and h.state == "stopped"


def test_capture_on_a_missing_interface_is_reported_not_fatal(store: Store,
                                                              tmp_path: Path) -> None:
    from canhgac.settings.collectors import CollectorsSettings
    from collectors.runner import CollectorRuntime

    cfg = CollectorsSettings.model_validate({
        "captures": [{"id": "nope", "interface": "canhgac-no-such-if0",
                      "restart_interval": 30.0}], "health_interval": 60})
    runtime = CollectorRuntime(cfg, store, tmp_path / "data").start()
    try:
        assert wait(lambda: (runtime.health.get("nope").last_error or "") != "")
        assert runtime.health.get("nope").state == "failed"
    finally:
        assert runtime.stop()
