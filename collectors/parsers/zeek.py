"""Zeek logs (conn, dns, http, ssl, files, notice, weird, and any other
path generically) → ECS network events, keeping the Zeek uid in
``zeek.session_id`` for pivoting.

Two encodings: TSV with ``#separator/#fields/#types`` headers, read with the
stateful ``ZeekTsvReader`` (headers update it, data lines give events), and
JSON lines (``LogAscii::use_json``), one object per line, where the log
path comes from ``_path`` or the file name.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import orjson

from collectors.domains import add_question_domains
from collectors.record import ParseError, RecordContext

from ._common import (
    Partial,
    build,
    endpoint,
    epoch_text,
    float_or_none,
    int_or_none,
    ip_or_none,
    port_or_none,
    text_of,
)

_PATH_NAME = re.compile(r"[A-Za-z0-9_]{1,64}")
_PATH_FROM_NAME = re.compile(r"(?:^|/)([a-z0-9_]+)(?:\.[\d:\-_]+)*\.log(?:\.gz)?$")


@dataclass
class ZeekHeader:
    """What the ``#`` lines of a TSV log declared."""

    path: str = ""
    separator: str = "\t"
    set_separator: str = ","
    empty: str = "(empty)"
    unset: str = "-"
    fields: list[str] = field(default_factory=list)
    types: list[str] = field(default_factory=list)
    # per-column converters, derived from the lines above: emptied whenever
    # a header line changes them (``ZeekTsvReader``), rebuilt on first use
    converters: list[Any] = field(default_factory=list, repr=False, compare=False)


class ZeekTsvReader:
    """Feed it every line of one TSV log in order: header lines update the
    state (and return None), data lines return their events."""

    def __init__(self, path_hint: str = "") -> None:
        self.header = ZeekHeader(path=path_hint)

    def feed(self, raw: bytes | str, ctx: RecordContext) -> list[dict[str, Any]] | None:
        text, enc = text_of(raw)
        if text.startswith("#"):
            self._header_line(text)
            return None
        return parse_tsv_line(text, self.header, ctx, encoding=enc)

    def read(self, raw: bytes | str, ctx: RecordContext) -> list[dict[str, Any]] | None:
        """One line of a Zeek log in either encoding: a JSON record, or TSV
        (header lines update the state and return None)."""
        text, enc = text_of(raw)
        if text.lstrip().startswith("{"):
            return parse_json(text, ctx, encoding=enc)
        if text.startswith("#"):
            self._header_line(text)
            return None
        return parse_tsv_line(text, self.header, ctx, encoding=enc)

    def _header_line(self, text: str) -> None:
        h = self.header
        h.converters = []
        if text.startswith("#separator"):
            sep = text[len("#separator"):].strip()
            try:
                h.separator = sep.encode().decode("unicode_escape") if sep.startswith("\\x") \
                    else (sep or "\t")
            except UnicodeDecodeError:
                raise ParseError(f"unusable Zeek #separator {sep[:20]!r}") from None
            return
        key, _, value = text[1:].partition(h.separator)
        if key == "fields":
            h.fields = value.split(h.separator)
        elif key == "types":
            h.types = value.split(h.separator)
        elif key == "path":
            h.path = value.strip()
        elif key == "set_separator":
            h.set_separator = value
        elif key == "empty_field":
            h.empty = value
        elif key == "unset_field":
            h.unset = value


def _convert(value: str, kind: str, h: ZeekHeader) -> Any:
    if value == h.unset:
        return None
    if kind.startswith(("set[", "vector[")):
        if value == h.empty:
            return []
        inner = kind[kind.index("[") + 1:-1]
        return [_convert(v, inner, h) for v in value.split(h.set_separator)]
    if kind in ("count", "int", "port"):
        return int_or_none(value)
    if kind in ("double", "interval", "time"):
        return float_or_none(value)
    if kind == "bool":
        return value == "T"
    if value == h.empty:
        return ""
    return value


