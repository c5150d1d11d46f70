"""read_pcap on captures generated in the test: flows, DNS, HTTP, TLS, ICMP."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from canhgac.ecs import validate
from collectors.pcap import CaptureStats, read_pcap
from tests.collectors.pcap.captures import (
    CLIENT,
    DNS_ADDRS,
    DNS_NAME,
    HTTP_HOST,
    HTTP_UA,
    PINGED,
    RESOLVER,
    SERVER,
    SNI,
    Expected,
    expected_ja3,
    expected_ja4,
)


def by_dataset(events: list[dict[str, Any]], dataset: str) -> list[dict[str, Any]]:
    return [e for e in events if e["event"]["dataset"] == dataset]


def flow_key(ev: dict[str, Any]) -> tuple:
    if "icmp" in ev:
        sp, dp = ev["icmp"]["type"], ev["icmp"]["code"]
    else:
        sp, dp = ev["source"]["port"], ev["destination"]["port"]
    return (ev["network"]["transport"], ev["source"]["ip"], sp, ev["destination"]["ip"], dp)


def test_flows_match_the_packets_written(
        mixed: tuple[Path, Expected],
        mixed_read: tuple[list[dict[str, Any]], CaptureStats]) -> None:
    expected = mixed[1]
    events, stats = mixed_read
    flows = {flow_key(e): e for e in by_dataset(events, "pcap.flow")}
    assert set(flows) == set(expected.flows)
    for key, want in expected.flows.items():
        ev = flows[key]
        got = {"a_packets": ev["source"]["packets"], "a_bytes": ev["source"]["bytes"],
               "b_packets": ev["destination"]["packets"], "b_bytes": ev["destination"]["bytes"]}
        assert got == want, key
        assert ev["network"]["bytes"] == want["a_bytes"] + want["b_bytes"]
        assert ev["network"]["packets"] == want["a_packets"] + want["b_packets"]
        assert ev["network"]["community_id"].startswith("1:")
        assert ev["event"]["start"] <= ev["event"]["end"]
    assert stats.non_ip == 1  # the ARP frame
    assert stats.malformed_rows == 0
    for ev in events:
        validate(ev)


def test_tcp_flow_fields(mixed_events: list[dict[str, Any]]) -> None:
    events = mixed_events
    ev = next(e for e in by_dataset(events, "pcap.flow")
              if e["destination"].get("port") == 8080)
    assert ev["network"]["transport"] == "tcp"
    assert ev["network"]["iana_number"] == "6"
    assert ev["network"]["type"] == "ipv4"
    assert set(ev["tcp"]["flags"]) == {"SYN", "ACK", "PSH", "FIN"}
    assert ev["event"]["reason"] == "fin"  # closed by FIN both ways, last ACK included
    assert ev["event"]["duration"] == 90_000_000  # 9 gaps of 10 ms, in ns
    assert ev["source"]["ip"] == CLIENT and ev["destination"]["ip"] == SERVER


def test_icmp_echo_is_one_flow_with_type_and_code(mixed_events: list[dict[str, Any]]) -> None:
    events = mixed_events
    icmp = [e for e in by_dataset(events, "pcap.flow") if e["network"]["transport"] == "icmp"]
    assert len(icmp) == 1
    ev = icmp[0]
    assert ev["icmp"] == {"type": 8, "code": 0}
    assert ev["destination"]["ip"] == PINGED
    assert ev["source"]["packets"] == ev["destination"]["packets"] == 1
    assert "port" not in ev["source"]


def test_dns_query_paired_with_answer(mixed_events: list[dict[str, Any]]) -> None:
    events = mixed_events
    dns = {e["dns"]["question"]["name"]: e for e in by_dataset(events, "pcap.dns")}
    assert len(by_dataset(events, "pcap.dns")) == 2
    ok = dns[DNS_NAME]
    assert ok["dns"]["type"] == "answer"
    assert ok["dns"]["id"] == "4242"
    assert ok["dns"]["question"]["type"] == "A"
    assert ok["dns"]["response_code"] == "NOERROR"
    assert ok["dns"]["resolved_ip"] == list(DNS_ADDRS)
    assert [a["type"] for a in ok["dns"]["answers"]] == ["CNAME", "A", "A"]
    assert ok["dns"]["answers"][0]["data"] == "web." + DNS_NAME
    assert ok["source"]["ip"] == CLIENT and ok["destination"]["ip"] == RESOLVER
    nx = dns["khong-ton-tai.cantho.gov.vn"]
    assert nx["dns"]["response_code"] == "NXDOMAIN"
    for ev, sub in ((ok, "ioc"), (nx, "khong-ton-tai")):
        assert ev["dns"]["question"]["registered_domain"] == "cantho.gov.vn"
        assert ev["dns"]["question"]["top_level_domain"] == "gov.vn"
        assert ev["dns"]["question"]["subdomain"] == sub
    assert nx["dns"]["question"]["type"] == "AAAA"
    assert "resolved_ip" not in nx["dns"]


def test_http_request_with_status(mixed_events: list[dict[str, Any]]) -> None:
    events = mixed_events
    (http,) = by_dataset(events, "pcap.http")
    assert http["http"]["request"]["method"] == "GET"
    assert http["http"]["response"]["status_code"] == 404
    assert http["url"] == {"original": "/tin-tuc?id=42", "domain": HTTP_HOST,
                           "path": "/tin-tuc", "query": "id=42"}
    assert http["user_agent"]["original"] == HTTP_UA
    assert http["destination"]["port"] == 80


def test_tls_client_hello(mixed_events: list[dict[str, Any]]) -> None:
    events = mixed_events
    (tls,) = by_dataset(events, "pcap.tls")
    assert tls["tls"]["client"]["server_name"] == SNI
    assert tls["tls"]["version"] == "1.3"  # from supported_versions, GREASE skipped
    assert tls["tls"]["version_protocol"] == "tls"
    assert tls["tls"]["client"]["ja3"] == expected_ja3()
    assert tls["tls"]["client"]["ja4"] == expected_ja4()  # computed: tshark 4.0 has no JA4
    flow = next(e for e in by_dataset(events, "pcap.flow")
                if e["destination"].get("port") == 443)
    assert tls["network"]["community_id"] == flow["network"]["community_id"]


def test_community_ids_agree_with_tshark(mixed: tuple[Path, Expected]) -> None:
    """Wireshark's own Community ID dissector (a separate implementation)."""
    path = mixed[0]
    out = subprocess.run(
        ["tshark", "-n", "-r", str(path), "--enable-protocol", "communityid", "-T", "fields",
         "-e", "communityid"], capture_output=True, text=True, timeout=60, check=True).stdout
    theirs = {line for line in out.split() if line.startswith("1:")}
    ours = {e["network"]["community_id"] for e in read_pcap(path, "file:mixed.pcap")
            if e["event"]["dataset"] == "pcap.flow"}
    assert ours == theirs
    assert len(ours) == 7


def test_ids_are_deterministic_and_unique(mixed: tuple[Path, Expected],
                                         mixed_events: list[dict[str, Any]]) -> None:
    first = [e["event"]["id"] for e in mixed_events]
    again = [e["event"]["id"] for e in read_pcap(mixed[0], "file:mixed.pcap")]
    other = [e["event"]["id"] for e in read_pcap(mixed[0], "file:copy.pcap")]
    assert first == again
    assert len(set(first)) == len(first)
    assert not set(first) & set(other)


def test_pcapng_reads_the_same(mixed: tuple[Path, Expected], tmp_path: Path,
                               mixed_events: list[dict[str, Any]]) -> None:
    ng = tmp_path / "mixed.pcapng"
    subprocess.run(["editcap", "-F", "pcapng", str(mixed[0]), str(ng)], check=True,
                   capture_output=True, timeout=60)
    a = sorted(e["network"]["community_id"] for e in mixed_events
               if e["event"]["dataset"] == "pcap.flow")
    b = sorted(e["network"]["community_id"] for e in read_pcap(ng, "s")
               if e["event"]["dataset"] == "pcap.flow")
    assert a == b and len(a) == len(mixed[1].flows)
