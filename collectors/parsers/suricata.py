"""Suricata EVE JSON → ECS network and intrusion-detection events.

Alerts become ``event.kind: alert`` with ``rule.*`` (Suricata's own alerts,
kept as external alerts); flow, dns, http, tls, fileinfo and anomaly records
get their ECS fields; any other event type becomes a generic network event.
A record may be one object or a JSON array of objects.

``network.protocol`` comes from ``app_proto`` and, on the application-layer
records that carry none (Suricata writes it on flows and alerts, not on a
``dns`` or ``tls`` record), from the event type itself: detection's
``category: dns`` log source selects ``network.protocol: dns``.

The ECS objects are built already nested (``Partial.nested``): an EVE
record gives some thirty fixed fields, and writing them as dotted keys for
``build`` to split again was some 15% of the parse.  Every object is new
per event and holds no None value and no empty object: a missing or
unusable EVE value leaves its field out, as ``nest`` skipping a None did
(the one empty object, an alert's empty ``metadata``, was stored so
before).  Only ``event.*`` and ``message`` stay dotted fields (see
``from_object``).  The output is the event the dotted fields gave.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import orjson

from collectors.domains import question_fields
from collectors.record import ParseError, RecordContext

from ._common import (
    Partial,
    build,
    endpoint,
    int_or_none,
    ip_or_none,
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


Classified = tuple[str, list[str], list[str]]
"""``(event.kind, event.category, event.type)`` of one EVE record."""

Nested = dict[str, Any]
"""The event's top-level ECS objects as ``Partial.nested`` takes them."""


def from_object(obj: Any) -> Partial:
    """The ECS parts of one EVE object; ParseError when it is not one.

    Fields go straight into their nested objects (``n``), except two kinds
    of dotted fields (``f``, where a None value means "leave it out"):
    ``event.*``, which ``build`` writes into its own ``event`` object
    through a compiled shape for less than merging a nested one costs, and
    ``message``: the syslog parser, which wraps EVE messages, gives a
    message of its own to records without the key, and an alert without a
    signature must keep its None there (no message), as it always did."""
    # is_eve's common case inline (orjson gives plain dicts and strings)
    et = obj.get("event_type") if type(obj) is dict else None
    if type(et) is not str or "timestamp" not in obj:
        if not is_eve(obj):
            raise ParseError("not a Suricata EVE record (no event_type/timestamp)")
        et = obj["event_type"]
    get = obj.get
    eve: dict[str, Any] = {"event_type": et}
    observer: dict[str, Any] = {"vendor": "OISF", "product": "Suricata", "type": "ids"}
    source = endpoint(get("src_ip"), get("src_port"))
    destination = endpoint(get("dest_ip"), get("dest_port"))
    network: dict[str, Any] = {}
    # the handlers below add to these; the empty ones are dropped at the end
    n: Nested = {"suricata": {"eve": eve}, "observer": observer, "source": source,
                 "destination": destination, "network": network}
    # event.* (and message) stay dotted fields: build's own ``event`` object
    # takes them through its compiled shape, cheaper than merging an object
    f: dict[str, Any] = {}
    v = get("proto")
    if isinstance(v, str) and v:
        network["transport"] = v.lower()
    v = get("app_proto")
    if isinstance(v, str) and v and v != "failed":
        network["protocol"] = v.lower()
    elif et in APP_LAYER_EVENT_TYPES:
        network["protocol"] = et
    v = get("community_id")
    if isinstance(v, str) and v:
        network["community_id"] = v
    v = get("flow_id")
    if v is not None:
        eve["flow_id"] = str(v)
    v = get("in_iface")
    if isinstance(v, str) and v:
        observer["ingress"] = {"interface": {"name": v}}
    v = get("host")
    if isinstance(v, str) and v:
        observer["hostname"] = v
    if "tx_id" in obj:
        tx = int_or_none(obj["tx_id"], 0)
        if tx is not None:
            eve["tx_id"] = tx
    sub = get(et)
    if not isinstance(sub, dict):
        sub = {}
    handler = _EVENT_TYPES.get(et)
    if handler is not None:
        kind, category, types = handler(sub, n, f)
    elif et in ("alert", "drop"):
        kind, category, types = _alert(et, get("alert"), n, f)
    else:
        kind, category, types = _OTHER
    http = get("http")
    if et != "http" and isinstance(http, dict):  # alerts carry http metadata too
        url = {}
        v = http.get("hostname")
        if isinstance(v, str) and v:
            url["domain"] = v
        v = http.get("url")
        if isinstance(v, str) and v:
            url["original"] = v
        if url:
            n["url"] = url
    # related.ip as ``_common.related`` reads it: source.ip, destination.ip
    # (de-duplicated); no EVE field gives a user
    src_ip, dst_ip = source.get("ip"), destination.get("ip")
    if src_ip:
        n["related"] = {"ip": [src_ip] if src_ip == dst_ip or not dst_ip else [src_ip, dst_ip]}
    elif dst_ip:
        n["related"] = {"ip": [dst_ip]}
    if not source:
        del n["source"]
    if not destination:
        del n["destination"]
    if not network:
        del n["network"]
    ts = get("timestamp")
    if not isinstance(ts, str) or not ts:
        ts = None  # build takes the time the record was received
    return Partial("suricata.eve", f, kind, category, types, ts,
                   _eve_time(ts) if ts is not None else None, n)