def _converters(h: ZeekHeader) -> list[Any]:
    """One converter per column from the ``#types`` line, None for text
    columns (decided once per header instead of once per value: the hot loop
    of a TSV log).  The unset marker is checked before, in ``_row``."""
    types = h.types if len(h.types) == len(h.fields) else ["string"] * len(h.fields)

    def convert(kind: str) -> Any:
        if kind.startswith(("set[", "vector[")):
            return lambda v: _convert(v, kind, h)
        if kind in ("count", "int", "port"):
            return int_or_none
        if kind in ("double", "interval", "time"):
            return float_or_none
        if kind == "bool":
            return _is_true
        return None

    return [convert(t) for t in types]


def _is_true(value: str) -> bool:
    return value == "T"


def _row(h: ZeekHeader, values: list[str]) -> dict[str, Any]:
    """Column name → typed value for one data line."""
    unset, empty = h.unset, h.empty
    rec: dict[str, Any] = {}
    for name, conv, v in zip(h.fields, h.converters, values, strict=True):
        if v == unset:
            rec[name] = None
        elif conv is None:
            rec[name] = "" if v == empty else v
        elif conv is int_or_none:  # counts and ports, inline: most columns of a log
            try:
                n: int | None = int(v)
            except ValueError:
                n = int_or_none(v)  # hexadecimal, or None
            else:
                if not _INT64_MIN <= n <= _INT64_MAX:  # type: ignore[operator]
                    n = None
            rec[name] = n
        else:
            rec[name] = conv(v)
    return rec


_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
"""``int_or_none``'s default bounds."""


def parse_tsv_line(text: str, h: ZeekHeader, ctx: RecordContext, *,
                   encoding: str = "utf-8") -> list[dict[str, Any]]:
    """One TSV data line under header ``h`` → one event."""
    if not h.fields:
        raise ParseError("Zeek TSV data line before any #fields header")
    values = text.split(h.separator)
    if len(values) != len(h.fields):
        raise ParseError(f"Zeek TSV line has {len(values)} columns, #fields declares "
                         f"{len(h.fields)}")
    if len(h.converters) != len(h.fields):
        h.converters = _converters(h)
    return [build(from_record(_row(h, values), h.path or "unknown"), ctx, text,
                  encoding=encoding)]


def from_record(rec: dict[str, Any], path: str) -> Partial:
    """ECS parts of one Zeek record (dict of field → value) from log ``path``.

    The objects every record has (observer, source, destination, network,
    zeek) are built nested (``Partial.nested``); a path's own handler adds
    to those objects and writes its other fields dotted."""
    ts = rec.get("ts")
    when: str | None = None
    if isinstance(ts, str):
        stamp: Any = ts
    else:
        # a finite float (JSON's ts) needs no call; anything else is checked
        t = ts if type(ts) is float and -1e18 < ts < 1e18 else float_or_none(ts)
        if t is None:
            raise ParseError("Zeek record without a usable ts")
        try:
            when = epoch_text(t)
        except (OverflowError, ValueError, OSError):
            raise ParseError(f"Zeek ts out of range: {t}") from None
        stamp = None
    get = rec.get
    src = endpoint(get("id.orig_h"), get("id.orig_p"))
    dst = endpoint(get("id.resp_h"), get("id.resp_p"))
    net: dict[str, Any] = {}
    zk: dict[str, Any] = {}
    uid = get("uid")
    if isinstance(uid, str):
        zk["session_id"] = uid
    cid = get("community_id")
    if isinstance(cid, str):
        net["community_id"] = cid
    proto = get("proto")
    if isinstance(proto, str):
        net["transport"] = proto.lower()
    f: dict[str, Any] = {}
    kind, category, types = "event", ["network"], ["connection"]
    handler, taken = _PATHS.get(path, _NO_HANDLER)
    if handler is not None:
        kind, category, types = handler(get, f, src, dst, net, zk)
    keys = _COLUMN_KEYS
    own: dict[str, Any] = {}
    # everything else stays under zeek.<path>.*; the set difference (in C)
    # leaves the few columns no handler reads instead of testing them all
    for k in rec.keys() - taken:
        v = rec[k]
        if v is not None:
            own[keys[k]] = v
    if own:
        zk[path] = own
    nested: dict[str, Any] = {"observer": {"vendor": "Zeek", "product": "Zeek", "type": "ids"}}
    if src:
        nested["source"] = src
    if dst:
        nested["destination"] = dst
    if net:
        nested["network"] = net
    if zk:
        nested["zeek"] = zk
    # ``related`` over the nested objects: the handlers write no host or user
    # fields, so only the two addresses count
    sip, dip = src.get("ip"), dst.get("ip")
    if sip is not None or dip is not None:
        nested["related"] = {"ip": [sip] if dip is None else [dip] if sip is None
                             else [sip] if sip == dip else [sip, dip]}
    # fields left None by the handlers stay: ``nest`` skips them
    return Partial(_dataset(path), f, kind, category, types, stamp, when, nested)


