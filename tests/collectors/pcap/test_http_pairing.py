"""HTTP request/response pairing from tshark columns (pipelined requests too)."""

from __future__ import annotations

from typing import Any

from collectors.pcap.fields import AGGREGATOR, COL, N_FIELDS
from collectors.pcap.flows import FlowTable
from collectors.pcap.http import HttpTracker
from collectors.pcap.packet import PROTO_TCP, Packet


def row(**values: str) -> list[str]:
    cols = [""] * N_FIELDS
    for name, value in values.items():
        cols[COL[name]] = value
    return cols


def test_pipelined_requests_pair_in_order_with_distinct_ids() -> None:
    table, http = FlowTable(), HttpTracker("file:pipelined.pcap")
    req = Packet(4, 100.0, PROTO_TCP, "10.0.0.1", "10.0.0.2", 40000, 80, 300, 0x18, False)
    resp = Packet(6, 100.2, PROTO_TCP, "10.0.0.2", "10.0.0.1", 80, 40000, 500, 0x18, False)
    out: list[dict[str, Any]] = []
    http.observe(row(**{"http.request.method": f"GET{AGGREGATOR}POST",
                        "http.request.uri": f"/a{AGGREGATOR}/b",
                        "http.host": f"cantho.gov.vn{AGGREGATOR}cantho.gov.vn"}),
                 req, table.add(req), out)
    assert out == []
    http.observe(row(**{"http.response.code": f"200{AGGREGATOR}201",
                        "http.request_in": f"4{AGGREGATOR}4"}), resp, table.add(resp), out)
    assert [(e["http"]["request"]["method"], e["url"]["original"],
             e["http"]["response"]["status_code"]) for e in out] == [
        ("GET", "/a", 200), ("POST", "/b", 201)]
    assert out[0]["event"]["id"] != out[1]["event"]["id"]
    assert "_index" not in out[0]


def test_unanswered_request_is_emitted_after_timeout() -> None:
    table, http = FlowTable(), HttpTracker("s", timeout=30.0)
    req = Packet(1, 10.0, PROTO_TCP, "10.0.0.1", "10.0.0.2", 40000, 80, 300, 0x18, False)
    out: list[dict[str, Any]] = []
    http.observe(row(**{"http.request.method": "GET", "http.request.uri": "/"}), req,
                 table.add(req), out)
    http.expire(20.0, out)
    assert out == []
    http.expire(41.0, out)
    assert len(out) == 1 and "response" not in out[0]["http"]
