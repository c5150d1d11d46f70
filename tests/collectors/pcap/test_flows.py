"""FlowTable ageing and closing, on hand-made packets (no tshark needed)."""

from __future__ import annotations

from collectors.pcap.flows import ACK, FIN, RST, SYN, Flow, FlowTable, FlowTimeouts
from collectors.pcap.packet import PROTO_ICMP, PROTO_TCP, PROTO_UDP, Packet

A, B = "192.0.2.1", "192.0.2.2"


class Clock:
    def __init__(self) -> None:
        self.frame = 0

    def pkt(self, ts: float, src: str = A, dst: str = B, sport: int = 1234, dport: int = 80,
            flags: int = 0, proto: int = PROTO_TCP, length: int = 60) -> Packet:
        self.frame += 1
        return Packet(self.frame, ts, proto, src, dst, sport, dport, length, flags, False)

    def reply(self, ts: float, flags: int = 0, proto: int = PROTO_TCP,
              length: int = 40) -> Packet:
        return self.pkt(ts, B, A, 80, 1234, flags, proto, length)


def drain(table: FlowTable) -> list[Flow]:
    done, table.done = table.done, []
    return done


def test_fin_close_keeps_the_last_ack_and_waits_for_linger() -> None:
    c, t = Clock(), FlowTable(FlowTimeouts(close_linger=5.0))
    t.add(c.pkt(0.0, flags=SYN))
    t.add(c.reply(0.1, flags=SYN | ACK))
    t.add(c.pkt(0.2, flags=FIN | ACK))
    t.add(c.reply(0.3, flags=FIN | ACK))
    t.add(c.pkt(0.4, flags=ACK))  # the last ACK after both FINs
    t.expire(4.0)
    assert drain(t) == []
    t.expire(5.4)
    (flow,) = drain(t)
    assert flow.reason == "fin"
    assert (flow.a_packets, flow.b_packets) == (3, 2)
    assert (flow.a_bytes, flow.b_bytes) == (180, 80)
    assert flow.flags == ["FIN", "SYN", "ACK"]


def test_rst_closes_and_a_new_syn_starts_a_new_flow() -> None:
    c, t = Clock(), FlowTable()
    t.add(c.pkt(0.0, flags=SYN))
    t.add(c.reply(0.1, flags=RST | ACK))
    t.add(c.pkt(0.5, flags=SYN))  # port reuse right away
    (first,) = drain(t)
    assert first.reason == "closed" and first.a_packets == 1 and first.b_packets == 1
    t.flush()
    (second,) = drain(t)
    assert second.reason == "end_of_capture" and second.first_ts == 0.5


def test_idle_timeout_splits_udp_but_not_tcp_within_its_longer_timeout() -> None:
    c, t = Clock(), FlowTable(FlowTimeouts(idle=60.0, tcp_idle=300.0))
    t.add(c.pkt(0.0, proto=PROTO_UDP, dport=53))
    t.add(c.pkt(0.0, sport=999, flags=ACK))
    t.expire(100.0)
    (udp,) = drain(t)
    assert udp.proto == PROTO_UDP and udp.reason == "idle_timeout"
    t.add(c.pkt(120.0, sport=999, flags=ACK))
    assert drain(t) == []
    t.expire(500.0)
    (tcp,) = drain(t)
    assert tcp.a_packets == 2 and tcp.reason == "idle_timeout"


def test_active_timeout_cuts_long_flows() -> None:
    c, t = Clock(), FlowTable(FlowTimeouts(active=10.0, idle=60.0))
    for i in range(25):
        t.add(c.pkt(float(i), proto=PROTO_UDP))
    t.flush()
    flows = drain(t)
    assert [f.reason for f in flows] == ["active_timeout", "active_timeout", "end_of_capture"]
    assert sum(f.a_packets for f in flows) == 25


def test_capture_starting_with_syn_ack_orients_on_the_client() -> None:
    c, t = Clock(), FlowTable()
    t.add(c.reply(0.0, flags=SYN | ACK))
    t.add(c.pkt(0.1, flags=ACK))
    t.flush()
    (flow,) = drain(t)
    assert (flow.src, flow.sport, flow.dst, flow.dport) == (A, 1234, B, 80)
    assert (flow.a_packets, flow.b_packets) == (1, 1)


def test_icmp_echo_request_and_reply_share_a_flow_but_unreachables_do_not() -> None:
    c, t = Clock(), FlowTable()
    t.add(c.pkt(0.0, proto=PROTO_ICMP, sport=8, dport=0))
    t.add(c.pkt(0.1, B, A, 0, 0, proto=PROTO_ICMP))  # echo reply
    t.add(c.pkt(0.2, B, A, 3, 3, proto=PROTO_ICMP))  # port unreachable
    t.flush()
    flows = sorted(drain(t), key=lambda f: f.first_ts)
    assert len(flows) == 2
    assert (flows[0].icmp_type, flows[0].a_packets, flows[0].b_packets) == (8, 1, 1)
    assert (flows[1].icmp_type, flows[1].icmp_code) == (3, 3)


def test_table_is_bounded() -> None:
    c, t = Clock(), FlowTable(FlowTimeouts(max_flows=100))
    for port in range(1000):
        t.add(c.pkt(0.0, sport=10000 + port, proto=PROTO_UDP))
    assert len(t) == 100
    evicted = drain(t)
    assert len(evicted) == 900 and {f.reason for f in evicted} == {"evicted"}