@lru_cache(maxsize=256)
def _dataset(path: str) -> str:
    return f"zeek.{path}"


class _ZeekKeys(dict[str, str]):
    """Column name → its key under ``zeek.<path>`` (dots become ``_``), made
    on first use (a dict lookup per column instead of a ``replace``)."""

    def __missing__(self, name: str) -> str:
        key = name.replace(".", "_")
        if len(self) < 4096:  # columns of odd records: bounded
            self[name] = key
        return key


_COLUMN_KEYS = _ZeekKeys()


Classified = tuple[str, list[str], list[str]]
"""``(event.kind, event.category, event.type)`` of one Zeek record."""


def _conn(get: Getter, f: dict[str, Any], src: Obj, dst: Obj, net: Obj,
        zk: Obj) -> Classified:
    svc = get("service")
    if isinstance(svc, str) and svc:
        net["protocol"] = svc.split(",")[0]
    dur = float_or_none(get("duration"))
    if dur is not None:
        f["event.duration"] = int(dur * 1e9)
    sb = get("orig_bytes")
    if type(sb) is not int or not 0 <= sb <= _INT64_MAX:
        sb = int_or_none(sb, 0)
    if sb is not None:
        src["bytes"] = sb
    db = get("resp_bytes")
    if type(db) is not int or not 0 <= db <= _INT64_MAX:
        db = int_or_none(db, 0)
    if db is not None:
        dst["bytes"] = db
    sp = get("orig_pkts")
    if type(sp) is not int or not 0 <= sp <= _INT64_MAX:
        sp = int_or_none(sp, 0)
    if sp is not None:
        src["packets"] = sp
    dp = get("resp_pkts")
    if type(dp) is not int or not 0 <= dp <= _INT64_MAX:
        dp = int_or_none(dp, 0)
    if dp is not None:
        dst["packets"] = dp
    if sb is not None or db is not None:
        net["bytes"] = (sb or 0) + (db or 0)
    if sp is not None or dp is not None:
        net["packets"] = (sp or 0) + (dp or 0)
    state, history = get("conn_state"), get("history")
    if state is not None or history is not None:
        conn = zk["connection"] = {}
        if state is not None:
            conn["state"] = state
        if history is not None:
            conn["history"] = history
    f["event.action"] = "network_flow"
    return "event", ["network"], ["connection", "end"]


