"""One tshark row turned into the few facts flows need.

``decode(cols)`` reads the columns of ``fields.FIELDS`` and returns a
``Packet`` (the innermost IP header and its transport, so tunnelled traffic
is attributed to the inner flow) or None for non-IP frames and non-first IP
fragments, which carry no transport header.
"""

from __future__ import annotations

from typing import NamedTuple

from collectors.pcap.fields import AGGREGATOR, COL

PROTO_ICMP, PROTO_TCP, PROTO_UDP, PROTO_ICMP6, PROTO_SCTP = 1, 6, 17, 58, 132
TRANSPORT_NAMES = {PROTO_ICMP: "icmp", PROTO_TCP: "tcp", PROTO_UDP: "udp",
                   PROTO_ICMP6: "ipv6-icmp", PROTO_SCTP: "sctp"}
# ICMP messages that quote the offending packet: the quoted IP header is the
# last "ip" occurrence, the ICMP packet's own header the one before it.
ICMP4_ERRORS = frozenset({3, 4, 5, 11, 12})
ICMP6_ERRORS = frozenset({1, 2, 3, 4})

_FRAME, _TIME = COL["frame.number"], COL["frame.time_epoch"]
_IP_SRC, _IP_DST, _IP_PROTO, _IP_LEN = (COL["ip.src"], COL["ip.dst"], COL["ip.proto"],
                                        COL["ip.len"])
_V6_SRC, _V6_DST, _V6_NXT, _V6_PLEN = (COL["ipv6.src"], COL["ipv6.dst"], COL["ipv6.nxt"],
                                       COL["ipv6.plen"])
_TCP_S, _TCP_D, _TCP_FLAGS = COL["tcp.srcport"], COL["tcp.dstport"], COL["tcp.flags"]
_UDP_S, _UDP_D = COL["udp.srcport"], COL["udp.dstport"]
_SCTP_S, _SCTP_D = COL["sctp.srcport"], COL["sctp.dstport"]
_ICMP_T, _ICMP_C, _ICMP6_T, _ICMP6_C = (COL["icmp.type"], COL["icmp.code"],
                                        COL["icmpv6.type"], COL["icmpv6.code"])


class Packet(NamedTuple):
    """The flow-relevant facts of one frame (ports are ICMP type/code for ICMP)."""

    frame: int
    ts: float
    proto: int
    src: str
    dst: str
    sport: int
    dport: int
    length: int  # IP-level bytes (IPv4 total length, IPv6 payload + 40)
    tcp_flags: int
    ipv6: bool


def _last(value: str) -> str:
    i = value.rfind(AGGREGATOR)
    return value if i < 0 else value[i + 1:]


def _first(value: str) -> str:
    i = value.find(AGGREGATOR)
    return value if i < 0 else value[:i]


def _nth_from_end(value: str, n: int) -> str:
    parts = value.split(AGGREGATOR)
    return parts[-n] if len(parts) >= n else parts[0]


def decode_outer(cols: list[str], inner: Packet) -> Packet | None:
    """The outer UDP packet of a UDP tunnel (Teredo, VXLAN, GTP ...), which is a
    flow of its own as in Zeek's conn.log; None when ``inner`` is not tunnelled
    in UDP.  GRE/IP-in-IP outer headers are not flows (Zeek logs them apart)."""
    udp_s = cols[_UDP_S]
    if not udp_s or (inner.proto == PROTO_UDP and AGGREGATOR not in udp_s):
        return None
    if inner.proto in (PROTO_ICMP, PROTO_ICMP6) and inner.sport in (
            ICMP6_ERRORS if inner.proto == PROTO_ICMP6 else ICMP4_ERRORS):
        return None  # the UDP header is the one quoted in the error
    v4, v6 = cols[_IP_SRC], cols[_V6_SRC]
    if v4 and (v6 or AGGREGATOR in v4):
        src, dst, ln, ipv6 = _first(v4), _first(cols[_IP_DST]), _first(cols[_IP_LEN]), False
    elif v6 and AGGREGATOR in v6:
        src, dst, ln, ipv6 = _first(v6), _first(cols[_V6_DST]), _first(cols[_V6_PLEN]), True
    else:
        return None
    length = (int(ln) if ln.isdigit() else 0) + (40 if ipv6 else 0)
    return Packet(inner.frame, inner.ts, PROTO_UDP, src, dst, int(_first(udp_s)),
                  int(_first(cols[_UDP_D])), length, 0, ipv6)


def decode(cols: list[str]) -> Packet | None:
    """The innermost IP packet of a row, or None when the frame has none we can key."""
    # Hot path: most rows hold one occurrence of each field, so the
    # multi-occurrence helpers are only called when the aggregator is present.
    agg = AGGREGATOR
    ipv6 = bool(cols[_V6_SRC])
    if ipv6:
        srcs, dsts, lens = cols[_V6_SRC], cols[_V6_DST], cols[_V6_PLEN]
    elif cols[_IP_SRC]:
        srcs, dsts, lens = cols[_IP_SRC], cols[_IP_DST], cols[_IP_LEN]
    else:
        return None
    depth = 1
    flags = 0
    if cols[_TCP_S] and not (cols[_ICMP_T] or cols[_ICMP6_T]):
        proto = PROTO_TCP
        sp, dp, f = cols[_TCP_S], cols[_TCP_D], cols[_TCP_FLAGS]
        if agg in sp or agg in f:
            sp, dp, f = _last(sp), _last(dp), _last(f)
        sport, dport = int(sp), int(dp)
        flags = int(f, 16) if f else 0
    elif cols[_ICMP_T] or cols[_ICMP6_T]:
        if cols[_ICMP6_T]:
            proto = PROTO_ICMP6
            sport, dport = int(_first(cols[_ICMP6_T])), int(_first(cols[_ICMP6_C]) or 0)
            errors = ICMP6_ERRORS
        else:
            proto = PROTO_ICMP
            sport, dport = int(_first(cols[_ICMP_T])), int(_first(cols[_ICMP_C]) or 0)
            errors = ICMP4_ERRORS
        if sport in errors and agg in srcs:
            depth = 2
    elif cols[_SCTP_S]:
        proto = PROTO_SCTP
        sport, dport = int(_last(cols[_SCTP_S])), int(_last(cols[_SCTP_D]))
    elif cols[_UDP_S]:
        proto = PROTO_UDP
        sp, dp = cols[_UDP_S], cols[_UDP_D]
        if agg in sp:
            sp, dp = _last(sp), _last(dp)
        sport, dport = int(sp), int(dp)
    else:
        raw = _last(cols[_V6_NXT] if ipv6 else cols[_IP_PROTO])
        proto = int(raw) if raw.isdigit() else -1
        if proto in (PROTO_TCP, PROTO_UDP, PROTO_SCTP, -1):
            return None  # a non-first fragment, or a header tshark could not read
        sport = dport = 0
    if depth == 2:
        src, dst, ln = (_nth_from_end(srcs, 2), _nth_from_end(dsts, 2),
                        _nth_from_end(lens, 2))
    elif agg in srcs or agg in lens:
        src, dst, ln = _last(srcs), _last(dsts), _last(lens)
    else:
        src, dst, ln = srcs, dsts, lens
    length = int(ln) if ln.isdigit() else 0
    if ipv6:
        length += 40
    return Packet(int(cols[_FRAME]), float(cols[_TIME]), proto, src, dst, sport, dport,
                  length, flags, ipv6)
