"""Small captures built with scapy, with the figures tests expect computed
from the packets themselves (not from the code under test)."""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass, field
from pathlib import Path

from scapy.layers.dns import DNS, DNSQR, DNSRR
from scapy.layers.inet import ICMP, IP, TCP, UDP
from scapy.layers.inet6 import IPv6
from scapy.layers.l2 import ARP, Ether
from scapy.packet import Packet, Raw
from scapy.utils import wrpcap

T0 = 1_780_000_000.0  # 2026-05-28T20:26:40Z
CLIENT, SERVER, RESOLVER, PINGED = "10.0.0.1", "10.0.0.2", "10.0.0.53", "10.0.0.9"
V6_A, V6_B = "2001:db8::1", "2001:db8::2"
SNI = "dichvucong.cantho.gov.vn"
HTTP_HOST, HTTP_PATH, HTTP_UA = "cantho.gov.vn", "/tin-tuc?id=42", "Mozilla/5.0 (canhgac-test)"
DNS_NAME = "ioc.cantho.gov.vn"
DNS_ADDRS = ("203.0.113.10", "203.0.113.11")
TLS_CIPHERS = (0x1301, 0xC02F, 0x0A0A)  # the last one is GREASE (JA3 skips it)
TLS_GROUPS = (29, 23)
TLS_FORMATS = (0,)


@dataclass
class Expected:
    """Per-flow truth: 5-tuple (originator first) -> packets and IP bytes each way."""

    flows: dict[tuple, dict[str, int]] = field(default_factory=dict)

    def add(self, key: tuple, forward: bool, ip_len: int) -> None:
        f = self.flows.setdefault(key, {"a_packets": 0, "a_bytes": 0, "b_packets": 0,
                                        "b_bytes": 0})
        side = "a" if forward else "b"
        f[f"{side}_packets"] += 1
        f[f"{side}_bytes"] += ip_len


class CaptureBuilder:
    """Collects frames with increasing timestamps and the truth about them."""

    def __init__(self, t0: float = T0) -> None:
        self.t = t0
        self.frames: list[Packet] = []
        self.expected = Expected()

    def add(self, pkt: Packet, key: tuple | None = None, forward: bool = True,
            gap: float = 0.01) -> None:
        self.t += gap
        frame = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / pkt
        frame.time = self.t
        self.frames.append(frame)
        if key is not None:
            ip_len = len(pkt[IPv6]) if IPv6 in pkt else len(pkt[IP])
            self.expected.add(key, forward, ip_len)

    def tcp_session(self, client: str, cport: int, server: str, sport: int,
                    request: bytes, response: bytes) -> None:
        """Handshake, one request, one response, FIN both ways, last ACK."""
        key = ("tcp", client, cport, server, sport)
        c, s = 1000, 5000

        def cs(flags: str, payload: bytes = b"") -> None:
            nonlocal c
            pkt = IP(src=client, dst=server) / TCP(sport=cport, dport=sport, flags=flags, seq=c,
                                                   ack=s if "A" in flags else 0)
            self.add(pkt / Raw(payload) if payload else pkt, key, True)
            c += len(payload) + (1 if "S" in flags or "F" in flags else 0)

        def sc(flags: str, payload: bytes = b"") -> None:
            nonlocal s
            pkt = IP(src=server, dst=client) / TCP(sport=sport, dport=cport, flags=flags, seq=s,
                                                   ack=c)
            self.add(pkt / Raw(payload) if payload else pkt, key, False)
            s += len(payload) + (1 if "S" in flags or "F" in flags else 0)

        cs("S")
        sc("SA")
        cs("A")
        cs("PA", request)
        sc("A")
        sc("PA", response)
        cs("A")
        cs("FA")
        sc("FA")
        cs("A")

    def write(self, path: Path) -> Path:
        wrpcap(str(path), self.frames)
        return path


def client_hello(server_name: str) -> bytes:
    """A TLS 1.3 ClientHello record, built byte by byte (RFC 8446 §4.1.2)."""
    def ext(etype: int, body: bytes) -> bytes:
        return struct.pack("!HH", etype, len(body)) + body

    name = server_name.encode()
    sni = struct.pack("!HBH", len(name) + 3, 0, len(name)) + name
    groups = struct.pack("!H", 2 * len(TLS_GROUPS)) + b"".join(struct.pack("!H", g)
                                                               for g in TLS_GROUPS)
    formats = bytes([len(TLS_FORMATS), *TLS_FORMATS])
    versions = bytes([6]) + struct.pack("!HHH", 0x2A2A, 0x0304, 0x0303)
    extensions = ext(0, sni) + ext(10, groups) + ext(11, formats) + ext(43, versions)
    ciphers = b"".join(struct.pack("!H", c) for c in TLS_CIPHERS)
    body = (struct.pack("!H", 0x0303) + bytes(range(32)) + b"\x00"
            + struct.pack("!H", len(ciphers)) + ciphers + b"\x01\x00"
            + struct.pack("!H", len(extensions)) + extensions)
    handshake = b"\x01" + len(body).to_bytes(3, "big") + body
    return b"\x16\x03\x01" + struct.pack("!H", len(handshake)) + handshake