# ``(event.kind, event.category, event.type)`` of each kind of record;
# shared, as ``build`` copies the lists into the event
_OTHER: Classified = ("event", ["network"], ["info"])
_ALLOWED: Classified = ("alert", ["network", "intrusion_detection"], ["allowed"])
_DENIED: Classified = ("alert", ["network", "intrusion_detection"], ["denied"])
_FLOW: Classified = ("event", ["network"], ["connection", "end"])
_PROTOCOL: Classified = ("event", ["network"], ["protocol"])
_HTTP: Classified = ("event", ["network", "web"], ["protocol", "access"])
_FILE_INFO: Classified = ("event", ["network", "file"], ["info"])
_METRIC: Classified = ("metric", ["host"], ["info"])


def _alert(et: str, a: Any, n: Nested, f: dict[str, Any]) -> Classified:
    if not isinstance(a, dict):
        a = {}
    get = a.get
    action = get("action")
    if not isinstance(action, str) or not action:
        action = "blocked" if et == "drop" else None
    f["event.action"] = action  # None values: build leaves the field out
    rule: dict[str, Any] = {"ruleset": "suricata"}
    v = get("signature_id")
    if type(v) is not int or not -2**63 <= v <= 2**63 - 1:
        v = int_or_none(v)
    if v is not None:
        rule["id"] = str(v)
    name = get("signature")
    if isinstance(name, str) and name:
        rule["name"] = name
    else:
        name = None
    f["message"] = name  # see from_object: None stays, so syslog adds none
    v = get("category")
    if isinstance(v, str) and v:
        rule["category"] = v
    v = get("rev")
    if isinstance(v, int):
        rule["version"] = str(v)
    n["rule"] = rule
    v = get("severity")
    if type(v) is not int or not 0 <= v <= 255:
        v = int_or_none(v, 0, 255)
    f["event.severity"] = v
    alert: dict[str, Any] = {}
    v = get("gid")
    if type(v) is not int or not -2**63 <= v <= 2**63 - 1:
        v = int_or_none(v)
    if v is not None:
        alert["gid"] = v
    metadata = get("metadata")
    if isinstance(metadata, dict):  # kept even when empty, as the dotted field was
        alert["metadata"] = {
            str(k): [str(x) for x in v] if isinstance(v, list) else str(v)
            for k, v in metadata.items()}
    if alert:
        n["suricata"]["eve"]["alert"] = alert
    return _DENIED if action in ("blocked", "drop") else _ALLOWED


def _flow(fl: dict[str, Any], n: Nested, f: dict[str, Any]) -> Classified:
    get = fl.get
    source, destination, network = n["source"], n["destination"], n["network"]
    sb = get("bytes_toserver")
    if type(sb) is not int or not 0 <= sb <= 2**63 - 1:
        sb = int_or_none(sb, 0)
    db = get("bytes_toclient")
    if type(db) is not int or not 0 <= db <= 2**63 - 1:
        db = int_or_none(db, 0)
    sp = get("pkts_toserver")
    if type(sp) is not int or not 0 <= sp <= 2**63 - 1:
        sp = int_or_none(sp, 0)
    dp = get("pkts_toclient")
    if type(dp) is not int or not 0 <= dp <= 2**63 - 1:
        dp = int_or_none(dp, 0)
    if sb is not None:
        source["bytes"] = sb
    if db is not None:
        destination["bytes"] = db
    if sp is not None:
        source["packets"] = sp
    if dp is not None:
        destination["packets"] = dp
    if sb is not None or db is not None:
        network["bytes"] = (sb or 0) + (db or 0)
    if sp is not None or dp is not None:
        network["packets"] = (sp or 0) + (dp or 0)
    f["event.start"] = _time(get("start"))
    f["event.end"] = _time(get("end"))
    f["event.action"] = "network_flow"
    flow = {}
    v = get("state")
    if isinstance(v, str) and v:
        flow["state"] = v
    v = get("reason")
    if isinstance(v, str) and v:
        flow["reason"] = v
    if flow:
        n["suricata"]["eve"]["flow"] = flow
    return _FLOW


