"""Community ID v1 against the spec's published reference values."""

from __future__ import annotations

import pytest

from collectors.pcap.community import community_id
from collectors.pcap.packet import PROTO_ICMP, PROTO_ICMP6, PROTO_SCTP, PROTO_TCP, PROTO_UDP

# Reference values of the Community ID spec (seed 0, base64); the TCP, UDP and
# ICMP ones are also what tshark's own communityid dissector prints for the spec
# project's sample traces.
VECTORS = [
    (PROTO_TCP, "128.232.110.120", "66.35.250.204", 34855, 80, "1:LQU9qZlK+B5F3KDmev6m5PMibrg="),
    (PROTO_TCP, "66.35.250.204", "128.232.110.120", 80, 34855, "1:LQU9qZlK+B5F3KDmev6m5PMibrg="),
    (PROTO_UDP, "192.168.1.52", "8.8.8.8", 54585, 53, "1:d/FP5EW3wiY1vCndhwleRRKHowQ="),
    (PROTO_ICMP, "192.168.0.89", "192.168.0.1", 8, 0, "1:X0snYXpgwiv9TZtqg64sgzUn6Dk="),
    (PROTO_ICMP, "192.168.0.1", "192.168.0.89", 0, 0, "1:X0snYXpgwiv9TZtqg64sgzUn6Dk="),
    (PROTO_ICMP6, "fe80::200:86ff:fe05:80da", "fe80::260:97ff:fe07:69ea", 135, 0,
     "1:dGHyGvjMfljg6Bppwm3bg0LO8TY="),
    (PROTO_SCTP, "192.168.170.8", "192.168.170.56", 7, 80, "1:jQgCxbku+pNGw8WPbEc/TS/uTpQ="),
]


@pytest.mark.parametrize("proto,src,dst,sport,dport,want", VECTORS)
def test_reference_vectors(proto: int, src: str, dst: str, sport: int, dport: int,
                           want: str) -> None:
    assert community_id(proto, src, dst, sport, dport) == want


def test_bad_address_gives_none() -> None:
    assert community_id(PROTO_TCP, "not-an-ip", "10.0.0.1", 1, 2) is None
