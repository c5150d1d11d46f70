"""Community ID v1 flow hashes, from the reference ``communityid`` package
(the Corelight implementation that Zeek, Suricata and tshark agree with).

``icmp_ports`` gives the port equivalents of an ICMP type/code pair as the
spec defines them, so echo request and reply land in one flow.
"""

from __future__ import annotations

from communityid import CommunityID, FlowTuple
from communityid import icmp as _icmp4
from communityid import icmp6 as _icmp6

from collectors.pcap.packet import PROTO_ICMP, PROTO_ICMP6, PROTO_SCTP, PROTO_TCP, PROTO_UDP

_HASHER = CommunityID(seed=0, use_base64=True)
_PORT_PROTOS = frozenset({PROTO_TCP, PROTO_UDP, PROTO_SCTP})


def icmp_ports(proto: int, mtype: int, mcode: int) -> tuple[int, int, bool]:
    """``(sport, dport, one_way)`` for an ICMP/ICMPv6 message, per the spec."""
    mod = _icmp6 if proto == PROTO_ICMP6 else _icmp4
    return mod.get_port_equivalents(mtype, mcode)


def community_id(proto: int, src: str, dst: str, sport: int, dport: int) -> str | None:
    """The ``1:<base64>`` Community ID of a flow; None when the tuple is not hashable.

    For ICMP, ``sport``/``dport`` are the message type and code as seen on
    the wire (the package maps them to port equivalents itself).
    """
    try:
        if proto in (PROTO_ICMP, PROTO_ICMP6):
            make = FlowTuple.make_icmp6 if proto == PROTO_ICMP6 else FlowTuple.make_icmp
            tpl = make(src, dst, sport, dport)
        elif proto in _PORT_PROTOS:
            tpl = FlowTuple(proto, src, dst, sport, dport)
        else:
            tpl = FlowTuple(proto, src, dst)
        return _HASHER.calc(tpl)
    except Exception:  # the package raises several types on bad addresses
        return None
