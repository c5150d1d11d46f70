"""From tshark rows to events: flows plus the DNS, HTTP and TLS trackers.

``CaptureProcessor`` is shared by the file reader and live capture; it keeps
counters (``CaptureStats``) so nothing it skips goes unreported.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from collectors.pcap.dns import DnsTracker
from collectors.pcap.events import flow_event
from collectors.pcap.fields import AGGREGATOR, COL
from collectors.pcap.flows import FlowTable, FlowTimeouts
from collectors.pcap.http import HttpTracker
from collectors.pcap.packet import decode, decode_outer
from collectors.pcap.tls import observe as observe_tls

_IP_SRC, _V6_SRC = COL["ip.src"], COL["ipv6.src"]
_DNS, _METHOD, _CODE, _TLS = (COL["dns.id"], COL["http.request.method"],
                              COL["http.response.code"], COL["tls.handshake.type"])
_APP_EXPIRE_EVERY = 1024


@dataclass
class CaptureStats:
    """What a capture held: packets seen, keyed, skipped, and events made."""

    packets: int = 0
    non_ip: int = 0  # ARP, STP, ... and non-first IP fragments
    malformed_rows: int = 0  # tshark lines with the wrong number of columns or odd values
    flows: int = 0
    events: int = 0
    last_frame: int = 0


class CaptureProcessor:
    """Feed rows in order; read events from the returned lists."""

    def __init__(self, source: str, timeouts: FlowTimeouts | None = None) -> None:
        self.source = source
        self.flows = FlowTable(timeouts)
        self.dns = DnsTracker(source)
        self.http = HttpTracker(source)
        self.stats = CaptureStats()
        self._n = 0
        self._now = 0.0

    def process(self, cols: list[str] | None) -> list[dict[str, Any]]:
        """Events completed by this row (usually none)."""
        stats = self.stats
        stats.packets += 1
        if cols is None:
            stats.malformed_rows += 1
            return []
        try:
            p = decode(cols)
        except (ValueError, IndexError):  # a field tshark printed in an unexpected form
            stats.malformed_rows += 1
            return []
        if p is None:
            stats.non_ip += 1
            return []
        stats.last_frame = p.frame
        self._now = p.ts
        flow = self.flows.add(p)
        if AGGREGATOR in cols[_IP_SRC] or (cols[_V6_SRC] and (cols[_IP_SRC] or
                                                               AGGREGATOR in cols[_V6_SRC])):
            try:
                outer = decode_outer(cols, p)
            except (ValueError, IndexError):
                outer = None  # the inner packet is counted; its tunnel header is unreadable
            if outer is not None:
                self.flows.add(outer)
        out: list[dict[str, Any]] = []
        try:
            if cols[_DNS]:
                self.dns.observe(cols, p, flow, out)
            if cols[_METHOD] or cols[_CODE]:
                self.http.observe(cols, p, flow, out)
            if cols[_TLS]:
                observe_tls(cols, p, flow, self.source, out)
        except (ValueError, IndexError):  # the flow counted it; the record is unreadable
            stats.malformed_rows += 1
        self._n += 1
        if self._n >= _APP_EXPIRE_EVERY:
            self._n = 0
            self.dns.expire(p.ts, out)
            self.http.expire(p.ts, out)
        if self.flows.done:
            self._drain(out)
        stats.events += len(out)
        return out

    def tick(self, now: float) -> list[dict[str, Any]]:
        """Age flows and pending requests to ``now`` (live capture's clock)."""
        out: list[dict[str, Any]] = []
        self.flows.expire(now)
        self.dns.expire(now, out)
        self.http.expire(now, out)
        self._drain(out)
        self.stats.events += len(out)
        return out

    def finish(self, reason: str = "end_of_capture") -> list[dict[str, Any]]:
        """Everything still open, as events."""
        out: list[dict[str, Any]] = []
        self.dns.flush(out)
        self.http.flush(out)
        self.flows.flush(reason)
        self._drain(out)
        self.stats.events += len(out)
        return out

    def _drain(self, out: list[dict[str, Any]]) -> None:
        done, self.flows.done = self.flows.done, []
        self.stats.flows += len(done)
        for flow in done:
            out.append(flow_event(flow, self.source))
