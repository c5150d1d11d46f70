"""DNS from every producer, ingested into the store: each question carries its
registered domain (what the unique-subdomains correlation groups by), and
Suricata's DNS records carry ``network.protocol: dns`` (what ``category:
dns`` rules select)."""

from __future__ import annotations

import json
from pathlib import Path

from collectors.ingest import ingest
from store.base import Store
from store.query import Bool, Cardinality, Term, TermsAgg

FIXTURES = Path(__file__).parent / "fixtures"
TUNNEL = "dongbo-dulieu.example"


def zeek_json(i: int, query: str) -> str:
    return json.dumps({"_path": "dns", "ts": 1795154400.5 + i, "uid": f"CzD{i:015d}",
                       "id.orig_h": "10.30.0.7", "id.orig_p": 40000 + i,
                       "id.resp_h": "10.30.0.53", "id.resp_p": 53, "proto": "udp",
                       "trans_id": i, "query": query, "qtype_name": "TXT",
                       "rcode_name": "NOERROR"})


def eve_dns(i: int, query: str, kind: str = "query") -> str:
    return json.dumps({"timestamp": f"2026-11-26T09:{i // 60 % 60:02d}:{i % 60:02d}.000000+0700",
                       "flow_id": 7_000_000 + i, "event_type": "dns", "src_ip": "10.30.0.8",
                       "src_port": 41000 + i, "dest_ip": "10.30.0.53", "dest_port": 53,
                       "proto": "UDP", "dns": {"type": kind, "id": i, "rrname": query,
                                               "rrtype": "TXT"}})


def test_every_dns_producer_gives_the_registered_domain(store: Store, tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    (logs / "zeek").mkdir(parents=True)
    # Zeek JSON: a tunnel's unique names (mixed case, trailing dot) and lookups
    lines = [zeek_json(i, f"D{i:04x}Q.S1.{TUNNEL.upper()}.") for i in range(60)]
    lines += [zeek_json(100, "www.dichvucong.gov.vn"), zeek_json(101, "10.0.0.1"),
              zeek_json(102, "7.0.30.10.in-addr.arpa")]
    (logs / "zeek" / "dns.log").write_text("\n".join(lines) + "\n", encoding="utf-8")
    # Zeek TSV (headers): one lookup under thanhpho.example
    (logs / "zeek" / "dns.09:00:00-10:00:00.log").write_bytes(
        (FIXTURES / "zeek" / "dns.log").read_bytes())
    # Suricata EVE: the same tunnel seen by the IDS, queries and answers
    eve = [eve_dns(i, f"e{i:04x}.s2.{TUNNEL}", "query" if i % 2 else "answer")
           for i in range(50)]
    (logs / "eve.json").write_text("\n".join(eve) + "\n", encoding="utf-8")

    summary = ingest(store, [logs])
    assert summary.dead_letters == 0
    assert summary.events_written == 63 + 1 + 50
    store.refresh("events")

    tunnel = Term("dns.question.registered_domain", TUNNEL)
    assert store.count("events", tunnel) == 110
    by_module = store.aggregate("events", {"m": TermsAgg("event.module")}, query=tunnel)["m"]
    assert {b["key"]: b["count"] for b in by_module} == {"zeek": 60, "suricata": 50}
    distinct = store.aggregate("events", {"n": Cardinality("dns.question.name")},
                               query=tunnel)["n"]
    assert distinct == 110
    domains = store.aggregate("events", {"d": TermsAgg("dns.question.registered_domain")})["d"]
    assert {b["key"]: b["count"] for b in domains} == {
        TUNNEL: 110, "dichvucong.gov.vn": 1, "10.in-addr.arpa": 1, "thanhpho.example": 1}
    (hit,) = store.search("events", Term("dns.question.registered_domain",
                                         "dichvucong.gov.vn")).hits
    assert hit.source["dns"]["question"]["top_level_domain"] == "gov.vn"
    assert hit.source["dns"]["question"]["subdomain"] == "www"
    (bare,) = store.search("events", Term("dns.question.name", "10.0.0.1")).hits
    assert "registered_domain" not in bare.source["dns"]["question"]

    # what `logsource: category: dns` selects (network.protocol: dns) now holds
    # Suricata's DNS records, which carry no app_proto
    suricata_dns = Bool(filter=[Term("event.module", "suricata"),
                                Term("network.protocol", "dns")])
    assert store.count("events", suricata_dns) == 50
    assert store.count("events", Term("network.protocol", "dns")) == 114
