"""Web server access logs: nginx/Apache combined, common, and the
vhost-combined variant (``vhost:port`` first) → ECS web events.

One regex per layout; the timestamp (``10/Oct/2000:13:55:36 -0700``) is
parsed by hand because ``strptime`` is the slowest part otherwise.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache
from typing import Any

from collectors.record import ParseError, RecordContext

from ._common import Partial, build, int_or_none, port_or_none, put_address, related, text_of
from .syslog_header import MONTHS

# a quoted field with backslash escapes, written "unrolled" (runs of plain
# characters between escapes): the same strings as ``"((?:[^"\\]|\\.)*)"``
# without one regex branch per character, which was half of this parser's time
_Q = r'"([^"\\]*(?:\\.[^"\\]*)*)"'
_COMBINED = re.compile(
    r"(?:(\S+) )?(\S+) (\S+) (\S+) \[(\d{1,2})/(\w{3})/(\d{4}):(\d\d):(\d\d):(\d\d)(?:\.\d+)?"
    r" ([+-])(\d\d):?(\d\d)\] " + _Q + r" (\d{3}|-) (\d+|-)(?: " + _Q + " " + _Q + r")?(.*)$")
_REQUEST = re.compile(r"([A-Z][A-Z_\-]{0,31}) (\S+)(?: (HTTP/[\d.]+|\S+))?$")


@lru_cache(maxsize=4096)
def _access_time(day: str, mon: str, year: str, hh: str, mi: str, ss: str, sign: str, tzh: str,
                 tzm: str) -> datetime | None:
    """The UTC instant of ``10/Oct/2000:13:55:36 -0700``'s parts, or None.
    Cached: access logs have second resolution, and a busy server writes many
    lines in the same second."""
    month = MONTHS.get(mon.lower())
    if month is None:
        return None
    try:
        off = timedelta(hours=int(tzh), minutes=int(tzm)) * (1 if sign == "+" else -1)
        return datetime(int(year), month, int(day), int(hh), int(mi), int(ss),
                        tzinfo=timezone(off)).astimezone(UTC)
    except ValueError:
        return None


def match(text: str) -> Partial | None:
    m = _COMBINED.match(text)
    if not m:
        return None
    (vhost, client, _ident, user, day, mon, year, hh, mi, ss, sign, tzh, tzm, request, status,
     size, referrer, agent, _tail) = m.groups()
    ts = _access_time(day, mon, year, hh, mi, ss, sign, tzh, tzm)
    if ts is None:
        return None
    f: dict[str, Any] = {}
    put_address(f, "source", client)
    if user and user != "-":
        f["user.name"] = user
    if vhost and vhost != "-":
        host, _, port = vhost.rpartition(":") if vhost.count(":") == 1 else (vhost, "", "")
        f["url.domain"] = host or vhost
        p = port_or_none(port) if port else None
        if p is not None:
            f["url.port"] = p
        f["destination.domain"] = f["url.domain"]
    r = _REQUEST.match(request)
    if r:
        f["http.request.method"] = r.group(1)
        target = r.group(2)
        f["url.original"] = target
        path, _, query = target.partition("?")
        f["url.path"] = path
        if query:
            f["url.query"] = query
        dot = path.rfind(".")
        if dot > path.rfind("/") and 0 < len(path) - dot - 1 <= 8:
            f["url.extension"] = path[dot + 1:].lower()
        if r.group(3) and r.group(3).startswith("HTTP/"):
            f["http.version"] = r.group(3)[5:]
    elif request and request != "-":
        f["http.request.raw"] = request  # not a request line: scans and binary junk
        f["tags"] = ["invalid_request_line"]
    code = int_or_none(status, 100, 999)
    if code is not None:
        f["http.response.status_code"] = code
        f["event.outcome"] = "success" if code < 400 else "failure"
    n = int_or_none(size, 0)
    if n is not None:
        f["http.response.body.bytes"] = n
    if referrer and referrer != "-":
        f["http.request.referrer"] = referrer
    if agent and agent != "-":
        f["user_agent.original"] = agent
    related(f)
    return Partial("", f, category=["web"], type=["access"], ts=ts)


def parse(raw: bytes | str, ctx: RecordContext) -> list[dict[str, Any]]:
    """One access-log line → one web event."""
    text, enc = text_of(raw)
    p = match(text)
    if p is None:
        raise ParseError("not a combined/common/vhost_combined access-log line")
    server = ctx.extra.get("web_server") if ctx.extra else None
    if not isinstance(server, str):
        server = "nginx" if "nginx" in ctx.source.lower() else "apache"
    p.dataset = f"{server}.access"
    return [build(p, ctx, text, encoding=enc)]
