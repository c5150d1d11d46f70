"""TLS ClientHello records: server name (SNI), offered version, JA3, JA4.

The version is the highest non-GREASE entry of the supported_versions
extension (TLS 1.3 clients put 1.2 in the legacy field), else the legacy
ClientHello version.  JA3 comes from tshark; JA4 from tshark when it has it
(Wireshark ≥ 4.2: ``tls.handshake.ja4``), else it is computed from the
ClientHello's fields (``collectors.pcap.ja4``; the Debian 12 tshark is 4.0).
"""

from __future__ import annotations

from typing import Any

from collectors.pcap.events import packet_event
from collectors.pcap.fields import AGGREGATOR, COL, JA4_COL
from collectors.pcap.flows import Flow
from collectors.pcap.ja4 import is_grease, ja4
from collectors.pcap.packet import Packet

VERSIONS = {0x0300: ("ssl", "3.0"), 0x0301: ("tls", "1.0"), 0x0302: ("tls", "1.1"),
            0x0303: ("tls", "1.2"), 0x0304: ("tls", "1.3")}
CLIENT_HELLO = "1"
_TYPE, _SNI, _VERSION, _SUPPORTED, _JA3 = (COL["tls.handshake.type"],
                                           COL["tls.handshake.extensions_server_name"],
                                           COL["tls.handshake.version"],
                                           COL["tls.handshake.extensions.supported_version"],
                                           COL["tls.handshake.ja3"])
_CIPHERS, _EXTENSIONS, _SIGS, _ALPN = (COL["tls.handshake.ciphersuite"],
                                       COL["tls.handshake.extension.type"],
                                       COL["tls.handshake.sig_hash_alg"],
                                       COL["tls.handshake.extensions_alpn_str"])


def offered_version(legacy: str, supported: str) -> tuple[str, str] | None:
    """``("tls", "1.3")`` from the ClientHello version fields (hex text)."""
    best = None
    for text in supported.split(AGGREGATOR) if supported else ():
        try:
            v = int(text, 16)
        except ValueError:
            continue
        if v in VERSIONS and not is_grease(v) and (best is None or v > best):
            best = v
    if best is None:
        try:
            best = int(legacy.split(AGGREGATOR, 1)[0], 16)
        except ValueError:
            return None
    return VERSIONS.get(best)


def _list(text: str) -> list[str]:
    return text.split(AGGREGATOR) if text else []


def client_hello_fields(cols: list[str], *, quic: bool = False) -> dict[str, Any] | None:
    """The ECS ``tls.*`` fields of the ClientHello in a row, or None if there
    is none; ``quic``: it came over UDP (JA4 starts with ``q``)."""
    if CLIENT_HELLO not in cols[_TYPE].split(AGGREGATOR):
        return None
    version = offered_version(cols[_VERSION], cols[_SUPPORTED])
    printed = cols[JA4_COL].split(AGGREGATOR, 1)[0] if len(cols) > JA4_COL else ""
    return {"tls.client.server_name": cols[_SNI].split(AGGREGATOR, 1)[0] or None,
            "tls.version_protocol": version[0] if version else None,
            "tls.version": version[1] if version else None,
            "tls.client.ja3": cols[_JA3].split(AGGREGATOR, 1)[0] or None,
            "tls.client.ja4": printed or ja4(
                quic=quic, legacy_version=cols[_VERSION].split(AGGREGATOR, 1)[0],
                supported_versions=_list(cols[_SUPPORTED]), ciphers=_list(cols[_CIPHERS]),
                extensions=_list(cols[_EXTENSIONS]), signature_algorithms=_list(cols[_SIGS]),
                alpn=_list(cols[_ALPN]))}


def observe(cols: list[str], p: Packet, flow: Flow, source: str,
            out: list[dict[str, Any]]) -> None:
    """Emit an event for a ClientHello in the row, if any."""
    fields = client_hello_fields(cols, quic=p.proto == 17)
    if fields is not None:
        out.append(packet_event(p, flow, source, kind="tls", dataset="pcap.tls",
                                protocol="tls", event_type=["protocol", "start"],
                                fields=fields))
