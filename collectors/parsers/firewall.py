"""Firewall logs: FortiGate key=value, pfSense ``filterlog`` CSV, and
iptables/nftables ``kernel:`` lines → ECS network events.

Each dialect has a ``match_*`` function on the message (what follows the
syslog header); ``match`` tries them in order; ``parse`` reads a whole
line with or without a syslog header (FortiGate often logs bare
``date=... time=...`` lines to files).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, tzinfo
from functools import lru_cache
from typing import Any

from collectors.record import ParseError, RecordContext

from . import syslog_header
from ._common import (
    Partial,
    build,
    device_zone,
    int_or_none,
    ip_or_none,
    port_or_none,
    related,
    text_of,
    zone,
)

# a value is quoted (with backslash escapes, "unrolled": runs of plain
# characters between escapes, not one regex branch per character) or a word
_KV = re.compile(r'([A-Za-z_][\w.\-]*)=("[^"\\]*(?:\\.[^"\\]*)*"|\S*)')
_ALLOW = {"accept", "allow", "allowed", "pass", "permit", "close", "timeout", "server-rst",
          "client-rst", "start", "passthrough", "accepted"}
_DENY = {"deny", "denied", "block", "blocked", "drop", "dropped", "reject", "rejected",
         "ip-conn", "reset"}
IANA = {"1": "icmp", "6": "tcp", "17": "udp", "58": "ipv6-icmp", "47": "gre", "50": "esp",
        "51": "ah", "132": "sctp", "2": "igmp"}


def _action(word: str | None) -> tuple[str | None, list[str]]:
    """ECS event.action and event.type for a vendor's action word."""
    action, types = _action_of(word or "")
    return action, list(types)


@lru_cache(maxsize=1024)
def _action_of(word: str) -> tuple[str | None, tuple[str, ...]]:
    """``_action`` once per distinct word (a device uses a handful)."""
    w = word.strip().lower()
    if w in _DENY or any(k in w for k in ("drop", "deny", "reject", "block")):
        return "deny", ("denied", "connection")
    if w in _ALLOW or any(k in w for k in ("accept", "allow", "pass")):
        return "allow", ("allowed", "connection")
    return (w or None), ("connection",)


_NET_KEYS = {"source": ("source.ip", "source.port"),
             "destination": ("destination.ip", "destination.port")}


def _net(fields: dict[str, Any], side: str, ip: Any, port: Any) -> None:
    ip_key, port_key = _NET_KEYS[side]
    addr = ip_or_none(ip) if isinstance(ip, str) else None
    if addr:
        fields[ip_key] = addr
    p = port_or_none(port)
    if p is not None:
        fields[port_key] = p


def _port(fields: dict[str, Any], key: str, port: str) -> None:
    p = port_or_none(port)
    if p is not None:
        fields[key] = p


def _finish(p: Partial) -> Partial:
    f = p.fields
    if "source.ip" in f and ":" in f["source.ip"]:
        f.setdefault("network.type", "ipv6")
    elif "source.ip" in f:
        f.setdefault("network.type", "ipv4")
    sb, db = f.get("source.bytes"), f.get("destination.bytes")
    if isinstance(sb, int) or isinstance(db, int):
        f["network.bytes"] = (sb or 0) + (db or 0)
    related(f)
    return p


# -- FortiGate ---------------------------------------------------------------

def kv_pairs(message: str) -> dict[str, str]:
    """``k=v`` and ``k="quoted v"`` pairs (the last of a repeated key wins).
    ``dict`` takes the pairs in C; only quoted values need a second look."""
    out = dict(_KV.findall(message))
    if '"' in message:
        for k, v in out.items():
            if v[:1] == '"' and v[-1:] == '"' and len(v) >= 2:
                out[k] = v[1:-1].replace('\\"', '"')
    return out


