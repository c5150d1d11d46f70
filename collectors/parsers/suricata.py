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
    timestamp_text,
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
    """The ECS parts of one EVE object; ParseError when it is not one.

    Fields may be None here (``nest`` skips them): filtering them out first
    cost a dict copy per event."""
    if not is_eve(obj):
        raise ParseError("not a Suricata EVE record (no event_type/timestamp)")
    get = obj.get
    et = obj["event_type"]
    f: dict[str, Any] = {"suricata.eve.event_type": et, "observer.vendor": "OISF",
                         "observer.product": "Suricata", "observer.type": "ids"}
    # the endpoints (inline: a call per event less)
    ip = ip_or_none(get("src_ip"))
    if ip:
        f["source.ip"] = ip
    ip = ip_or_none(get("dest_ip"))
    if ip:
        f["destination.ip"] = ip
    p = port_or_none(get("src_port"))
    if p is not None:
        f["source.port"] = p
    p = port_or_none(get("dest_port"))
    if p is not None:
        f["destination.port"] = p
    proto = get("proto")
    if isinstance(proto, str) and proto:
        f["network.transport"] = proto.lower()
    app = get("app_proto")
    if isinstance(app, str) and app and app != "failed":
        f["network.protocol"] = app.lower()
    elif et in APP_LAYER_EVENT_TYPES:
        f["network.protocol"] = et
    v = get("community_id")
    if isinstance(v, str) and v:
        f["network.community_id"] = v
    v = get("flow_id")
    if v is not None:
        f["suricata.eve.flow_id"] = str(v)
    v = get("in_iface")
    if isinstance(v, str) and v:
        f["observer.ingress.interface.name"] = v
    v = get("host")
    if isinstance(v, str) and v:
        f["observer.hostname"] = v
    if "tx_id" in obj:
        tx = int_or_none(obj["tx_id"], 0)
        if tx is not None:
            f["suricata.eve.tx_id"] = tx
    sub = get(et)
    if not isinstance(sub, dict):
        sub = {}
    handler = _EVENT_TYPES.get(et)
    if handler is not None:
        kind, category, types = handler(sub, obj, f)
    elif et in ("alert", "drop"):
        kind, category, types = _alert(et, get("alert"), f)
    else:
        kind, category, types = "event", ["network"], ["info"]
    http = get("http")
    if et != "http" and isinstance(http, dict):  # alerts carry http metadata too
        f.setdefault("url.domain", _s(http.get("hostname")))
        f.setdefault("url.original", _s(http.get("url")))
    related(f)
    return Partial("suricata.eve", f, kind=kind, category=category, type=types,
                   ts=_s(get("timestamp")))


Classified = tuple[str, list[str], list[str]]
"""``(event.kind, event.category, event.type)`` of one EVE record."""


def _alert(et: str, a: Any, f: dict[str, Any]) -> Classified:
    if not isinstance(a, dict):
        a = {}
    get = a.get
    action = _s(get("action")) or ("blocked" if et == "drop" else None)
    f["event.action"] = action
    sid = int_or_none(get("signature_id"))
    f["rule.id"] = str(sid) if sid is not None else None
    f["rule.name"] = _s(get("signature"))
    f["rule.category"] = _s(get("category"))
    rev = get("rev")
    f["rule.version"] = str(rev) if isinstance(rev, int) else None
    f["rule.ruleset"] = "suricata"
    f["suricata.eve.alert.gid"] = int_or_none(get("gid"))
    f["event.severity"] = int_or_none(get("severity"), 0, 255)
    f["message"] = f["rule.name"]
    metadata = get("metadata")
    if isinstance(metadata, dict):
        f["suricata.eve.alert.metadata"] = {
            str(k): [str(x) for x in v] if isinstance(v, list) else str(v)
            for k, v in metadata.items()}
    types = ["denied"] if action in ("blocked", "drop") else ["allowed"]
    return "alert", ["network", "intrusion_detection"], types


