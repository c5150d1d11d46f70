"""The tshark fields we extract, in column order, and the tshark command lines.

One list drives both the file reader and live capture: tshark prints these
fields as tab-separated columns (``-T fields``), every occurrence of a field
joined by ``AGGREGATOR`` (a control character that never appears in a value),
and ``packet.Packet`` indexes the columns by the constants below.
"""

from __future__ import annotations

import functools
import subprocess
from pathlib import Path

AGGREGATOR = "\x1f"

FIELDS: tuple[str, ...] = (
    "frame.number", "frame.time_epoch",
    "ip.src", "ip.dst", "ip.proto", "ip.len",
    "ipv6.src", "ipv6.dst", "ipv6.nxt", "ipv6.plen",
    "tcp.srcport", "tcp.dstport", "tcp.flags",
    "udp.srcport", "udp.dstport",
    "sctp.srcport", "sctp.dstport",
    "icmp.type", "icmp.code", "icmpv6.type", "icmpv6.code",
    "dns.id", "dns.flags.response", "dns.flags.rcode", "dns.qry.name", "dns.qry.type",
    "dns.qry.class", "dns.count.answers", "dns.resp.name", "dns.resp.type", "dns.resp.ttl",
    "dns.a", "dns.aaaa", "dns.cname", "dns.ptr.domain_name", "dns.ns", "dns.mx.mail_exchange",
    "dns.txt",
    "http.request.method", "http.host", "http.request.uri", "http.user_agent",
    "http.request.version", "http.response.code", "http.request_in",
    "tls.handshake.type", "tls.handshake.extensions_server_name", "tls.handshake.version",
    "tls.handshake.extensions.supported_version", "tls.handshake.ja3",
    # JA4's ingredients (``collectors.pcap.ja4``), for a tshark without JA4.
    "tls.handshake.ciphersuite", "tls.handshake.extension.type", "tls.handshake.sig_hash_alg",
    "tls.handshake.extensions_alpn_str",
)
COL = {name: i for i, name in enumerate(FIELDS)}
N_FIELDS = len(FIELDS)

# tshark 4.0 (Debian 12) has JA3 but not JA4, which Wireshark added in 4.2.
# Asking tshark for a field it does not know is a fatal error, so JA4 is an
# optional last column, requested only when this tshark lists it (else it is
# computed from its ingredients above).
JA4_FIELD = "tls.handshake.ja4"
JA4_COL = N_FIELDS


@functools.lru_cache(maxsize=4)
def fields_for(tshark: str) -> tuple[str, ...]:
    """``FIELDS``, plus ``JA4_FIELD`` when this tshark (>= 4.2) has it."""
    try:
        version = subprocess.run([tshark, "-v"], capture_output=True, text=True,
                                 timeout=60).stdout.split()[1]
        major, minor = (int(x) for x in version.split(".")[:2])
    except (OSError, subprocess.SubprocessError, IndexError, ValueError):
        return FIELDS
    if (major, minor) < (4, 2):
        return FIELDS
    listed = subprocess.run([tshark, "-G", "fields"], capture_output=True, text=True,
                            timeout=120).stdout
    return (*FIELDS, JA4_FIELD) if f"\t{JA4_FIELD}\t" in listed else FIELDS


# Teredo on ports other than 3544 is only found by tshark's heuristic (Zeek
# finds it by content too).
PREFS = ("-o", "teredo.heuristic_teredo:TRUE")


def _field_args(fields: tuple[str, ...]) -> list[str]:
    args = [*PREFS, "-T", "fields", "-E", "header=n", "-E", "quote=n", "-E", "separator=/t",
            "-E", "occurrence=a", "-E", f"aggregator={AGGREGATOR}"]
    for name in fields:
        args += ["-e", name]
    return args


def file_command(tshark: str, path: Path, fields: tuple[str, ...] | None = None) -> list[str]:
    """``tshark -r FILE -T fields ...`` with no name resolution."""
    return [tshark, "-n", "-r", str(path), *_field_args(fields or fields_for(tshark))]


def live_command(tshark: str, interface: str, bpf_filter: str | None,
                 packet_count: int | None, duration: float | None,
                 fields: tuple[str, ...] | None = None) -> list[str]:
    """``tshark -i IFACE [-f BPF] -l ...``: line-buffered so flows age in real time."""
    cmd = [tshark, "-n", "-l", "-i", interface]
    if bpf_filter:
        cmd += ["-f", bpf_filter]
    if packet_count:
        cmd += ["-c", str(int(packet_count))]
    if duration:
        cmd += ["-a", f"duration:{max(1, round(duration))}"]
    return cmd + _field_args(fields or fields_for(tshark))
