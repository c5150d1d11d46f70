"""Bidirectional flow records built from packets, NetFlow/Zeek style.

A flow is keyed by its 5-tuple in canonical order, so both directions meet in
one record.  The originator is the sender of the first packet (of the SYN
when the capture starts with the SYN-ACK).  A flow ends, and is handed out
through ``FlowTable.done``, when:

- TCP FIN was seen from both sides, or a RST, and ``close_linger`` seconds of
  capture time passed (so the last ACKs still count, as in Zeek's
  ``tcp_close_delay``); a new SYN on a closed tuple ends it at once;
- it was idle longer than ``tcp_idle``/``idle`` seconds;
- it lasted longer than ``active`` seconds (the record is cut and a new one
  starts, like NetFlow's active timeout);
- the table holds more than ``max_flows`` flows (the oldest is evicted), or
  the capture ends (``flush``).

Time is capture time: file reading needs no clock; live capture calls
``expire(time.time())`` when no packets arrive.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from dataclasses import dataclass

from collectors.pcap.community import icmp_ports
from collectors.pcap.packet import PROTO_ICMP, PROTO_ICMP6, PROTO_TCP, Packet

FIN, SYN, RST, PSH, ACK, URG, ECE, CWR = 0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80
FLAG_NAMES = ((FIN, "FIN"), (SYN, "SYN"), (RST, "RST"), (PSH, "PSH"), (ACK, "ACK"),
              (URG, "URG"), (ECE, "ECE"), (CWR, "CWR"))
_EXPIRE_EVERY = 64


@dataclass(frozen=True)
class FlowTimeouts:
    """Flow ageing, in seconds of capture time."""

    tcp_idle: float = 300.0
    idle: float = 60.0
    active: float = 1800.0
    close_linger: float = 5.0
    max_flows: int = 200_000


class Flow:
    """One bidirectional conversation; ``a`` is the originator side."""

    __slots__ = (
        "a_bytes",
        "a_flags",
        "a_packets",
        "b_bytes",
        "b_flags",
        "b_packets",
        "closed_at",
        "community_id",
        "dport",
        "dst",
        "fins",
        "first_frame",
        "first_ts",
        "icmp_code",
        "icmp_type",
        "ipv6",
        "key",
        "last_ts",
        "proto",
        "reason",
        "sport",
        "src",
    )

    def __init__(self, key: tuple, p: Packet, flip: bool) -> None:
        self.key = key
        self.proto = p.proto
        if flip:
            self.src, self.sport, self.dst, self.dport = p.dst, p.dport, p.src, p.sport
        else:
            self.src, self.sport, self.dst, self.dport = p.src, p.sport, p.dst, p.dport
        self.ipv6 = p.ipv6
        self.first_frame = p.frame
        self.first_ts = self.last_ts = p.ts
        self.a_packets = self.a_bytes = self.b_packets = self.b_bytes = 0
        self.a_flags = self.b_flags = 0
        self.fins = 0  # bit 1: FIN from a, bit 2: FIN from b
        self.closed_at: float | None = None
        self.reason = ""
        is_icmp = p.proto in (PROTO_ICMP, PROTO_ICMP6)
        self.icmp_type = p.sport if is_icmp else None
        self.icmp_code = p.dport if is_icmp else None
        self.community_id: str | None = None  # computed once, when first needed

    @property
    def flags(self) -> list[str]:
        """Names of the TCP flags seen in either direction."""
        both = self.a_flags | self.b_flags
        return [name for bit, name in FLAG_NAMES if both & bit]


class FlowTable:
    """Packets in (``add``), finished flows out (``done``, drained by the caller)."""

    def __init__(self, timeouts: FlowTimeouts | None = None) -> None:
        self.timeouts = timeouts or FlowTimeouts()
        self._tcp: OrderedDict[tuple, Flow] = OrderedDict()
        self._other: OrderedDict[tuple, Flow] = OrderedDict()
        self._closing: deque[Flow] = deque()
        self._tick = 0
        self.done: list[Flow] = []

    def __len__(self) -> int:
        return len(self._tcp) + len(self._other)

    def add(self, p: Packet) -> Flow:
        """Account one packet; returns the flow it went to."""
        proto = p.proto
        if proto in (PROTO_ICMP, PROTO_ICMP6):
            sp, dp, one_way = icmp_ports(proto, p.sport, p.dport)
        else:
            sp, dp, one_way = p.sport, p.dport, False
        if one_way or (p.src, sp) <= (p.dst, dp):
            key = (proto, p.src, sp, p.dst, dp)
        else:
            key = (proto, p.dst, dp, p.src, sp)
        table = self._tcp if proto == PROTO_TCP else self._other
        flow = table.get(key)
        if flow is not None:
            if flow.closed_at is not None and p.tcp_flags & SYN and not p.tcp_flags & ACK:
                self._finish(table, flow, "closed")
                flow = None
            elif p.ts - flow.first_ts > self.timeouts.active:
                self._finish(table, flow, "active_timeout")
                flow = None
            else:
                table.move_to_end(key)
        if flow is None:
            flip = proto == PROTO_TCP and p.tcp_flags & (SYN | ACK) == SYN | ACK
            flow = table[key] = Flow(key, p, flip)
            if len(self._tcp) + len(self._other) > self.timeouts.max_flows:
                self._evict()
        if proto in (PROTO_ICMP, PROTO_ICMP6):
            forward = p.src == flow.src
        else:
            forward = p.src == flow.src and p.sport == flow.sport
        if forward:
            flow.a_packets += 1
            flow.a_bytes += p.length
        else:
            flow.b_packets += 1
            flow.b_bytes += p.length
        if p.ts > flow.last_ts:
            flow.last_ts = p.ts
        flags = p.tcp_flags
        if flags:
            if forward:
                flow.a_flags |= flags
            else:
                flow.b_flags |= flags
            if flow.closed_at is None and flags & (FIN | RST):
                if flags & RST:
                    flow.reason = "rst"
                    flow.closed_at = p.ts
                else:
                    flow.fins |= 1 if forward else 2
                    if flow.fins == 3:
                        flow.reason = "fin"
                        flow.closed_at = p.ts
                if flow.closed_at is not None:
                    self._closing.append(flow)
        self._tick += 1
        if self._tick >= _EXPIRE_EVERY:
            self._tick = 0
            self.expire(p.ts)
        return flow

    def expire(self, now: float) -> None:
        """Finish the flows that closed, idled or ran too long by ``now``."""
        t = self.timeouts
        closing = self._closing
        while closing and now - closing[0].closed_at >= t.close_linger:  # type: ignore[operator]
            flow = closing.popleft()
            table = self._tcp if flow.proto == PROTO_TCP else self._other
            if table.get(flow.key) is flow:
                self._finish(table, flow, flow.reason)
        for table, idle in ((self._tcp, t.tcp_idle), (self._other, t.idle)):
            while table:
                flow = next(iter(table.values()))
                if now - flow.last_ts < idle:
                    break
                self._finish(table, flow, "idle_timeout")

    def flush(self, reason: str = "end_of_capture") -> None:
        """Finish every open flow (end of a file or of a capture)."""
        for table in (self._tcp, self._other):
            for flow in list(table.values()):
                self._finish(table, flow, flow.reason if flow.closed_at is not None else reason)
        self._closing.clear()

    def _evict(self) -> None:
        table = self._tcp if len(self._tcp) >= len(self._other) else self._other
        flow = next(iter(table.values()))
        self._finish(table, flow, "evicted")

    def _finish(self, table: OrderedDict[tuple, Flow], flow: Flow, reason: str) -> None:
        del table[flow.key]
        flow.reason = reason
        self.done.append(flow)