def _http(sub: dict[str, Any], n: Nested, f: dict[str, Any]) -> Classified:
    get = sub.get
    url = {}
    v = get("hostname")
    if isinstance(v, str) and v:
        url["domain"] = v
    v = get("url")
    if isinstance(v, str) and v:
        url["original"] = v
        path, _, query = v.partition("?")
        url["path"] = path  # "" for a bare "?q" URL, as before
        if query:
            url["query"] = query
    if url:
        n["url"] = url
    # written out rather than with ``_strings``: web records are the most
    # common EVE type after flows and alerts, and each call costs
    http: dict[str, Any] = {}
    request = {}
    v = get("http_method")
    if isinstance(v, str) and v:
        request["method"] = v
    v = get("http_refer")
    if isinstance(v, str) and v:
        request["referrer"] = v
    if request:
        http["request"] = request
    response = {}
    v = get("http_content_type")
    if isinstance(v, str) and v:
        response["mime_type"] = v
    v = get("status")
    if type(v) is not int or not 0 <= v <= 999:
        v = int_or_none(v, 0, 999)
    if v is not None:
        response["status_code"] = v
    v = get("length")
    if type(v) is not int or not 0 <= v <= 2**63 - 1:
        v = int_or_none(v, 0)
    if v is not None:
        response["body"] = {"bytes": v}
    if response:
        http["response"] = response
    v = get("protocol")
    if isinstance(v, str) and "/" in v:
        http["version"] = v.split("/", 1)[1]
    if http:
        n["http"] = http
    v = get("http_user_agent")
    if isinstance(v, str) and v:
        n["user_agent"] = {"original": v}
    return _HTTP


def _strings(sub: dict[str, Any], table: tuple[tuple[str, str], ...]) -> dict[str, Any]:
    """A new object of ``sub``'s non-empty text values, each under its ECS
    leaf name (``table``: EVE key → leaf)."""
    out = {}
    for key, leaf in table:
        v = sub.get(key)
        if isinstance(v, str) and v:
            out[leaf] = v
    return out


def _tls(sub: dict[str, Any], n: Nested, f: dict[str, Any]) -> Classified:
    tls: dict[str, Any] = {}
    client = _strings(sub, _TLS_CLIENT)
    server = _strings(sub, _TLS_SERVER)
    v = _s(sub.get("version"))
    if v:
        tls["version_protocol"] = "tls" if v.upper().startswith("TLS") else v.lower()
        tls["version"] = v.split(" ", 1)[1] if " " in v else v
    for k, obj, leaf in (("ja3", client, "ja3"), ("ja3s", server, "ja3s")):
        fp = sub.get(k)
        if isinstance(fp, dict):
            v = _s(fp.get("hash"))
            if v:
                obj[leaf] = v
    v = _s(sub.get("ja4"))
    if v:
        client["ja4"] = v
    if client:
        tls["client"] = client
    if server:
        tls["server"] = server
    if tls:
        n["tls"] = tls
    return _PROTOCOL


_TLS_CLIENT = (("sni", "server_name"),)
_TLS_SERVER = (("subject", "subject"), ("issuerdn", "issuer"))


def _fileinfo(sub: dict[str, Any], n: Nested, f: dict[str, Any]) -> Classified:
    file = _strings(sub, _FILE)
    v = int_or_none(sub.get("size"), 0)
    if v is not None:
        file["size"] = v
    hashes = _strings(sub, _FILE_HASHES)
    if hashes:
        file["hash"] = hashes
    if file:
        n["file"] = file
    return _FILE_INFO


_FILE = (("filename", "name"), ("mimetype", "mime_type"))
_FILE_HASHES = (("md5", "md5"), ("sha1", "sha1"), ("sha256", "sha256"))