def _flow(fl: dict[str, Any], obj: dict[str, Any], f: dict[str, Any]) -> Classified:
    get = fl.get
    sb = int_or_none(get("bytes_toserver"), 0)
    db = int_or_none(get("bytes_toclient"), 0)
    sp = int_or_none(get("pkts_toserver"), 0)
    dp = int_or_none(get("pkts_toclient"), 0)
    for dst, n in (("source.bytes", sb), ("destination.bytes", db), ("source.packets", sp),
                   ("destination.packets", dp)):
        if n is not None:
            f[dst] = n
    if sb is not None or db is not None:
        f["network.bytes"] = (sb or 0) + (db or 0)
    if sp is not None or dp is not None:
        f["network.packets"] = (sp or 0) + (dp or 0)
    f["event.start"] = _time(get("start"))
    f["event.end"] = _time(get("end"))
    f["suricata.eve.flow.state"] = _s(get("state"))
    f["suricata.eve.flow.reason"] = _s(get("reason"))
    f["event.action"] = "network_flow"
    return "event", ["network"], ["connection", "end"]


def _dns_record(sub: dict[str, Any], obj: dict[str, Any], f: dict[str, Any]) -> Classified:
    _dns(sub, f)
    return "event", ["network"], ["protocol"]


def _http(sub: dict[str, Any], obj: dict[str, Any], f: dict[str, Any]) -> Classified:
    get = sub.get
    f["url.domain"] = _s(get("hostname"))
    url = f["url.original"] = _s(get("url"))
    if url:
        path, _, query = url.partition("?")
        f["url.path"] = path
        f["url.query"] = query or None
    f["http.request.method"] = _s(get("http_method"))
    f["http.response.status_code"] = int_or_none(get("status"), 0, 999)
    f["http.response.body.bytes"] = int_or_none(get("length"), 0)
    f["http.request.referrer"] = _s(get("http_refer"))
    f["http.response.mime_type"] = _s(get("http_content_type"))
    f["user_agent.original"] = _s(get("http_user_agent"))
    proto = _s(get("protocol"))
    if proto and "/" in proto:
        f["http.version"] = proto.split("/", 1)[1]
    return "event", ["network", "web"], ["protocol", "access"]


def _tls(sub: dict[str, Any], obj: dict[str, Any], f: dict[str, Any]) -> Classified:
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
    return "event", ["network"], ["protocol"]


def _fileinfo(sub: dict[str, Any], obj: dict[str, Any], f: dict[str, Any]) -> Classified:
    f["file.name"] = _s(sub.get("filename"))
    f["file.size"] = int_or_none(sub.get("size"), 0)
    f["file.mime_type"] = _s(sub.get("mimetype"))
    for h in ("md5", "sha1", "sha256"):
        f[f"file.hash.{h}"] = _s(sub.get(h))
    return "event", ["network", "file"], ["info"]


def _anomaly(sub: dict[str, Any], obj: dict[str, Any], f: dict[str, Any]) -> Classified:
    f["event.action"] = _s(sub.get("event")) or _s(sub.get("type"))
    f["suricata.eve.anomaly.type"] = _s(sub.get("type"))
    f["suricata.eve.anomaly.layer"] = _s(sub.get("layer"))
    return "event", ["network"], ["info"]


def _stats(sub: dict[str, Any], obj: dict[str, Any], f: dict[str, Any]) -> Classified:
    return "metric", ["host"], ["info"]


_EVENT_TYPES: dict[str, Any] = {
    "flow": _flow, "netflow": _flow, "dns": _dns_record, "http": _http, "tls": _tls,
    "fileinfo": _fileinfo, "anomaly": _anomaly, "stats": _stats}
"""Event type → the function filling its fields (alert and drop: ``_alert``)."""


def _time(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    try:
        return timestamp_text(value)  # canhgac.ecs.timestamp, faster on ISO text
    except (ValueError, OverflowError):  # not a time, or one out of range in UTC
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

