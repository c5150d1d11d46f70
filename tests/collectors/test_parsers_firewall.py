"""Firewall parser: FortiGate key=value, pfSense filterlog, iptables/nftables."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from canhgac.ecs import get, validate
from collectors.parsers import firewall
from collectors.record import ParseError, RecordContext

FIXTURES = Path(__file__).parent / "fixtures"
CTX = RecordContext("file:/var/log/fw.log", received=datetime(2026, 11, 21, tzinfo=UTC),
                    extra={"timezone": "Asia/Ho_Chi_Minh"})


def events(name: str) -> list[dict]:
    out = []
    for i, line in enumerate((FIXTURES / name).read_text().splitlines()):
        ev = firewall.parse(line, RecordContext(CTX.source, i, None, CTX.received, CTX.extra))[0]
        validate(ev)
        out.append(ev)
    return out


def flat(ev: dict) -> tuple:
    return (get(ev, "source.ip"), get(ev, "source.port"), get(ev, "destination.ip"),
            get(ev, "destination.port"), get(ev, "network.transport"), get(ev, "event.action"),
            get(ev, "event.type"))


def test_fortigate() -> None:
    evs = events("fortigate.log")
    assert [flat(e) for e in evs] == [
        ("10.20.1.15", 55123, "203.0.113.80", 443, "tcp", "allow", ["allowed", "connection"]),
        ("198.51.100.44", 61000, "10.20.0.10", 3389, "tcp", "deny", ["denied", "connection"]),
        ("198.51.100.45", 50123, "10.20.0.11", 80, "tcp", "deny", ["denied", "connection"]),
    ]
    assert get(evs[0], "rule.id") == "12"
    assert get(evs[0], "rule.name") == "LAN ra Internet"
    assert get(evs[0], "source.bytes") == 5120
    assert get(evs[0], "destination.bytes") == 20480
    assert get(evs[0], "network.bytes") == 25600
    assert get(evs[0], "@timestamp") == "2026-11-20T03:00:01.000Z"  # eventtime (ns)
    assert get(evs[1], "@timestamp") == "2026-11-20T03:00:02.000Z"  # date+time in tz +0700
    assert get(evs[1], "rule.name") == "Chặn RDP từ ngoài"
    assert get(evs[2], "event.kind") == "alert"
    assert get(evs[2], "rule.name") == "Apache.Struts.Remote.Code.Execution"
    assert "intrusion_detection" in get(evs[2], "event.category")


def test_pfsense_filterlog_ipv4_ipv6_tcp_udp_icmp() -> None:
    evs = events("filterlog.log")
    assert [flat(e) for e in evs] == [
        ("198.51.100.99", 43210, "10.30.0.2", 22, "tcp", "deny", ["denied", "connection"]),
        ("10.30.0.20", 53000, "192.0.2.53", 53, "udp", "allow", ["allowed", "connection"]),
        ("198.51.100.5", None, "10.30.0.2", None, "icmp", "deny", ["denied", "connection"]),
        ("2001:db8:1::5", 443, "2001:db8:2::10", 51000, "tcp", "deny", ["denied", "connection"]),
    ]
    assert get(evs[0], "rule.id") == "1000000103"
    assert get(evs[0], "observer.ingress.interface.name") == "igb0"
    assert get(evs[0], "network.direction") == "inbound"
    assert get(evs[3], "network.type") == "ipv6"
    assert get(evs[0], "source.bytes") == 44


def test_iptables_and_nftables() -> None:
    evs = events("iptables.log")
    assert flat(evs[0]) == ("198.51.100.99", 43210, "10.10.0.5", 3389, "tcp", "deny",
                            ["denied", "connection"])
    assert get(evs[0], "rule.name") == "DROP-INPUT"
    assert get(evs[0], "observer.ingress.interface.name") == "eth0"
    assert flat(evs[1])[5] == "allow"
    assert get(evs[1], "network.direction") == "outbound"
    assert get(evs[2], "source.ip") == "2001:db8::99"
    assert get(evs[2], "rule.name") is None
    assert get(evs[2], "event.action") == "logged"


@pytest.mark.parametrize("bad", [
    "Nov 20 10:10:00 pfsense filterlog[1]: 5,,,1,igb0,match,block,in,4,0x0",  # truncated
    "Nov 20 10:10:00 pfsense filterlog[1]: a,b,c,d,e,f,g,h,9,1,2,3,4,5,6,7,8,9,10,11",
    "Nov 20 10:20:00 gw kernel: IN=eth0 OUT= SRC=not-an-ip DST=10.0.0.1 PROTO=TCP",
    "date=2026-11-20 time=10:00:01 level=notice",
    "Nov 20 10:00:00 host app: nothing firewall-like here",
])
def test_rejects_truncated_and_foreign_lines(bad: str) -> None:
    with pytest.raises(ParseError):
        firewall.parse(bad, CTX)


def test_wrong_types_do_not_leak() -> None:
    line = ('devid="X" type="traffic" logid="1" srcip=10.0.0.1 srcport=99999 dstip=999.1.1.1 '
            'dstport=-4 proto=6 action="accept" sentbyte=abc eventtime=notanumber')
    ev = firewall.parse(line, CTX)[0]
    validate(ev)
    assert get(ev, "source.port") is None
    assert get(ev, "destination.ip") is None
    assert get(ev, "source.bytes") is None


def test_fortigate_time_out_of_range_falls_back_to_received() -> None:
    # year 1 at +07:00 is before year 1 in UTC: no crash, the received time instead
    line = 'date=0001-01-01 time=00:00:00 devid="FG1" type="traffic" tz="+0700" srcip=10.0.0.1'
    ev = firewall.parse(line, CTX)[0]
    validate(ev)
    assert ev["@timestamp"] == "2026-11-21T00:00:00.000Z"
    assert get(ev, "observer.serial_number") == "FG1"


def test_repeated_shapes_read_as_the_general_path_reads_them() -> None:
    # after a few lines of one key sequence the parser reads it through a
    # compiled template; lines that only look alike must read as before
    base = ('date=2026-11-20 time=10:00:{s:02d} devname="FGT" devid="FG9" logid="0000000099" '
            'type="traffic" subtype="forward" srcip=10.0.0.{s} srcport={p} dstip=192.0.2.1 '
            'dstport=443 action="accept" policyname="{name}" sentbyte=10 rcvdbyte=20')
    for s in range(8):
        ev = firewall.parse(base.format(s=s, p=1000 + s, name="LAN ra Internet"), CTX)[0]
        validate(ev)
        assert (get(ev, "source.ip"), get(ev, "source.port")) == (f"10.0.0.{s}", 1000 + s)
        assert get(ev, "rule.name") == "LAN ra Internet"
        assert get(ev, "network.bytes") == 30
    ev = firewall.parse(base.format(s=9, p=1009, name='a \\"b\\" c'), CTX)[0]
    assert get(ev, "rule.name") == 'a "b" c'  # an escaped quote
    ev = firewall.parse(base.format(s=9, p=1009, name="x srcip=10.9.9.9"), CTX)[0]
    assert (get(ev, "rule.name"), get(ev, "source.ip")) == ("x srcip=10.9.9.9", "10.0.0.9")
    ev = firewall.parse(base.format(s=9, p='"1009"', name="x"), CTX)[0]
    assert get(ev, "source.port") == 1009  # a quoted number
    ev = firewall.parse(base.format(s=9, p="1009\tsentbyte=7", name="x"), CTX)[0]
    assert (get(ev, "source.port"), get(ev, "source.bytes")) == (1009, 10)  # a tab


def test_repeated_kernel_shapes_read_as_the_general_path_reads_them() -> None:
    line = ("Nov 20 10:20:{s:02d} gw kernel: [81234.5] DROP-INPUT: IN=eth0 OUT= "
            "SRC=198.51.100.{s} DST=10.10.0.5 LEN=44 TTL=241 ID=1 PROTO=TCP SPT={s}0 DPT=22 "
            "WINDOW=1024 RES=0x00 SYN URGP=0{tail}")
    for s in range(1, 9):
        ev = firewall.parse(line.format(s=s, tail=""), CTX)[0]
        validate(ev)
        assert (get(ev, "source.ip"), get(ev, "source.port")) == (f"198.51.100.{s}", s * 10)
        assert get(ev, "iptables.tcp.flags") == ["SYN"]
    # a later pair inside another word still counts, as the pattern finds it
    ev = firewall.parse(line.format(s=9, tail=" x-SRC=203.0.113.9"), CTX)[0]
    assert get(ev, "source.ip") == "203.0.113.9"
    ev = firewall.parse(line.format(s=9, tail=" ACK"), CTX)[0]
    assert get(ev, "iptables.tcp.flags") == ["SYN", "ACK"]