def _anomaly(sub: dict[str, Any], n: Nested, f: dict[str, Any]) -> Classified:
    f["event.action"] = _s(sub.get("event")) or _s(sub.get("type"))
    anomaly = _strings(sub, _ANOMALY)
    if anomaly:
        n["suricata"]["eve"]["anomaly"] = anomaly
    return _OTHER


_ANOMALY = (("type", "type"), ("layer", "layer"))


def _stats(sub: dict[str, Any], n: Nested, f: dict[str, Any]) -> Classified:
    return _METRIC


def _dns_record(sub: dict[str, Any], n: Nested, f: dict[str, Any]) -> Classified:
    _dns(sub, n, f)
    return _PROTOCOL


_EVENT_TYPES: dict[str, Any] = {
    "flow": _flow, "netflow": _flow, "dns": _dns_record, "http": _http, "tls": _tls,
    "fileinfo": _fileinfo, "anomaly": _anomaly, "stats": _stats}
"""Event type → the function filling its objects (alert and drop: ``_alert``)."""


def _time(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    when = _eve_time(value)
    if when is not None:
        return when
    try:
        return timestamp_text(value)  # canhgac.ecs.timestamp, faster on ISO text
    except (ValueError, OverflowError):  # not a time, or one out of range in UTC
        return None


def _eve_time(ts: str) -> str | None:
    """``timestamp_text(ts)`` for the one spelling Suricata writes
    (``2026-11-20T12:00:01.000100+0700``), None for any other text, which
    ``timestamp_text`` then reads (or rejects) as before.

    Hand-written because every EVE record has one or three such times and
    ``timestamp_text``'s regular expression was a tenth of the parse: here
    the fixed layout is sliced, the fraction checked, and the second with
    its offset converted once (``_utc_second``).  The result is the same
    text: the whole second in UTC and the first three fraction digits."""
    if len(ts) == 31 and ts[19] == ".":
        frac = ts[20:26]
        if frac.isdigit() and frac.isascii():
            second = _utc_second(ts[:19] + ts[26:])
            if second is not None:
                return f"{second}.{frac[:3]}Z"
    return None


_EVE_SECOND = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}[+-][0-9]{4}")
"""A local second and its offset as EVE writes them (the fraction cut out)."""


@lru_cache(maxsize=4096)
def _utc_second(local: str) -> str | None:
    """``YYYY-MM-DDTHH:MM:SS`` in UTC for ``local`` (``_EVE_SECOND``), or
    None when it is not that or is out of range.  Cached: records come many
    per second."""
    if _EVE_SECOND.fullmatch(local) is None:
        return None
    try:
        dt = datetime.fromisoformat(local).astimezone(UTC)
    except (ValueError, OverflowError):
        return None
    return "%04d-%02d-%02dT%02d:%02d:%02d" % (  # noqa: UP031 - as _common formats it
        dt.year, dt.month, dt.day, dt.hour, dt.minute, dt.second)


def _dns(d: dict[str, Any], n: Nested, f: dict[str, Any]) -> None:
    if not d:
        return
    dns: dict[str, Any] = {}
    dtype = {"query": "query", "answer": "answer"}.get(str(d.get("type")))
    if dtype is not None:
        dns["type"] = dtype
    if d.get("id") is not None:
        dns["id"] = str(d["id"])
    name = _s(d.get("rrname"))
    qtype = _s(d.get("rrtype"))
    queries = d.get("queries")
    if isinstance(queries, list) and queries and isinstance(queries[0], dict):
        name = name or _s(queries[0].get("rrname"))
        qtype = qtype or _s(queries[0].get("rrtype"))
    question: dict[str, Any] = {}
    if name is not None:
        question["name"] = name
        for path, value in question_fields(name).items():  # dns.question.<leaf>
            question[path.rpartition(".")[2]] = value
    if qtype is not None:
        question["type"] = qtype
    if question:
        dns["question"] = question
    v = _s(d.get("rcode"))
    if v is not None:
        dns["response_code"] = v
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
    grouped = d.get("grouped")
    for rtype, vals in grouped.items() if isinstance(grouped, dict) else ():
        if rtype in ("A", "AAAA") and isinstance(vals, list):
            ips.extend(i for i in (ip_or_none(v) for v in vals) if i)
    if ips:
        dns["resolved_ip"] = list(dict.fromkeys(ips))
    if dns:
        n["dns"] = dns
    f["event.action"] = "dns_" + (dtype or "record")


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
