"""TLS ClientHello records: server name (SNI), offered version, JA3.

The version is the highest non-GREASE entry of the supported_versions
extension (TLS 1.3 clients put 1.2 in the legacy field), else the legacy
ClientHello version.  JA3 comes from tshark; JA4 only when tshark exposes it
(Wireshark ≥ 4.2: ``tls.handshake.ja4``), which the Debian 12 tshark 4.0 does not.
"""

from __future__ import annotations

from typing import Any

from collectors.pcap.events import packet_event
from collectors.pcap.fields import AGGREGATOR, COL, JA4_COL
from collectors.pcap.flows import Flow
from collectors.pcap.packet import Packet

VERSIONS = {0x0300: ("ssl", "3.0"), 0x0301: ("tls", "1.0"), 0x0302: ("tls", "1.1"),
            0x0303: ("tls", "1.2"), 0x0304: ("tls", "1.3")}
CLIENT_HELLO = "1"
_TYPE, _SNI, _VERSION, _SUPPORTED, _JA3 = (COL["tls.handshake.type"],
                                           COL["tls.handshake.extensions_server_name"],
                                           COL["tls.handshake.version"],
                                           COL["tls.handshake.extensions.supported_version"],
                                           COL["tls.handshake.ja3"])


def _is_grease(v: int) -> bool:
    return v & 0x0F0F == 0x0A0A and (v >> 8) == (v & 0xFF)


def offered_version(legacy: str, supported: str) -> tuple[str, str] | None:
    """``("tls", "1.3")`` from the ClientHello version fields (hex text)."""
    best = None
    for text in supported.split(AGGREGATOR) if supported else ():
        try:
            v = int(text, 16)
        except ValueError:
            continue
        if v in VERSIONS and not _is_grease(v) and (best is None or v > best):
            best = v
    if best is None:
        try:
            best = int(legacy.split(AGGREGATOR, 1)[0], 16)
        except ValueError:
            return None
    return VERSIONS.get(best)


def client_hello_fields(cols: list[str]) -> dict[str, Any] | None:
    """The ECS ``tls.*`` fields of the ClientHello in a row, or None if there is none."""
    if CLIENT_HELLO not in cols[_TYPE].split(AGGREGATOR):
        return None
    version = offered_version(cols[_VERSION], cols[_SUPPORTED])
    return {"tls.client.server_name": cols[_SNI].split(AGGREGATOR, 1)[0] or None,
            "tls.version_protocol": version[0] if version else None,
            "tls.version": version[1] if version else None,
            "tls.client.ja3": cols[_JA3].split(AGGREGATOR, 1)[0] or None,
            "tls.client.ja4": (cols[JA4_COL].split(AGGREGATOR, 1)[0] or None
                               if len(cols) > JA4_COL else None)}


def observe(cols: list[str], p: Packet, flow: Flow, source: str,
            out: list[dict[str, Any]]) -> None:
    """Emit an event for a ClientHello in the row, if any."""
    fields = client_hello_fields(cols)
    if fields is not None:
        out.append(packet_event(p, flow, source, kind="tls", dataset="pcap.tls",
                                protocol="tls", event_type=["protocol", "start"],
                                fields=fields))
