"""ECS events from flows and from application records.

Every event id is deterministic: the source (the capture file or interface)
plus the identity of the first frame of the record (its number and capture
time), so reading the same capture again gives the same ids.
"""

from __future__ import annotations

from typing import Any

from canhgac.ecs import event_id, new_event, timestamp
from collectors.pcap.community import community_id
from collectors.pcap.flows import Flow
from collectors.pcap.packet import PROTO_ICMP, PROTO_ICMP6, TRANSPORT_NAMES, Packet

MODULE = "pcap"


def ms(ts: float) -> float:
    """Capture seconds to the epoch milliseconds ``new_event`` takes."""
    return ts * 1000.0


def record_id(source: str, kind: str, frame: int, ts: float) -> str:
    """The id of a record that starts at ``frame`` (captured at ``ts``)."""
    return event_id(source, f"{kind}:{frame}:{ts:.6f}")


def transport(proto: int) -> str:
    return TRANSPORT_NAMES.get(proto, str(proto))


def flow_community_id(flow: Flow) -> str | None:
    """The flow's Community ID (cached on the flow)."""
    if flow.community_id is None:
        if flow.proto in (PROTO_ICMP, PROTO_ICMP6):
            flow.community_id = community_id(flow.proto, flow.src, flow.dst,
                                             flow.icmp_type or 0, flow.icmp_code or 0)
        else:
            flow.community_id = community_id(flow.proto, flow.src, flow.dst, flow.sport,
                                             flow.dport)
    return flow.community_id


def flow_event(flow: Flow, source: str) -> dict[str, Any]:
    """The ECS record of a finished flow (``event.dataset: pcap.flow``)."""
    ports = flow.icmp_type is None and flow.proto in TRANSPORT_NAMES
    fields: dict[str, Any] = {
        "source.ip": flow.src, "source.port": flow.sport if ports else None,
        "source.bytes": flow.a_bytes, "source.packets": flow.a_packets,
        "destination.ip": flow.dst, "destination.port": flow.dport if ports else None,
        "destination.bytes": flow.b_bytes, "destination.packets": flow.b_packets,
        "network.bytes": flow.a_bytes + flow.b_bytes,
        "network.packets": flow.a_packets + flow.b_packets,
        "network.transport": transport(flow.proto),
        "network.iana_number": str(flow.proto),
        "network.type": "ipv6" if flow.ipv6 else "ipv4",
        "network.community_id": flow_community_id(flow),
        "event.start": timestamp(ms(flow.first_ts)), "event.end": timestamp(ms(flow.last_ts)),
        # tshark prints microseconds for pcap; float error is below that
        "event.duration": round((flow.last_ts - flow.first_ts) * 1e6) * 1000,
        "event.reason": flow.reason,
        "related.ip": sorted({flow.src, flow.dst}),
    }
    if flow.icmp_type is not None:
        fields["icmp.type"] = flow.icmp_type
        fields["icmp.code"] = flow.icmp_code
    if flow.a_flags or flow.b_flags:
        fields["tcp.flags"] = flow.flags
    return new_event(ts=ms(flow.first_ts), dataset="pcap.flow", module=MODULE,
                     category="network", type=["connection", "end"],
                     id=record_id(source, f"flow:{flow.proto}:{flow.src}:{flow.sport}:"
                                  f"{flow.dst}:{flow.dport}", flow.first_frame, flow.first_ts),
                     fields=fields)


def packet_event(p: Packet, flow: Flow, source: str, *, kind: str, dataset: str,
                 protocol: str, event_type: list[str], fields: dict[str, Any],
                 category: list[str] | None = None) -> dict[str, Any]:
    """An application record seen in packet ``p`` (DNS, HTTP, TLS), with the
    endpoints of that packet and the Community ID of its flow for pivoting."""
    base: dict[str, Any] = {
        "source.ip": p.src, "source.port": p.sport,
        "destination.ip": p.dst, "destination.port": p.dport,
        "network.transport": transport(p.proto), "network.iana_number": str(p.proto),
        "network.type": "ipv6" if p.ipv6 else "ipv4",
        "network.protocol": protocol,
        "network.community_id": flow_community_id(flow),
        "related.ip": sorted({p.src, p.dst}),
    }
    base.update(fields)
    return new_event(ts=ms(p.ts), dataset=dataset, module=MODULE,
                     category=category or ["network"], type=event_type,
                     id=record_id(source, kind, p.frame, p.ts), fields=base)