def match_fortigate(message: str, ctx: RecordContext) -> Partial | None:
    if "devid=" not in message or "type=" not in message:
        return None
    kv = kv_pairs(message)
    if "devid" not in kv or "type" not in kv:
        return None
    f: dict[str, Any] = {
        "observer.vendor": "Fortinet", "observer.product": "FortiGate", "observer.type": "firewall",
        "observer.name": kv.get("devname"), "observer.serial_number": kv.get("devid"),
        "observer.ingress.interface.name": kv.get("srcintf"),
        "observer.egress.interface.name": kv.get("dstintf"),
        "fortinet.firewall.type": kv.get("type"), "fortinet.firewall.subtype": kv.get("subtype"),
        "fortinet.firewall.vd": kv.get("vd"), "fortinet.firewall.sessionid": kv.get("sessionid"),
        "event.code": kv.get("logid"), "log.level": kv.get("level"),
        "rule.id": kv.get("policyid"), "rule.name": kv.get("policyname"),
        "rule.uuid": kv.get("poluuid"), "network.protocol": (kv.get("service") or "").lower() or None,
        "network.application": kv.get("app"), "message": kv.get("msg"),
        "url.domain": kv.get("hostname"), "user.name": kv.get("user") or kv.get("srcuser"),
    }
    _net(f, "source", kv.get("srcip"), kv.get("srcport"))
    _net(f, "destination", kv.get("dstip"), kv.get("dstport"))
    nat = ip_or_none(kv.get("transip") or "")
    if nat:
        f["source.nat.ip"] = nat
    proto = kv.get("proto")
    if proto:
        f["network.iana_number"] = proto
        f["network.transport"] = IANA.get(proto, proto)
    for src, dst in (("sentbyte", "source.bytes"), ("rcvdbyte", "destination.bytes"),
                     ("sentpkt", "source.packets"), ("rcvdpkt", "destination.packets"),
                     ("duration", "fortinet.firewall.duration")):
        n = int_or_none(kv.get(src), 0)
        if n is not None:
            f[dst] = n
    action, types = _action(kv.get("action") or kv.get("utmaction"))
    f["event.action"] = action
    f["fortinet.firewall.action"] = kv.get("action")
    kind = "event"
    category = ["network"]
    if kv.get("type") == "utm" or kv.get("subtype") in ("ips", "anomaly", "virus"):
        category.append("intrusion_detection")
        if kv.get("attack") or kv.get("virus"):
            kind = "alert"
            f["rule.name"] = kv.get("attack") or kv.get("virus")
    p = Partial("fortinet.firewall", {k: v for k, v in f.items() if v not in (None, "")},
                kind=kind, category=category, type=types)
    p.ts = _forti_time(kv, ctx)
    return _finish(p)


def _forti_time(kv: dict[str, str], ctx: RecordContext) -> datetime | None:
    et = int_or_none(kv.get("eventtime"), 0)
    if et is not None:
        for scale in (1, 1_000, 1_000_000, 1_000_000_000):  # s, ms, µs, ns
            if et < 10**10 * scale:
                try:
                    return datetime.fromtimestamp(et / scale, UTC)
                except (OverflowError, ValueError, OSError):
                    return None
    if kv.get("date") and kv.get("time"):
        tz = zone(kv["tz"]) if kv.get("tz") else device_zone(ctx)
        return _local_time(kv["date"], kv["time"], tz)
    return None


@lru_cache(maxsize=4096)
def _local_time(date: str, time: str, tz: tzinfo) -> datetime | None:
    """``date=... time=...`` as a UTC instant (in ``tz`` unless the text has
    an offset).  Cached: second resolution, many lines per second."""
    try:
        naive = datetime.fromisoformat(f"{date}T{time}")
    except ValueError:
        return None
    if naive.tzinfo is None:
        naive = naive.replace(tzinfo=tz)
    try:
        return naive.astimezone(UTC)
    except OverflowError:  # year 1 or 9999 pushed out of range by the offset
        return None


# -- pfSense filterlog ---------------------------------------------------------

_DIRECTIONS = {"in": "inbound", "out": "outbound"}


def match_filterlog(message: str) -> Partial | None:
    c = message.strip().split(",")
    if len(c) < 17 or c[8] not in ("4", "6"):
        return None
    f: dict[str, Any] = {
        "observer.vendor": "Netgate", "observer.product": "pfSense", "observer.type": "firewall",
        "rule.id": c[3] or None, "pfsense.rule_number": c[0] or None,
        "observer.ingress.interface.name": c[4] or None, "event.reason": c[5] or None,
        "network.direction": _DIRECTIONS.get(c[7], c[7] or None),
        "pfsense.action": c[6],
    }
    if c[8] == "4":
        f["network.type"] = "ipv4"
        if len(c) < 20:
            return None
        proto_id, proto, length, src, dst, rest = c[15], c[16].lower(), c[17], c[18], c[19], c[20:]
        f["pfsense.ip.ttl"] = int_or_none(c[11])
        f["pfsense.ip.flags"] = c[14] or None
    else:
        f["network.type"] = "ipv6"
        proto, proto_id, length, src, dst, rest = c[12].lower(), c[13], c[14], c[15], c[16], c[17:]
        f["pfsense.ip.hop_limit"] = int_or_none(c[11])
    src_ip, dst_ip = ip_or_none(src), ip_or_none(dst)
    if not src_ip or not dst_ip:
        return None
    f["network.transport"] = IANA.get(proto_id, proto or None)
    f["network.iana_number"] = proto_id or None
    n = int_or_none(length, 0)
    if n is not None:
        f["network.bytes"] = n
        f["source.bytes"] = n
    f["source.ip"], f["destination.ip"] = src_ip, dst_ip
    if proto in ("tcp", "udp") and len(rest) >= 2:
        _port(f, "source.port", rest[0])
        _port(f, "destination.port", rest[1])
        if proto == "tcp" and len(rest) >= 4 and rest[3]:
            f["pfsense.tcp.flags"] = rest[3]
    else:
        if proto.startswith("icmp") and rest:
            f["pfsense.icmp.type"] = rest[0] or None
    action, types = _action(c[6])
    f["event.action"] = action
    p = Partial("pfsense.log", {k: v for k, v in f.items() if v is not None},
                category=["network"], type=types)
    return _finish(p)