def _dns(get: Getter, f: dict[str, Any], src: Obj, dst: Obj, net: Obj,
        zk: Obj) -> Classified:
    f["dns.question.name"] = get("query")
    f["dns.question.type"] = get("qtype_name")
    f["dns.question.class"] = get("qclass_name")
    f["dns.response_code"] = get("rcode_name")
    tid = get("trans_id")
    f["dns.id"] = str(tid) if tid is not None else None
    answers = get("answers")
    if isinstance(answers, list):
        ips = [i for i in (ip_or_none(a) for a in answers) if i]
        if ips:
            f["dns.resolved_ip"] = ips
    add_question_domains(f)
    net["protocol"] = "dns"
    f["event.action"] = "dns_query"
    return "event", ["network"], ["protocol"]


def _http(get: Getter, f: dict[str, Any], src: Obj, dst: Obj, net: Obj,
        zk: Obj) -> Classified:
    f["http.request.method"] = get("method")
    f["url.domain"] = get("host")
    uri = get("uri")
    if isinstance(uri, str):
        f["url.original"] = uri
        path, _, query = uri.partition("?")
        f["url.path"] = path
        f["url.query"] = query or None
    f["http.response.status_code"] = int_or_none(get("status_code"), 0, 999)
    f["user_agent.original"] = get("user_agent")
    f["http.request.referrer"] = get("referrer")
    f["http.version"] = get("version")
    f["http.request.body.bytes"] = int_or_none(get("request_body_len"), 0)
    f["http.response.body.bytes"] = int_or_none(get("response_body_len"), 0)
    net["protocol"] = "http"
    return "event", ["network", "web"], ["protocol", "access"]


def _ssl(get: Getter, f: dict[str, Any], src: Obj, dst: Obj, net: Obj,
        zk: Obj) -> Classified:
    f["tls.client.server_name"] = get("server_name")
    v = get("version")
    if isinstance(v, str):
        f["tls.version_protocol"] = "tls" if v.upper().startswith("TLS") else v.lower()
        f["tls.version"] = v[4:].replace("v", "").replace("1", "1.", 1).rstrip(".") if \
            v.upper().startswith("TLSV") else v
    f["tls.cipher"] = get("cipher")
    est = get("established")
    f["tls.established"] = est if isinstance(est, bool) else None
    f["tls.server.subject"] = get("subject")
    f["tls.server.issuer"] = get("issuer")
    f["tls.client.ja3"] = get("ja3")
    f["tls.server.ja3s"] = get("ja3s")
    net["protocol"] = "tls"
    return "event", ["network"], ["protocol"]


def _files(get: Getter, f: dict[str, Any], src: Obj, dst: Obj, net: Obj,
        zk: Obj) -> Classified:
    f["file.name"] = get("filename")
    f["file.mime_type"] = get("mime_type")
    f["file.size"] = int_or_none(get("total_bytes") or get("seen_bytes"), 0)
    for h in ("md5", "sha1", "sha256"):
        f[f"file.hash.{h}"] = get(h)
    for k, side in (("tx_hosts", src), ("rx_hosts", dst)):
        hosts = get(k)
        if isinstance(hosts, list) and hosts:
            ip = ip_or_none(hosts[0])
            if ip:
                side.setdefault("ip", ip)
    return "event", ["network", "file"], ["info"]


def _notice(get: Getter, f: dict[str, Any], src: Obj, dst: Obj, net: Obj,
        zk: Obj) -> Classified:
    f["rule.name"] = get("note")
    f["message"] = get("msg")
    f["zeek.notice.sub"] = get("sub")
    for k, side in (("src", src), ("dst", dst)):
        ip = ip_or_none(get(k))
        if ip:
            side.setdefault("ip", ip)
    p = port_or_none(get("p"))
    if p is not None:
        dst.setdefault("port", p)
    f["rule.ruleset"] = "zeek"
    return "alert", ["network", "intrusion_detection"], ["info"]


def _weird(get: Getter, f: dict[str, Any], src: Obj, dst: Obj, net: Obj,
        zk: Obj) -> Classified:
    f["rule.name"] = get("name")
    f["event.action"] = f["rule.name"]
    f["message"] = get("addl") or None
    return "event", ["network"], ["info"]


