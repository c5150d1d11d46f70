"""Suricata EVE JSON → ECS network and intrusion-detection events.

Alerts become ``event.kind: alert`` with ``rule.*`` (Suricata's own alerts,
kept as external alerts); flow, dns, http, tls, fileinfo and anomaly records
get their ECS fields; any other event type becomes a generic network event.
A record may be one object or a JSON array of objects.

``network.protocol`` comes from ``app_proto`` and, on the application-layer
records that carry none (Suricata writes it on flows and alerts, not on a
``dns`` or ``tls`` record), from the event type itself: detection's
``category: dns`` log source selects ``network.protocol: dns``.
"""

from __future__ import annotations

from typing import Any

import orjson

from canhgac.ecs import timestamp
from collectors.domains import add_question_domains
from collectors.record import ParseError, RecordContext

from ._common import (
    Partial,
    build,
    int_or_none,
    ip_or_none,
    port_or_none,
    related,
    text_of,
)

APP_LAYER_EVENT_TYPES = frozenset({
    "dcerpc", "dhcp", "dnp3", "dns", "ftp", "http", "http2", "ike", "krb5", "ldap", "modbus",
    "mqtt", "nfs", "pgsql", "quic", "rdp", "rfb", "sip", "smb", "smtp", "snmp", "ssh", "tftp",
    "tls"})
"""EVE event types that are one application protocol's record, named as
Suricata names that protocol in ``app_proto``."""


def is_eve(obj: Any) -> bool:
    """True for a dict that looks like an EVE record."""
    return isinstance(obj, dict) and isinstance(obj.get("event_type"), str) and (
        "timestamp" in obj)


def _s(v: Any) -> str | None:
    return v if isinstance(v, str) and v else None


def from_object(obj: Any) -> Partial:
    """The ECS parts of one EVE object; ParseError when it is not one."""
    if not is_eve(obj):
        raise ParseError("not a Suricata EVE record (no event_type/timestamp)")
    et = obj["event_type"]
    f: dict[str, Any] = {"suricata.eve.event_type": et, "observer.vendor": "OISF",
                         "observer.product": "Suricata", "observer.type": "ids"}
    ip = ip_or_none(obj.get("src_ip"))
    if ip:
        f["source.ip"] = ip
    ip = ip_or_none(obj.get("dest_ip"))
    if ip:
        f["destination.ip"] = ip
    for k, dst in (("src_port", "source.port"), ("dest_port", "destination.port")):
        p = port_or_none(obj.get(k))
        if p is not None:
            f[dst] = p
    if _s(obj.get("proto")):
        f["network.transport"] = obj["proto"].lower()
    if _s(obj.get("app_proto")) and obj["app_proto"] != "failed":
        f["network.protocol"] = obj["app_proto"].lower()
    elif et in APP_LAYER_EVENT_TYPES:
        f["network.protocol"] = et
    if _s(obj.get("community_id")):
        f["network.community_id"] = obj["community_id"]
    if obj.get("flow_id") is not None:
        f["suricata.eve.flow_id"] = str(obj["flow_id"])
    if _s(obj.get("in_iface")):
        f["observer.ingress.interface.name"] = obj["in_iface"]
    if _s(obj.get("host")):
        f["observer.hostname"] = obj["host"]
    tx = int_or_none(obj.get("tx_id"), 0)
    if tx is not None:
        f["suricata.eve.tx_id"] = tx
    kind, category, types = "event", ["network"], ["connection"]
    sub = obj.get(et) if isinstance(obj.get(et), dict) else {}
    if et == "alert" or et == "drop":
        kind, category = "alert", ["network", "intrusion_detection"]
        a = obj.get("alert") if isinstance(obj.get("alert"), dict) else {}
        action = _s(a.get("action")) or ("blocked" if et == "drop" else None)
        types = ["denied"] if action in ("blocked", "drop") else ["allowed"]
        f["event.action"] = action
        sid = int_or_none(a.get("signature_id"))
        f["rule.id"] = str(sid) if sid is not None else None
        f["rule.name"] = _s(a.get("signature"))
        f["rule.category"] = _s(a.get("category"))
        f["rule.version"] = str(a["rev"]) if isinstance(a.get("rev"), int) else None
        f["rule.ruleset"] = "suricata"
        f["suricata.eve.alert.gid"] = int_or_none(a.get("gid"))
        sev = int_or_none(a.get("severity"), 0, 255)
        f["event.severity"] = sev
        f["message"] = _s(a.get("signature"))
        if isinstance(a.get("metadata"), dict):
            f["suricata.eve.alert.metadata"] = {
                str(k): [str(x) for x in v] if isinstance(v, list) else str(v)
                for k, v in a["metadata"].items()}
    elif et in ("flow", "netflow"):
        types = ["connection", "end"]
        fl = sub
        for k, dst in (("bytes_toserver", "source.bytes"), ("bytes_toclient", "destination.bytes"),
                       ("pkts_toserver", "source.packets"),
                       ("pkts_toclient", "destination.packets")):
            n = int_or_none(fl.get(k), 0)
            if n is not None:
                f[dst] = n
        if "source.bytes" in f or "destination.bytes" in f:
            f["network.bytes"] = f.get("source.bytes", 0) + f.get("destination.bytes", 0)
        if "source.packets" in f or "destination.packets" in f:
            f["network.packets"] = f.get("source.packets", 0) + f.get("destination.packets", 0)
        f["event.start"] = _time(fl.get("start"))
        f["event.end"] = _time(fl.get("end"))
        f["suricata.eve.flow.state"] = _s(fl.get("state"))
        f["suricata.eve.flow.reason"] = _s(fl.get("reason"))
        f["event.action"] = "network_flow"
    elif et == "dns":
        types = ["protocol"]
        _dns(sub, f)
    elif et == "http":
        category, types = ["network", "web"], ["protocol", "access"]
        f["url.domain"] = _s(sub.get("hostname"))
        f["url.original"] = _s(sub.get("url"))
        if f["url.original"]:
            path, _, query = f["url.original"].partition("?")
            f["url.path"] = path
            f["url.query"] = query or None
        f["http.request.method"] = _s(sub.get("http_method"))
        f["http.response.status_code"] = int_or_none(sub.get("status"), 0, 999)
        f["http.response.body.bytes"] = int_or_none(sub.get("length"), 0)
        f["http.request.referrer"] = _s(sub.get("http_refer"))
        f["http.response.mime_type"] = _s(sub.get("http_content_type"))
        f["user_agent.original"] = _s(sub.get("http_user_agent"))
        proto = _s(sub.get("protocol"))
        if proto and "/" in proto:
            f["http.version"] = proto.split("/", 1)[1]
    elif et == "tls":
        types = ["protocol"]
        f["tls.client.server_name"] = _s(sub.get("sni"))
        f["tls.server.subject"] = _s(sub.get("subject"))
        f["tls.server.issuer"] = _s(sub.get("issuerdn"))
        v = _s(sub.get("version"))
        if v:
            f["tls.version_protocol"] = "tls" if v.upper().startswith("TLS") else v.lower()
            f["tls.version"] = v.split(" ", 1)[1] if " " in v else v
        for k, dst in (("ja3", "tls.client.ja3"), ("ja3s", "tls.server.ja3s")):
            if isinstance(sub.get(k), dict):
                f[dst] = _s(sub[k].get("hash"))
        f["tls.client.ja4"] = _s(sub.get("ja4"))
    elif et == "fileinfo":
        category, types = ["network", "file"], ["info"]
        f["file.name"] = _s(sub.get("filename"))
        f["file.size"] = int_or_none(sub.get("size"), 0)
        f["file.mime_type"] = _s(sub.get("mimetype"))
        for h in ("md5", "sha1", "sha256"):
            f[f"file.hash.{h}"] = _s(sub.get(h))
    elif et == "anomaly":
        types = ["info"]
        f["event.action"] = _s(sub.get("event")) or _s(sub.get("type"))
        f["suricata.eve.anomaly.type"] = _s(sub.get("type"))
        f["suricata.eve.anomaly.layer"] = _s(sub.get("layer"))
    elif et == "stats":
        category, types = ["host"], ["info"]
        kind = "metric"
    else:
        types = ["info"]
    if isinstance(obj.get("http"), dict) and et != "http":  # alerts carry http metadata too
        f.setdefault("url.domain", _s(obj["http"].get("hostname")))
        f.setdefault("url.original", _s(obj["http"].get("url")))
    f = {k: v for k, v in f.items() if v is not None}
    related(f)
    return Partial("suricata.eve", f, kind=kind, category=category, type=types,
                   ts=_s(obj.get("timestamp")))


