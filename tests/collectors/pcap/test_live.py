"""Live capture on loopback, bounded by packet count and time."""

from __future__ import annotations

import os
import socket
import threading
from typing import Any

import pytest

from collectors.pcap.live import capture

pytestmark = pytest.mark.skipif(os.geteuid() != 0 and not os.access("/usr/bin/dumpcap", os.X_OK),
                                reason="live capture needs root or dumpcap capabilities")


def free_port(kind: int) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_live_capture_on_loopback_emits_flows() -> None:
    udp_port = free_port(socket.SOCK_DGRAM)
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    tcp_port = server.getsockname()[1]
    n_udp, payload = 12, b"canh-gac"
    ready = threading.Event()
    events: list[dict[str, Any]] = []
    errors: list[BaseException] = []

    def consume() -> None:
        try:
            for ev in capture("lo", f"udp port {udp_port} or tcp port {tcp_port}",
                              source="live:lo:test", duration=4, packet_count=200,
                              tick_interval=0.5, ready=ready):
                events.append(ev)
        except BaseException as exc:  # reported to the test thread
            errors.append(exc)

    worker = threading.Thread(target=consume)
    worker.start()
    try:
        assert ready.wait(15), "tshark did not start capturing"
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            for _ in range(n_udp):
                s.sendto(payload, ("127.0.0.1", udp_port))
        with socket.create_connection(("127.0.0.1", tcp_port), timeout=5) as c:
            conn, _ = server.accept()
            c.sendall(b"GET / HTTP/1.0\r\n\r\n")
            assert conn.recv(100)
            conn.sendall(b"HTTP/1.0 200 OK\r\n\r\n")
            c.recv(100)
            conn.close()
    finally:
        worker.join(30)
        server.close()
    assert not worker.is_alive()
    assert not errors, errors
    flows = [e for e in events if e["event"]["dataset"] == "pcap.flow"]
    udp = [e for e in flows if e["destination"].get("port") == udp_port]
    assert len(udp) == 1
    assert udp[0]["source"]["packets"] == n_udp
    assert udp[0]["source"]["bytes"] == n_udp * (20 + 8 + len(payload))
    tcp = [e for e in flows if tcp_port in (e["destination"].get("port"),
                                            e["source"].get("port"))]
    assert len(tcp) == 1
    assert {"SYN", "FIN"} <= set(tcp[0]["tcp"]["flags"])
    assert tcp[0]["network"]["community_id"].startswith("1:")
