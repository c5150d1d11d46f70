"""Reading Zeek's TSV logs and comparing them with our events (extended check helper)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from collectors.pcap.community import icmp_ports
from collectors.pcap.packet import TRANSPORT_NAMES


def read_zeek_tsv(path: Path) -> list[dict[str, str]]:
    """Rows of a Zeek TSV log as dicts keyed by the ``#fields`` names."""
    names: list[str] = []
    rows: list[dict[str, str]] = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith("#fields"):
            names = line.split("\t")[1:]
        elif line and not line.startswith("#") and names:
            rows.append(dict(zip(names, line.split("\t"), strict=False)))
    return rows


def zeek_flow_key(row: dict[str, str]) -> tuple:
    proto = row.get("proto", "")
    if proto == "icmp" and ":" in row["id.orig_h"]:
        proto = "ipv6-icmp"
    if proto == "unknown_transport":  # Zeek without an analyzer: match on addresses
        proto = TRANSPORT_NAMES.get(int(row.get("ip_proto", "0") or 0), row.get("ip_proto"))
        return (proto, row["id.orig_h"], 0, row["id.resp_h"], 0)
    return (proto, row["id.orig_h"], int(row["id.orig_p"]), row["id.resp_h"],
            int(row["id.resp_p"]))


def our_flow_key(ev: dict[str, Any], ports: bool = True) -> tuple:
    """Our flow's 5-tuple the way Zeek writes it (ICMP: type and its counterpart)."""
    net, src, dst = ev["network"], ev["source"], ev["destination"]
    if not ports:
        sp = dp = 0
    elif "icmp" in ev:
        proto = 58 if net["transport"] == "ipv6-icmp" else 1
        sp, dp, _ = icmp_ports(proto, ev["icmp"]["type"], ev["icmp"]["code"])
    else:
        sp, dp = src.get("port", 0), dst.get("port", 0)
    return (net["transport"], src["ip"], sp, dst["ip"], dp)


def _undirected(key: tuple) -> tuple:
    a, b = (key[1], key[2]), (key[3], key[4])
    return (key[0], *min(a, b), *max(a, b))


def _num(text: str) -> int | None:
    return int(text) if text.isdigit() else None


@dataclass
class FlowAgreement:
    """How our flows compare with one conn.log."""

    zeek_flows: int = 0
    our_flows: int = 0
    matched: int = 0  # same 5-tuple (either orientation)
    same_direction: int = 0
    packets_equal: int = 0  # both directions
    bytes_equal: int = 0  # IP bytes both directions
    community_id_checked: int = 0
    community_id_equal: int = 0
    missing: list[tuple] = field(default_factory=list)

    def add(self, other: FlowAgreement) -> None:
        for name in ("zeek_flows", "our_flows", "matched", "same_direction", "packets_equal",
                     "bytes_equal", "community_id_checked", "community_id_equal"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.missing += other.missing


def compare_flows(zeek_rows: list[dict[str, str]], events: Iterable[dict[str, Any]]
                  ) -> FlowAgreement:
    """Match Zeek's conn.log rows with our pcap.flow events by undirected 5-tuple
    (summing our records that Zeek counts as one connection)."""
    ours: dict[tuple, list[dict[str, Any]]] = {}
    n_ours = 0
    for ev in events:
        if ev["event"]["dataset"] != "pcap.flow":
            continue
        n_ours += 1
        ours.setdefault(_undirected(our_flow_key(ev)), []).append(ev)
        ours.setdefault(_undirected(our_flow_key(ev, ports=False)), []).append(ev)
    agg = FlowAgreement(zeek_flows=len(zeek_rows), our_flows=n_ours)
    for row in zeek_rows:
        key = zeek_flow_key(row)
        evs = ours.get(_undirected(key))
        if not evs:
            agg.missing.append(key)
            continue
        agg.matched += 1
        ev = evs[0]
        forward = our_flow_key(ev)[1] == key[1]
        agg.same_direction += forward
        sides = ("source", "destination") if forward else ("destination", "source")
        ours_pk = (sum(e[sides[0]]["packets"] for e in evs),
                   sum(e[sides[1]]["packets"] for e in evs))
        ours_b = (sum(e[sides[0]]["bytes"] for e in evs), sum(e[sides[1]]["bytes"] for e in evs))
        z_pk = (_num(row.get("orig_pkts", "")), _num(row.get("resp_pkts", "")))
        z_b = (_num(row.get("orig_ip_bytes", "")), _num(row.get("resp_ip_bytes", "")))
        agg.packets_equal += ours_pk == z_pk
        agg.bytes_equal += ours_b == z_b
        zcid = row.get("community_id")
        if zcid and zcid != "-":
            agg.community_id_checked += 1
            agg.community_id_equal += ev["network"].get("community_id") == zcid
    return agg


def compare_dns(zeek_rows: list[dict[str, str]], events: Iterable[dict[str, Any]]
                ) -> tuple[int, int]:
    """(zeek dns.log rows, rows matched by an event with the same query, id and
    response code)."""
    ours = set()
    for ev in events:
        if ev["event"]["dataset"] != "pcap.dns":
            continue
        dns = ev["dns"]
        q = dns.get("question", {})
        ours.add((str(q.get("name", "")).lower(), dns.get("id"), dns.get("response_code")))
        ours.add((str(q.get("name", "")).lower(), dns.get("id"), None))
    matched = 0
    for row in zeek_rows:
        name = row.get("query", "-")
        rcode = row.get("rcode_name", "-")
        key = ("" if name == "-" else name.lower(), row.get("trans_id"),
               None if rcode == "-" else rcode)
        matched += key in ours
    return len(zeek_rows), matched


def compare_http(zeek_rows: list[dict[str, str]], events: Iterable[dict[str, Any]]
                 ) -> tuple[int, int]:
    """(zeek http.log rows with a method, rows matched by method, host, uri and status);
    Zeek logs the URI percent-decoded, so both sides are compared decoded."""
    ours = []
    for ev in events:
        if ev["event"]["dataset"] != "pcap.http":
            continue
        uri = ev.get("url", {}).get("original")
        ours.append((ev["http"]["request"].get("method"), ev.get("url", {}).get("domain"),
                     unquote(uri) if uri else None,
                     ev["http"].get("response", {}).get("status_code")))
    rows = [r for r in zeek_rows if r.get("method", "-") != "-"]
    matched = 0
    pool = list(ours)
    for r in rows:
        host = r.get("host", "-")
        code = r.get("status_code", "-")
        key = (r["method"], None if host == "-" else host.rsplit(":", 1)[0],
               None if r.get("uri", "-") == "-" else unquote(r["uri"]),
               int(code) if code.isdigit() else None)
        if key in pool:
            pool.remove(key)
            matched += 1
    return len(rows), matched
