"""DNS queries and answers, paired like Zeek's dns.log.

A query waits (keyed by flow, transaction id and question name) for its
response; the pair becomes one event (``dns.type: answer``) carrying the
question, the answers, the response code and the resolved addresses.  A
query never answered is emitted alone (``dns.type: query``) after
``timeout`` seconds of capture time or at the end; a response whose query
was not captured is emitted alone too.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from collectors.domains import question_fields
from collectors.pcap.events import packet_event
from collectors.pcap.fields import AGGREGATOR, COL
from collectors.pcap.flows import Flow
from collectors.pcap.packet import Packet

QTYPES = {1: "A", 2: "NS", 5: "CNAME", 6: "SOA", 12: "PTR", 13: "HINFO", 15: "MX", 16: "TXT",
          17: "RP", 18: "AFSDB", 24: "SIG", 25: "KEY", 28: "AAAA", 29: "LOC", 33: "SRV",
          35: "NAPTR", 39: "DNAME", 41: "OPT", 43: "DS", 44: "SSHFP", 46: "RRSIG", 47: "NSEC",
          48: "DNSKEY", 50: "NSEC3", 52: "TLSA", 64: "SVCB", 65: "HTTPS", 99: "SPF",
          249: "TKEY", 250: "TSIG", 251: "IXFR", 252: "AXFR", 255: "*", 256: "URI", 257: "CAA"}
RCODES = {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED",
          6: "YXDOMAIN", 7: "YXRRSET", 8: "NXRRSET", 9: "NOTAUTH", 10: "NOTZONE"}
QCLASSES = {1: "IN", 3: "CH", 4: "HS", 254: "NONE", 255: "ANY"}
# Which column holds the data of an answer of a given type.
_DATA_COLS = {1: COL["dns.a"], 28: COL["dns.aaaa"], 5: COL["dns.cname"],
              12: COL["dns.ptr.domain_name"], 2: COL["dns.ns"], 15: COL["dns.mx.mail_exchange"],
              16: COL["dns.txt"]}
_ID, _RESP, _RCODE = COL["dns.id"], COL["dns.flags.response"], COL["dns.flags.rcode"]
_QNAME, _QTYPE, _QCLASS = COL["dns.qry.name"], COL["dns.qry.type"], COL["dns.qry.class"]
_NANS, _RNAME, _RTYPE, _RTTL = (COL["dns.count.answers"], COL["dns.resp.name"],
                                COL["dns.resp.type"], COL["dns.resp.ttl"])


def type_name(code: int | None) -> str | None:
    """``1`` → ``"A"``; unknown codes as ``TYPE<n>`` (RFC 3597)."""
    if code is None:
        return None
    return QTYPES.get(code, f"TYPE{code}")


def _int(text: str) -> int | None:
    text = text.split(AGGREGATOR, 1)[0]
    try:
        return int(text, 0)
    except ValueError:
        return None


def _split(text: str) -> list[str]:
    return text.split(AGGREGATOR) if text else []


def answers(cols: list[str]) -> tuple[list[dict[str, Any]], list[str]]:
    """The answer section (``dns.answers``) and the resolved addresses."""
    count = _int(cols[_NANS]) or 0
    names, types, ttls = _split(cols[_RNAME]), _split(cols[_RTYPE]), _split(cols[_RTTL])
    pools = {t: iter(_split(cols[c])) for t, c in _DATA_COLS.items()}
    out: list[dict[str, Any]] = []
    resolved: list[str] = []
    for i in range(min(count, len(types))):
        rtype = _int(types[i])
        data = next(pools[rtype], None) if rtype in pools else None
        ans: dict[str, Any] = {"name": names[i] if i < len(names) else None,
                               "type": type_name(rtype), "class": "IN"}
        if i < len(ttls) and ttls[i].isdigit():
            ans["ttl"] = int(ttls[i])
        if data is not None:
            ans["data"] = data
            if rtype in (1, 28):
                resolved.append(data)
        out.append({k: v for k, v in ans.items() if v is not None})
    return out, resolved


class DnsTracker:
    """Pairs DNS queries with responses and builds their events."""

    def __init__(self, source: str, timeout: float = 60.0, max_pending: int = 50_000) -> None:
        self.source = source
        self.timeout = timeout
        self.max_pending = max_pending
        self._pending: OrderedDict[tuple, tuple[Packet, Flow, dict[str, Any]]] = OrderedDict()

    def observe(self, cols: list[str], p: Packet, flow: Flow, out: list[dict[str, Any]]) -> None:
        """Take the DNS message in a row (``cols[dns.id]`` is set)."""
        tid = _int(cols[_ID])
        qname = cols[_QNAME].split(AGGREGATOR, 1)[0]
        key = (flow.key, tid, qname.lower())
        is_response = cols[_RESP].split(AGGREGATOR, 1)[0] in ("1", "True", "true")
        question = {"dns.id": str(tid) if tid is not None else None,
                    "dns.question.name": qname or None,
                    "dns.question.type": type_name(_int(cols[_QTYPE])),
                    "dns.question.class": QCLASSES.get(_int(cols[_QCLASS]) or -1)}
        if qname:
            question.update(question_fields(qname))
        if not is_response:
            if key in self._pending:  # a retransmission: report the first try alone
                self._emit_query(self._pending.pop(key), out)
            self._pending[key] = (p, flow, question)
            if len(self._pending) > self.max_pending:
                self._emit_query(self._pending.popitem(last=False)[1], out)
            return
        ans, resolved = answers(cols)
        rcode = _int(cols[_RCODE])
        fields = dict(question)
        fields.update({"dns.type": "answer",
                       "dns.response_code": RCODES.get(rcode, str(rcode)) if rcode is not None
                       else None,
                       "dns.answers": ans or None, "dns.resolved_ip": resolved or None})
        pending = self._pending.pop(key, None)
        if pending is not None:  # the event keeps the query's endpoints and time
            qp, qflow, _ = pending
            out.append(packet_event(qp, qflow, self.source, kind="dns", dataset="pcap.dns",
                                    protocol="dns", event_type=["protocol", "info"],
                                    fields=fields))
        else:
            out.append(packet_event(p, flow, self.source, kind="dns", dataset="pcap.dns",
                                    protocol="dns", event_type=["protocol", "info"],
                                    fields=fields))

    def expire(self, now: float, out: list[dict[str, Any]]) -> None:
        """Emit queries that waited longer than ``timeout``."""
        while self._pending:
            entry = next(iter(self._pending.values()))
            if now - entry[0].ts < self.timeout:
                break
            self._emit_query(self._pending.popitem(last=False)[1], out)

    def flush(self, out: list[dict[str, Any]]) -> None:
        while self._pending:
            self._emit_query(self._pending.popitem(last=False)[1], out)

    def _emit_query(self, entry: tuple[Packet, Flow, dict[str, Any]],
                    out: list[dict[str, Any]]) -> None:
        p, flow, question = entry
        out.append(packet_event(p, flow, self.source, kind="dns", dataset="pcap.dns",
                                protocol="dns", event_type=["protocol", "info"],
                                fields={**question, "dns.type": "query"}))
