"""Syslog headers: RFC 5424, RFC 3164 (BSD) and the header-less variants
found in files (``auth.log`` lines without PRI, journal exports without a
timestamp).

Written by hand: the Python syslog libraries either parse one RFC only or
raise on the variants real devices send; what we need is a tolerant split
into header fields and message, with year and time-zone inference.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from functools import lru_cache
from typing import Any

from collectors.record import ParseError, RecordContext

from ._common import device_zone, int_or_none, ip_or_none

FACILITIES = ("kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp",
              "cron", "authpriv", "ftp", "ntp", "security", "console", "solaris-cron",
              "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7")
SEVERITIES = ("emergency", "alert", "critical", "error", "warning", "notice",
              "informational", "debug")
MONTHS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}

_PRI = re.compile(r"<(\d{1,3})>")
_5424 = re.compile(
    r"(\d{1,2}) (\S+) (\S+) (\S+) (\S+) (\S+) ?(.*)", re.S)
_BSD_TS = re.compile(
    r"([A-Za-z]{3}) +(\d{1,2}) (?:(\d{4}) )?(\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?(?: (\d{4}))? +")
_ISO_TS = re.compile(
    r"(\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:Z|[+-]\d\d:?\d\d)?) +")
_TAG = re.compile(r"([^\s:\[\]]{1,128})(?:\[([^\]\s]{0,32})\])?: ?")
_BRACKET_TAG = re.compile(r"\[([\w\-]{1,64})\]:? ")
_HOST = re.compile(r"([A-Za-z0-9_.:\-]{1,255}) ")
_COMMON_3164 = re.compile(
    r"(?:<(\d{1,3})>)?([A-Za-z]{3}) +(\d{1,2}) (\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))? +"
    r"([A-Za-z0-9_.\-]{1,255}) ([^\s:\[\]]{1,128})(?:\[([^\]\s]{0,32})\])?: ?")
"""The usual BSD line, ``<PRI>Mmm dd hh:mm:ss host app[pid]: ``, in one match
(``parse_header``'s fast path).  The host has no ``:``, so it can be neither
a tag nor an IPv6 address, and the general path would read the same parts."""


@dataclass
class SyslogHeader:
    """The parts of one syslog line; ``message`` is what follows the header."""

    message: str
    ts: datetime | None = None
    hostname: str | None = None
    app: str | None = None
    pid: str | None = None
    msgid: str | None = None
    pri: int | None = None
    version: int | None = None
    structured: dict[str, dict[str, str]] = field(default_factory=dict)
    rfc: str = "3164"

    def fields(self) -> dict[str, Any]:
        """ECS fields of the header (``log.syslog.*``, ``host.*``, ``process.*``)."""
        f = dict(_source_fields(self.pri, self.hostname, self.app))
        pid = self.pid
        if pid:
            f["log.syslog.procid"] = pid
            n = _pid(pid)
            if n is not None:
                f["process.pid"] = n
        if self.msgid:
            f["log.syslog.msgid"] = self.msgid
        if self.version is not None:
            f["log.syslog.version"] = str(self.version)
        if self.structured:
            f["log.syslog.structured_data"] = self.structured
        return f


@lru_cache(maxsize=1024)
def _source_fields(pri: int | None, hostname: str | None, app: str | None) -> dict[str, Any]:
    """The fields of PRI, host and app, computed once per combination (a
    device repeats them line after line; the pid changes too often to be part
    of the key).  Callers copy the dict."""
    f: dict[str, Any] = {}
    if pri is not None:
        fac, sev = divmod(pri, 8)
        f["log.syslog.priority"] = pri
        f["log.syslog.facility.code"] = fac
        f["log.syslog.severity.code"] = sev
        if fac < len(FACILITIES):
            f["log.syslog.facility.name"] = FACILITIES[fac]
        f["log.syslog.severity.name"] = SEVERITIES[sev]
        f["log.level"] = SEVERITIES[sev]
    if hostname:
        f["log.syslog.hostname"] = hostname
        f["host.hostname"] = hostname
        f["host.name"] = hostname
        ip = ip_or_none(hostname)
        if ip:
            f["host.ip"] = ip
    if app:
        f["log.syslog.appname"] = app
        f["process.name"] = app
    return f


def _pid(text: str) -> int | None:
    try:  # the usual decimal pid without int_or_none's type dispatch
        n = int(text)
    except ValueError:
        return int_or_none(text, 0, 2**31)
    return n if 0 <= n <= 2**31 else None


def parse_header(text: str, ctx: RecordContext, *, require: bool = True) -> SyslogHeader | None:
    """Split ``text`` into header and message.  With ``require`` False a line
    without any recognisable header gives None instead of ParseError."""
    fast = _common_3164(text, ctx)
    if fast is not None:
        return fast
    pri = None
    rest = text
    m = _PRI.match(text)
    if m:
        pri = int(m.group(1))
        if pri > 191:
            raise ParseError(f"syslog PRI {pri} is out of range 0..191")
        rest = text[m.end():]
        if (rest[:1].isdigit() and rest[1:2] == " ") or (rest[:2].isdigit() and rest[2:3] == " "):
            h = _parse_5424(rest, pri, ctx)
            if h is not None:
                return h
    h = _parse_3164(rest, pri, ctx)
    if h is not None:
        return h
    if pri is not None:  # PRI then free text (FortiGate and many appliances)
        return SyslogHeader(message=rest, pri=pri, rfc="3164")
    if require:
        raise ParseError("no syslog header (PRI, timestamp or program tag)")
    return None


def _common_3164(text: str, ctx: RecordContext) -> SyslogHeader | None:
    """The header of the most common line shape with one regex instead of the
    five tries of the general path, or None to take that path.  Lines where
    the general path could read the parts differently fall through: a host of
    four digits (a year there), an unknown month, an impossible date."""
    m = _COMMON_3164.match(text)
    if m is None:
        return None
    pri_text, mon, day, hh, mi, ss, frac, host, app, pid = m.groups()
    if len(host) == 4 and host.isdigit():
        return None
    pri = None
    if pri_text is not None:
        pri = int(pri_text)
        if pri > 191:
            return None
    ts = _bsd_time_of(mon, day, None, hh, mi, ss, frac, None, ctx)
    if ts is None:
        return None
    return SyslogHeader(message=text[m.end():], ts=ts, hostname=host, app=app, pid=pid,
                        pri=pri)


def _parse_5424(rest: str, pri: int, ctx: RecordContext) -> SyslogHeader | None:
    m = _5424.match(rest)
    if not m:
        return None
    version, ts_text, host, app, procid, msgid, tail = m.groups()
    ts = None
    if ts_text != "-":
        ts = _iso(ts_text, device_zone(ctx))
        if ts is None:
            return None
    sd, msg = _structured_data(tail)
    if msg.startswith("\ufeff"):
        msg = msg[1:]
    nil = lambda v: None if v == "-" else v  # noqa: E731
    return SyslogHeader(message=msg, ts=ts, hostname=nil(host), app=nil(app), pid=nil(procid),
                        msgid=nil(msgid), pri=pri, version=int(version), structured=sd,
                        rfc="5424")


def _structured_data(tail: str) -> tuple[dict[str, dict[str, str]], str]:
    """Parse ``[id k="v" ...]...`` at the start of ``tail``; return it and the message."""
    if tail.startswith("-"):
        return {}, tail[2:] if tail[1:2] == " " else tail[1:]
    sd: dict[str, dict[str, str]] = {}
    i, n = 0, len(tail)
    while i < n and tail[i] == "[":
        j = i + 1
        while j < n and tail[j] not in " ]":
            j += 1
        sdid = tail[i + 1:j]
        params: dict[str, str] = {}
        while j < n and tail[j] == " ":
            j += 1
            eq = tail.find("=", j)
            if eq < 0 or eq + 1 >= n or tail[eq + 1] != '"':
                raise ParseError("malformed RFC 5424 structured data")
            name = tail[j:eq]
            k = eq + 2
            buf = []
            while k < n and tail[k] != '"':
                if tail[k] == "\\" and k + 1 < n:
                    k += 1
                buf.append(tail[k])
                k += 1
            if k >= n:
                raise ParseError("unterminated RFC 5424 structured data value")
            params[name] = "".join(buf)
            j = k + 1
        if j >= n or tail[j] != "]":
            raise ParseError("unterminated RFC 5424 structured data element")
        sd[sdid or "_"] = params
        i = j + 1
    if not sd:
        return {}, tail  # no SD: tolerate senders that omit the NILVALUE
    return sd, tail[i + 1:] if tail[i:i + 1] == " " else tail[i:]


def _parse_3164(rest: str, pri: int | None, ctx: RecordContext) -> SyslogHeader | None:
    ts = None
    m = _BSD_TS.match(rest)
    if m:
        ts = _bsd_time(m, ctx)
        rest = rest[m.end():]
    else:
        mi = _ISO_TS.match(rest)
        if mi:
            ts = _iso(mi.group(1), device_zone(ctx))
            rest = rest[mi.end():]
    host = None
    tag = _TAG.match(rest)
    if ts is not None or pri is not None:
        # a host name precedes the tag unless the tag comes first
        if not (tag and tag.end() <= len(rest) and _looks_like_tag(rest, tag)):
            hm = _HOST.match(rest)
            if hm:
                host = hm.group(1)
                rest = rest[hm.end():]
                tag = _TAG.match(rest)
    else:
        # header-less file line: "host prog[pid]: msg" or "prog[pid]: msg"
        hm = _HOST.match(rest)
        if hm and not _looks_like_tag(rest, tag):
            t2 = _TAG.match(rest, hm.end())
            if t2 and "[" in t2.group(0):
                host, tag, rest = hm.group(1), _TAG.match(rest[hm.end():]), rest[hm.end():]
            else:
                return None
        elif not (tag and "[" in tag.group(0)):
            return None
    app = pid = None
    if tag is None and ts is not None:
        bt = _BRACKET_TAG.match(rest)  # "[sshd]: ..." (no host, bracketed tag)
        if bt:
            app, rest = bt.group(1), rest[bt.end():]
    if tag:
        app, pid = tag.group(1), tag.group(2)
        rest = rest[tag.end():]
    elif ts is None and pri is None:
        return None
    return SyslogHeader(message=rest, ts=ts, hostname=host, app=app, pid=pid, pri=pri)


def _looks_like_tag(rest: str, tag: re.Match[str] | None) -> bool:
    """``prog[pid]:`` or ``prog:`` straight after the time (no host)."""
    return bool(tag) and (tag.group(2) is not None or rest[tag.end(1):tag.end(1) + 1] == ":")


def _bsd_time(m: re.Match[str], ctx: RecordContext) -> datetime | None:
    g = m.group
    return _bsd_time_of(g(1), g(2), g(3), g(4), g(5), g(6), g(7), g(8), ctx)


def _bsd_time_of(mon_text: str, day: str, year1: str | None, hh: str, mi: str, ss: str,
                 frac: str | None, year2: str | None, ctx: RecordContext) -> datetime | None:
    """The UTC instant of a BSD timestamp's parts, for the device's zone."""
    tz = device_zone(ctx)
    year_text = year1 or year2
    if year_text:
        return _bsd_instant(mon_text, day, hh, mi, ss, frac, tz, int(year_text), None)
    received = ctx.received
    if received is None:
        ref_year, ref_month = _current_month(tz, int(time.time()))
    else:
        ref = received.astimezone(tz)
        ref_year, ref_month = ref.year, ref.month
    return _bsd_instant(mon_text, day, hh, mi, ss, frac, tz, None, (ref_year, ref_month))


@lru_cache(maxsize=16)
def _current_month(tz: tzinfo, second: int) -> tuple[int, int]:
    """Year and month now in ``tz``; ``second`` (the clock's) is only the key
    that makes the cache expire."""
    ref = datetime.now(UTC).astimezone(tz)
    return ref.year, ref.month


@lru_cache(maxsize=4096)
def _bsd_instant(mon_text: str, day_text: str, hh: str, mi: str, ss: str, frac: str | None,
                 tz: tzinfo, year: int | None, ref: tuple[int, int] | None
                 ) -> datetime | None:
    """Cached: syslog timestamps have second resolution and a busy device
    writes many lines per second, so the same text comes back again and
    again.  ``year`` is the written year, else ``ref`` (the received year
    and month) infers it."""
    mon = MONTHS.get(mon_text.lower())
    if mon is None:
        return None
    day, h, mn, sec = int(day_text), int(hh), int(mi), int(ss)
    micro = int(frac.ljust(6, "0")) if frac else 0
    if year is None:
        # RFC 3164 has no year: take the received year, or the previous one
        # when that would put the message more than a month in the future.
        assert ref is not None
        year, ref_month = ref
        if mon > ref_month + 1 or (mon == 12 and ref_month == 1):
            year -= 1
    try:
        return datetime(year, mon, day, h, mn, sec, micro, tzinfo=tz).astimezone(UTC)
    except ValueError:
        if mon == 2 and day == 29:  # a leap day seen in a non-leap inferred year
            try:
                return datetime(year - 1, mon, day, h, mn, sec, micro, tzinfo=tz).astimezone(UTC)
            except ValueError:
                return None
        return None


def _iso(text: str, tz: tzinfo) -> datetime | None:
    t = text.replace(" ", "T", 1)
    if t.endswith(("Z", "z")):
        t = t[:-1] + "+00:00"
    if "." in t:  # Python takes at most 6 fractional digits
        head, _, frac = t.partition(".")
        digits = len(frac) - len(frac.lstrip("0123456789"))
        t = head + "." + frac[:min(digits, 6)].ljust(6, "0") + frac[digits:]
    try:
        dt = datetime.fromisoformat(t)
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=tz)
    try:
        return dt.astimezone(UTC)
    except (OverflowError, ValueError):
        return None