Getter = Callable[[str], Any]
Obj = dict[str, Any]
"""One nested ECS object (``source``, ``network``...) ``from_record`` builds."""
Handler = Callable[[Getter, dict[str, Any], Obj, Obj, Obj, Obj], "Classified"]
_TAKEN = ("ts", "_path", "_write_ts", "uid", "id.orig_h", "id.resp_h", "id.orig_p",
          "id.resp_p", "community_id")
"""Columns ``from_record`` maps itself (or drops): not copied under ``zeek.<path>``."""


def _taken(*names: str) -> frozenset[str]:
    return frozenset(_TAKEN + names)


_PATHS: dict[str, tuple[Handler | None, frozenset[str]]] = {
    "conn": (_conn, _taken("service", "duration", "orig_bytes", "resp_bytes", "orig_pkts",
                           "resp_pkts", "conn_state", "history")),
    "dns": (_dns, _taken("query", "qtype_name", "qclass_name", "rcode_name", "trans_id")),
    "http": (_http, _taken("method", "host", "uri", "status_code", "user_agent", "referrer",
                           "version", "request_body_len", "response_body_len")),
    "ssl": (_ssl, _taken("server_name", "version", "cipher", "established", "subject",
                         "issuer", "ja3", "ja3s")),
    "files": (_files, _taken("filename", "mime_type", "md5", "sha1", "sha256")),
    "notice": (_notice, _taken("note", "msg", "sub", "src", "dst", "p")),
    "weird": (_weird, _taken("name", "addl")),
}
"""Log path → the function mapping its columns to ECS, and every column it
reads that is then left out of ``zeek.<path>.*``."""
_NO_HANDLER: tuple[Handler | None, frozenset[str]] = (None, _taken())


def path_from_source(source: str) -> str:
    """``conn`` from ``file:/x/conn.log``, ``conn.09:00:00-10:00:00.log.gz``..."""
    m = _PATH_FROM_NAME.search(source)
    return m.group(1) if m else ""


def parse_json(text: str, ctx: RecordContext, *, encoding: str = "utf-8") -> list[dict[str, Any]]:
    try:
        rec = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise ParseError(f"invalid JSON: {str(exc)[:120]}") from None
    if not isinstance(rec, dict) or "ts" not in rec:
        raise ParseError("not a Zeek JSON record (no ts)")
    path = rec.get("_path") if isinstance(rec.get("_path"), str) else (
        ctx.extra.get("zeek_path") or path_from_source(ctx.source) or "unknown")
    if not _PATH_NAME.fullmatch(path):
        raise ParseError(f"unusable Zeek log path {path!r:.40}")
    return [build(from_record(rec, path), ctx, text, encoding=encoding)]


def parse(raw: bytes | str, ctx: RecordContext) -> list[dict[str, Any]]:
    """A Zeek JSON line, or a TSV chunk that starts with its own headers
    (``ctx.extra["zeek_header"]`` may carry a ``ZeekHeader`` for lone lines)."""
    text, enc = text_of(raw)
    if text.lstrip().startswith("{"):
        return parse_json(text, ctx, encoding=enc)
    header = ctx.extra.get("zeek_header") if ctx.extra else None
    if isinstance(header, ZeekHeader) and not text.startswith("#"):
        return parse_tsv_line(text, header, ctx, encoding=enc)
    reader = ZeekTsvReader(path_from_source(ctx.source))
    out: list[dict[str, Any]] = []
    for i, line in enumerate(text.split("\n")):
        if not line.strip():
            continue
        sub = ctx if ctx.offset is None else RecordContext(
            ctx.source, f"{ctx.offset}:{i}", ctx.peer, ctx.received, ctx.extra)  # type: ignore[arg-type]
        got = reader.feed(line, sub)
        if got:
            out.extend(got)
    if not reader.header.fields:
        raise ParseError("not Zeek: neither a JSON record nor a TSV log with #fields")
    return out