def _time(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    try:
        return timestamp(value)
    except ValueError:
        return None


def _dns(d: dict[str, Any], f: dict[str, Any]) -> None:
    if not d:
        return
    f["dns.type"] = {"query": "query", "answer": "answer"}.get(str(d.get("type")))
    f["dns.id"] = str(d["id"]) if d.get("id") is not None else None
    name = _s(d.get("rrname"))
    qtype = _s(d.get("rrtype"))
    if isinstance(d.get("queries"), list) and d["queries"] and isinstance(d["queries"][0], dict):
        name = name or _s(d["queries"][0].get("rrname"))
        qtype = qtype or _s(d["queries"][0].get("rrtype"))
    f["dns.question.name"] = name
    f["dns.question.type"] = qtype
    add_question_domains(f)
    f["dns.response_code"] = _s(d.get("rcode"))
    ips = []
    ip = ip_or_none(d.get("rdata"))
    if ip:
        ips.append(ip)
    answers = d.get("answers")
    for ans in answers if isinstance(answers, list) else ():
        if isinstance(ans, dict):
            ip = ip_or_none(ans.get("rdata"))
            if ip:
                ips.append(ip)
    for rtype, vals in (d.get("grouped") or {}).items() if isinstance(d.get("grouped"), dict) \
            else ():
        if rtype in ("A", "AAAA") and isinstance(vals, list):
            ips.extend(i for i in (ip_or_none(v) for v in vals) if i)
    if ips:
        f["dns.resolved_ip"] = list(dict.fromkeys(ips))
    f["event.action"] = "dns_" + (f["dns.type"] or "record")


def loads(text: str) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise ParseError(f"invalid JSON: {str(exc)[:120]}") from None


def events_from(obj: Any, ctx: RecordContext, text: str, enc: str) -> list[dict[str, Any]]:
    """Events for one decoded JSON value (object or array of objects)."""
    if isinstance(obj, list):
        out = []
        for i, item in enumerate(obj):
            p = from_object(item)
            out.append(build(p, ctx, text, encoding=enc, part=i,
                             original=orjson.dumps(item).decode()))
        return out
    return [build(from_object(obj), ctx, text, encoding=enc)]


def parse_item(item: Any, index: int, ctx: RecordContext) -> dict[str, Any]:
    """One element of a JSON array file, with an id from the file and its index."""
    text = orjson.dumps(item).decode()
    return build(from_object(item), ctx, text, part=index)


def parse(raw: bytes | str, ctx: RecordContext) -> list[dict[str, Any]]:
    """One EVE line (an object) or a JSON array of EVE objects → events."""
    text, enc = text_of(raw)
    return events_from(loads(text), ctx, text, enc)

