"""Capture events written into the store, on every backend: they validate,
replays are idempotent, and the network fields are searchable by type."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from collectors.pcap import read_pcap
from collectors.record import ParseError
from store.base import Store
from store.query import Range, Term, TermsAgg
from tests.collectors.pcap.captures import DNS_ADDRS, SNI, Expected


def test_capture_events_into_the_store(store: Store, mixed: tuple[Path, Expected],
                                       mixed_events: list[dict[str, Any]]) -> None:
    first = store.bulk("events", mixed_events, mode="create", refresh=True)
    assert first.errors == []
    assert first.written == len(mixed_events)
    replay = store.bulk("events", list(read_pcap(mixed[0], "file:mixed.pcap")), mode="create",
                        refresh=True)
    assert replay.written == 0 and replay.existing == len(mixed_events)
    store.refresh("events")
    datasets = store.aggregate("events", {"d": TermsAgg("event.dataset")})["d"]
    assert {b["key"]: b["count"] for b in datasets} == {
        "pcap.flow": len(mixed[1].flows), "pcap.dns": 2, "pcap.http": 1, "pcap.tls": 1}
    assert store.count("events", Term("tls.client.server_name", SNI)) == 1
    assert store.count("events", Term("dns.resolved_ip", DNS_ADDRS[1])) == 1
    big = [f for f in mixed[1].flows.values() if f["a_bytes"] + f["b_bytes"] >= 500]
    assert len(big) == 3  # the three TCP sessions
    assert store.count("events", Range("network.bytes", gte=500)) == len(big)
    icmp = store.search("events", Term("network.transport", "icmp")).hits
    assert len(icmp) == 1 and icmp[0].source["network"]["community_id"].startswith("1:")


def test_a_bad_file_becomes_a_dead_letter(store: Store, tmp_path: Path) -> None:
    """What the ingest command does with our ParseError."""
    path = tmp_path / "bad.pcap"
    path.write_bytes(b"<html>not a capture</html>")
    try:
        list(read_pcap(path, f"file:{path}"))
    except ParseError as exc:
        store.dead_letter(f"file:{path}", exc.reason, path.read_bytes()[:4096])
    store.refresh("dead_letters")
    (hit,) = store.search("dead_letters").hits
    assert "not a pcap" in hit.source["reason"]