# -- iptables / nftables --------------------------------------------------------

_NETFILTER = re.compile(r"(?:\[\s*\d+\.\d+\]\s*)?(.*?)\s*IN=(\S*) OUT=(\S*) ")
_NF_KV = re.compile(r"\b([A-Z]+)=(\S*)")
_TCP_FLAGS = tuple((w, f" {w} ") for w in ("SYN", "ACK", "FIN", "RST", "PSH", "URG"))


def match_netfilter(message: str) -> Partial | None:
    if "IN=" not in message or "SRC=" not in message:
        return None
    m = _NETFILTER.match(message)
    if not m:
        return None
    prefix = m.group(1).strip().strip(":").strip() or None
    kv = dict(_NF_KV.findall(message[m.start(2) - 3:]))
    proto = (kv.get("PROTO") or "").lower()
    f: dict[str, Any] = {
        "observer.type": "firewall", "observer.product": "netfilter",
        "observer.ingress.interface.name": m.group(2) or None,
        "observer.egress.interface.name": m.group(3) or None,
        "rule.name": prefix, "network.transport": IANA.get(proto, proto or None),
        "iptables.ttl": int_or_none(kv.get("TTL")), "iptables.id": kv.get("ID"),
        "source.mac": kv.get("MAC") or None,
    }
    if m.group(2) and not m.group(3):
        f["network.direction"] = "inbound"
    elif m.group(3) and not m.group(2):
        f["network.direction"] = "outbound"
    _net(f, "source", kv.get("SRC"), kv.get("SPT"))
    _net(f, "destination", kv.get("DST"), kv.get("DPT"))
    if "source.ip" not in f:
        return None
    n = int_or_none(kv.get("LEN"), 0)
    if n is not None:
        f["network.bytes"] = n
        f["source.bytes"] = n
    padded = message + " "
    flags = [w for w, spaced in _TCP_FLAGS if spaced in padded]
    if flags:
        f["iptables.tcp.flags"] = flags
    action, types = _action(prefix)
    f["event.action"] = action or "logged"
    p = Partial("iptables.log", {k: v for k, v in f.items() if v is not None},
                category=["network"], type=types)
    return _finish(p)


def match(message: str, app: str | None, ctx: RecordContext) -> Partial | None:
    """The firewall event in one syslog message, or None."""
    app_l = (app or "").lower()
    if app_l == "filterlog":
        return match_filterlog(message)
    if "IN=" in message and "SRC=" in message:
        return match_netfilter(message)
    if "devid=" in message:
        return match_fortigate(message, ctx)
    return None


def _bare_kv(text: str) -> bool:
    """True for a FortiGate line without any header (``date=... time=...``,
    as FortiGate writes to files), which ``parse_header`` would only refuse
    after trying every header shape: its first word can be no PRI, time, host
    or ``tag:``/``tag[pid]`` (no ``:``, ``[`` or ``]`` in it)."""
    if not text.startswith("date="):
        return False
    first = text.split(None, 1)[0]
    return ":" not in first and "[" not in first and "]" not in first


def parse(raw: bytes | str, ctx: RecordContext) -> list[dict[str, Any]]:
    """One firewall log line (with or without a syslog header) → one event."""
    text, enc = text_of(raw)
    header = None if _bare_kv(text) else syslog_header.parse_header(text, ctx, require=False)
    if header is None:
        p = match(text, None, ctx)
        hf: dict[str, Any] = {}
    else:
        p = match(header.message, header.app, ctx)
        hf = header.fields()
        if p is not None and p.ts is None:
            p.ts = header.ts
    if p is None:
        raise ParseError("not a FortiGate, pfSense filterlog or iptables/nftables line")
    p.fields = {**hf, **p.fields}
    return [build(p, ctx, text, encoding=enc)]