def expected_ja4() -> str:
    """JA4 of ``client_hello`` per FoxIO's definition: TCP, TLS 1.3 (from
    supported_versions), SNI, 2 ciphers and 4 extensions (GREASE dropped), no
    ALPN; sorted ciphers; sorted extensions without SNI, no signature algorithms."""
    ciphers = ",".join(f"{c:04x}" for c in sorted(c for c in TLS_CIPHERS if c != 0x0A0A))
    return ("t13d020400_" + hashlib.sha256(ciphers.encode()).hexdigest()[:12] + "_"
            + hashlib.sha256(b"000a,000b,002b").hexdigest()[:12])


def expected_ja3() -> str:
    """JA3 of ``client_hello`` per the JA3 definition (GREASE values dropped)."""
    ciphers = "-".join(str(c) for c in TLS_CIPHERS if c != 0x0A0A)
    text = f"771,{ciphers},0-10-11-43,{'-'.join(map(str, TLS_GROUPS))},0"
    return hashlib.md5(text.encode()).hexdigest()


def mixed_capture(path: Path) -> tuple[Path, Expected]:
    """TCP session, DNS query/answer, HTTP GET, TLS ClientHello, ICMP echo,
    an IPv6 UDP exchange and an ARP frame (not IP: no flow)."""
    b = CaptureBuilder()
    b.tcp_session(CLIENT, 40000, SERVER, 8080, b"hello " * 20, b"world " * 40)
    dns_key = ("udp", CLIENT, 53000, RESOLVER, 53)
    q = IP(src=CLIENT, dst=RESOLVER) / UDP(sport=53000, dport=53) / DNS(
        id=4242, rd=1, qd=DNSQR(qname=DNS_NAME, qtype="A"))
    b.add(q, dns_key, True)
    an = [DNSRR(rrname=DNS_NAME, type="CNAME", rdata="web." + DNS_NAME, ttl=300),
          DNSRR(rrname="web." + DNS_NAME, type="A", rdata=DNS_ADDRS[0], ttl=60),
          DNSRR(rrname="web." + DNS_NAME, type="A", rdata=DNS_ADDRS[1], ttl=60)]
    r = IP(src=RESOLVER, dst=CLIENT) / UDP(sport=53, dport=53000) / DNS(
        id=4242, qr=1, rd=1, ra=1, qd=DNSQR(qname=DNS_NAME, qtype="A"), an=an)
    b.add(r, dns_key, False)
    nx_q = IP(src=CLIENT, dst=RESOLVER) / UDP(sport=53001, dport=53) / DNS(
        id=7, rd=1, qd=DNSQR(qname="khong-ton-tai.cantho.gov.vn", qtype="AAAA"))
    b.add(nx_q, ("udp", CLIENT, 53001, RESOLVER, 53), True)
    nx_r = IP(src=RESOLVER, dst=CLIENT) / UDP(sport=53, dport=53001) / DNS(
        id=7, qr=1, rcode=3, qd=DNSQR(qname="khong-ton-tai.cantho.gov.vn", qtype="AAAA"))
    b.add(nx_r, ("udp", CLIENT, 53001, RESOLVER, 53), False)
    request = (f"GET {HTTP_PATH} HTTP/1.1\r\nHost: {HTTP_HOST}\r\nUser-Agent: {HTTP_UA}\r\n"
               "Accept: */*\r\n\r\n").encode()
    response = b"HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found"
    b.tcp_session(CLIENT, 40001, SERVER, 80, request, response)
    b.tcp_session(CLIENT, 40002, SERVER, 443, client_hello(SNI), b"\x15\x03\x03\x00\x02\x02\x28")
    icmp_key = ("icmp", CLIENT, 8, PINGED, 0)
    b.add(IP(src=CLIENT, dst=PINGED) / ICMP(type=8, id=7, seq=1) / Raw(b"x" * 56), icmp_key)
    b.add(IP(src=PINGED, dst=CLIENT) / ICMP(type=0, id=7, seq=1) / Raw(b"x" * 56), icmp_key,
          False)
    v6_key = ("udp", V6_A, 5000, V6_B, 6000)
    for i in range(3):
        b.add(IPv6(src=V6_A, dst=V6_B) / UDP(sport=5000, dport=6000) / Raw(b"v6" * (i + 1)),
              v6_key)
    b.add(IPv6(src=V6_B, dst=V6_A) / UDP(sport=6000, dport=5000) / Raw(b"ok"), v6_key, False)
    b.add(ARP(op=1, psrc=CLIENT, pdst=SERVER))
    return b.write(path), b.expected
