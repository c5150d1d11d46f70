"""Helpers every parser shares: text decoding, bounded originals, typed
value checks and the one place an ECS event is assembled from parts.

A parser recognises a record and returns a ``Partial`` (dataset, kind,
categories and dotted ECS fields); ``build`` turns it into a stored-ready
event with a deterministic id.  Keeping assembly here means every format
gets the same id scheme, the same bounded ``event.original`` and the same
encoding tags.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
import re
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timezone, tzinfo
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from canhgac.ecs import ECS_VERSION, timestamp
from collectors.record import ParseError, RecordContext

MAX_ORIGINAL = 16 * 1024
"""Characters of the raw record kept in ``event.original`` (the rest is cut,
and the event tagged ``original_truncated``)."""

LEGACY_ENCODINGS = ("cp1258",)
"""Tried in order when a record is not UTF-8: Vietnamese Windows text first;
latin-1 with replacement is the last resort (it never fails)."""


@dataclass
class Partial:
    """What a format matcher recognised, before assembly into an event."""

    dataset: str
    fields: dict[str, Any] = field(default_factory=dict)
    kind: str = "event"
    category: list[str] | None = None
    type: list[str] | None = None
    ts: datetime | str | int | float | None = None
    when: str | None = None
    """``@timestamp`` already in the canonical text (``epoch_text``); wins
    over ``ts``."""
    nested: dict[str, Any] | None = None
    """Top-level ECS objects the parser built already nested (``{"source":
    {"ip": ...}}``), merged into the event after ``fields`` (these win on a
    clash): formats with many fixed fields build them this way, which saves
    writing dotted keys and splitting them again.  Holds no None values and
    no empty objects, and every object in it is new for this event (later
    stages change events in place)."""


def decode(raw: bytes | str) -> tuple[str, str]:
    """``(text, encoding)``: UTF-8 when valid, else a legacy Vietnamese code
    page, else latin-1 with replacement characters."""
    if isinstance(raw, str):
        return raw, "utf-8"
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    for enc in LEGACY_ENCODINGS:
        try:
            # Windows-1258 writes tones as combining marks: compose them (NFC)
            # so the text compares equal to what UTF-8 senders write
            return unicodedata.normalize("NFC", raw.decode(enc)), enc
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1", errors="replace"), "latin-1"


def text_of(raw: bytes | str) -> tuple[str, str]:
    """Decoded text without its line ending, refusing empty records."""
    # str input (every line a tailer gives) needs no ``decode`` call
    text, enc = (raw, "utf-8") if type(raw) is str else decode(raw)
    text = text.rstrip("\r\n")
    if not text.strip():
        raise ParseError("empty record")
    return text, enc


def bounded(text: str) -> tuple[str, bool]:
    if len(text) <= MAX_ORIGINAL:
        return text, False
    return text[:MAX_ORIGINAL], True


def record_id(ctx: RecordContext, text: str, part: int | None = None) -> str:
    """The deterministic id: source + offset (+ part index when one record
    gives several events), else source + content hash."""
    if ctx.offset is not None:
        off: int | str = ctx.offset if part is None else f"{ctx.offset}#{part}"
        return event_id(ctx.source, off)
    content = text if part is None else f"{part}#{text}"
    return event_id(ctx.source, content=content)


@lru_cache(maxsize=1024)
def _id_prefix(source: str) -> bytes:
    return source.encode("utf-8", "surrogateescape") + b"\0"


def event_id(source: str, offset: int | str | None = None, content: str | None = None) -> str:
    """``canhgac.ecs.event_id`` (the same digest of the same bytes, checked by
    the tests), hashing one buffer with the source's bytes encoded once per
    source: the three ``update`` calls there were a tenth of ``build``."""
    if offset is not None:
        data = _id_prefix(source) + b"o:" + str(offset).encode()
    else:
        assert content is not None
        data = _id_prefix(source) + b"c:" + content.encode("utf-8", "surrogateescape")
    return hashlib.sha256(data).hexdigest()[:40]


_last_now: tuple[int, str] = (-1, "")


def now() -> str:
    """``canhgac.ecs.now`` (the current instant, formatted once per
    millisecond) read from ``time.time()``, which costs a fifth of
    ``datetime.now(UTC)``: this runs for every event's ``event.ingested``."""
    global _last_now
    current = time.time()
    key = int(current * 1000)
    if key != _last_now[0]:
        _last_now = (key, timestamp_text(datetime.fromtimestamp(current, UTC)))
    return _last_now[1]


def build(p: Partial, ctx: RecordContext, text: str, *, encoding: str = "utf-8",
          part: int | None = None, original: str | None = None) -> dict[str, Any]:
    """Assemble the ECS event for ``p`` read from ``text``.

    The same document ``canhgac.ecs.new_event`` makes, built here as one dict
    literal instead of a ``put`` per ``event.*`` field: this runs once per
    event and was a fifth of every parser's time (bench/parsers.py)."""
    orig = original if original is not None else text
    cut = len(orig) > MAX_ORIGINAL  # ``bounded``, inline: this runs for every event
    if cut:
        orig = orig[:MAX_ORIGINAL]
    fields = p.fields
    tags = fields.pop("tags", None)
    if cut or encoding != "utf-8":
        tags = list(tags or [])
        if cut:
            tags.append("original_truncated")
        if encoding != "utf-8":
            tags.append(f"decoded_{encoding.replace('-', '')}")
    if tags:
        fields["tags"] = list(tags)
    # where the record was read, as the event's ``log`` object; a parser's
    # own ``log.*`` fields are written over it below (they win)
    log: dict[str, Any] | None = None
    source = ctx.source
    if source.startswith("file:"):
        log = {"file": {"path": source[5:]}}
        if type(ctx.offset) is int:
            log["offset"] = ctx.offset
    if ctx.peer:
        if log is None:
            log = {}
        log["source"] = {"address": ctx.peer}
    when = p.when
    if when is None:
        ts = p.ts if p.ts is not None else (ctx.received or datetime.now(UTC))
        try:
            when = timestamp_text(ts)
        except (ValueError, TypeError, OverflowError) as exc:
            raise ParseError(f"unusable timestamp {ts!r:.60}: {exc}") from None
    dataset = p.dataset
    module = _MODULES.get(dataset)
    if module is None:
        module = _module_of(dataset)
    meta: dict[str, Any] = {"kind": p.kind, "dataset": dataset, "module": module}
    if p.category is not None:
        meta["category"] = [p.category] if isinstance(p.category, str) else list(p.category)
    if p.type is not None:
        meta["type"] = [p.type] if isinstance(p.type, str) else list(p.type)
    meta["original"] = orig
    meta["ingested"] = now()
    offset = ctx.offset
    if part is None and type(offset) is int:  # record_id's common case, inline
        prefix = _OFFSET_PREFIXES.get(source)
        if prefix is None:
            prefix = _offset_prefix(source)
        meta["id"] = hashlib.sha256(prefix + b"%d" % offset).hexdigest()[:40]
    else:
        meta["id"] = record_id(ctx, text, part)
    ev: dict[str, Any] = {"@timestamp": when, "ecs": {"version": ECS_VERSION}, "event": meta}
    if log is not None:
        ev["log"] = log
    if fields:
        # ev has only NEW_EVENT_KEYS; ``_nest``'s common case (a compiled shape) inline
        fn = _shapes.get((True, tuple(fields))) if len(fields) <= MAX_SHAPE_FIELDS else None
        if fn is not None:
            fn(ev, tuple(fields.values()))
        else:
            _nest(ev, fields, True)
    nested = p.nested
    if nested:
        if ev.keys().isdisjoint(nested):  # the common case: objects no field made
            ev.update(nested)
            return ev
        for key, obj in nested.items():
            cur = ev.get(key)
            if cur is None:
                ev[key] = obj
            elif type(cur) is dict and type(obj) is dict:
                merge(cur, obj)
            else:
                ev[key] = obj
    return ev


_MODULES: dict[str, str] = {}
"""Dataset → its ``event.module`` (the part before the first dot)."""
_OFFSET_PREFIXES: dict[str, bytes] = {}
"""Source → the bytes ``event_id`` hashes before an offset's digits."""
MAX_SOURCES = 4096
"""Entries each of those two remembers (one per dataset or input)."""


def _module_of(dataset: str) -> str:
    module = dataset.split(".", 1)[0]
    if len(_MODULES) < MAX_SOURCES:
        _MODULES[dataset] = module
    return module


def _offset_prefix(source: str) -> bytes:
    prefix = _id_prefix(source) + b"o:"
    if len(_OFFSET_PREFIXES) < MAX_SOURCES:
        _OFFSET_PREFIXES[source] = prefix
    return prefix


def merge(into: dict[str, Any], obj: dict[str, Any]) -> None:
    """Copy nested ``obj`` into ``into``, objects merged key by key, ``obj``'s
    leaves winning."""
    for key, value in obj.items():
        cur = into.get(key)
        if type(cur) is dict and type(value) is dict:
            merge(cur, value)
        else:
            into[key] = value


def timestamp_text(ts: datetime | str | int | float) -> str:
    """``canhgac.ecs.timestamp`` with a fast path for datetimes and ISO text
    (``isoformat`` is C; the general path formats field by field)."""
    if type(ts) is str:
        m = _ISO_TEXT.fullmatch(ts)
        if m is not None:
            second = _utc_second(m.group(1), m.group(3))
            if second is not None:
                frac = m.group(2)
                return f"{second}.{frac[:3].ljust(3, '0') if frac else '000'}Z"
        try:
            ts = datetime.fromisoformat(ts)  # 3.11: "Z", "+0700", fractions
        except ValueError:
            return timestamp(ts)  # other spellings, or a clear error
    if type(ts) is datetime:
        if ts.fold:  # the repeated hour: equal to its fold=0 twin in its own zone
            return _datetime_text(ts)
        text = _DATETIME_TEXTS.get(ts)
        if text is None:
            text = _datetime_text(ts)
            if len(_DATETIME_TEXTS) >= MAX_DATETIME_TEXTS:
                _DATETIME_TEXTS.clear()
            _DATETIME_TEXTS[ts] = text
        return text
    return timestamp(ts)


_DATETIME_TEXTS: dict[datetime, str] = {}
"""Instant → its text: a syslog header's time (to the second) comes on many
lines, and converting its zone costs ten times the look-up.  Aware datetimes
of one instant are equal (and hash alike) whatever their zone, so one entry
serves them all; a naive one (UTC) never equals an aware one.  A datetime
with ``fold=1`` equals its ``fold=0`` twin of the same zone (an hour apart)
and is never looked up."""
MAX_DATETIME_TEXTS = 4096


def _datetime_text(ts: datetime) -> str:
    tz = ts.tzinfo
    if tz is not UTC and tz is not None:  # naive counts as UTC
        ts = ts.astimezone(UTC)
    # %-formatting the fields is faster than isoformat() on an aware
    # datetime (which formats and then drops the offset); same text
    return "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ" % (  # noqa: UP031 - f-string specs are slower
        ts.year, ts.month, ts.day, ts.hour, ts.minute, ts.second, ts.microsecond // 1000)


def epoch_text(t: float) -> str:
    """``timestamp_text(datetime.fromtimestamp(t, UTC))`` for epoch seconds
    (Zeek's ``ts``), the date, hour and minute formatted once per minute
    (``_epoch_minute``): the microseconds are rounded half-even as
    ``fromtimestamp`` does, so the milliseconds agree.  Raises what
    ``fromtimestamp`` raises when ``t`` is out of range."""
    frac, whole = math.modf(t)
    us = round(frac * 1e6)
    if us >= 1_000_000:
        us -= 1_000_000
        whole += 1.0
    elif us < 0:
        us += 1_000_000
        whole -= 1.0
    sec = int(whole)
    return f"{_epoch_minute(sec // 60)}{sec % 60:02d}.{us // 1000:03d}Z"


@lru_cache(maxsize=1024)
def _epoch_minute(minute: int) -> str:
    """``YYYY-MM-DDTHH:MM:`` of a minute since the epoch (UTC); a minute out
    of ``datetime``'s range raises as ``fromtimestamp`` would for any
    instant in it."""
    dt = datetime.fromtimestamp(minute * 60, UTC)
    return "%04d-%02d-%02dT%02d:%02d:" % (  # noqa: UP031 - f-string specs are slower
        dt.year, dt.month, dt.day, dt.hour, dt.minute)


_ISO_TEXT = re.compile(
    r"([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2})(?:\.([0-9]{1,6}))?"
    r"(Z|[+-][0-9]{2}:?[0-9]{2})?")
"""The usual ISO spelling (EVE, Winlogbeat): ``timestamp_text`` converts its
whole-second part once (``_utc_second``) and copies the milliseconds, which a
whole-minute offset cannot change."""


@lru_cache(maxsize=4096)
def _utc_second(second: str, offset: str | None) -> str | None:
    """``YYYY-MM-DDTHH:MM:SS`` in UTC for a local second and its offset (none:
    UTC), or None for the general path to give its answer or error.  Cached:
    events come many per second."""
    try:
        dt = datetime.fromisoformat(second + offset if offset else second)
        if dt.tzinfo is not None:
            dt = dt.astimezone(UTC)
    except (ValueError, OverflowError):
        return None
    return "%04d-%02d-%02dT%02d:%02d:%02d" % (  # noqa: UP031
        dt.year, dt.month, dt.day, dt.hour, dt.minute, dt.second)


@lru_cache(maxsize=4096)
def _parts(path: str) -> tuple[tuple[str, ...], str]:
    head, _, leaf = path.rpartition(".")
    return (tuple(head.split(".")) if head else ()), leaf


def _nest_loop(ev: dict[str, Any], fields: dict[str, Any]) -> None:
    """The general case of ``nest``: one dotted path at a time."""
    for path, value in fields.items():
        if value is None:
            continue
        heads, leaf = _parts(path)
        cur = ev
        for part in heads:
            nxt = cur.get(part)
            if type(nxt) is not dict:
                nxt = cur[part] = {}
            cur = nxt
        cur[leaf] = value


NestFn = Callable[[dict[str, Any], tuple[Any, ...]], None]

SHAPE_AFTER = 4
"""Sightings of one field set before ``nest`` compiles a builder for it (rare
shapes stay on the loop, so odd input cannot fill the cache with code)."""
MAX_SHAPES = 512
"""Compiled builders kept; past that, new shapes use the loop."""
MAX_SHAPE_FIELDS = 256
"""Longer field sets (a Windows event with a huge EventData) use the loop."""

_shapes: dict[tuple[bool, tuple[str, ...]], NestFn | None] = {}
_seen: dict[tuple[bool, tuple[str, ...]], int] = {}

NEW_EVENT_KEYS = frozenset({"@timestamp", "ecs", "event", "log"})
"""What ``build`` puts in an event before nesting its fields: a builder for
such a fresh event assigns every other top-level object outright."""


def _compile_shape(paths: tuple[str, ...], fresh: bool = False) -> NestFn | None:
    """A function writing values for ``paths`` (in order; None values are
    skipped) into an event, or None when the loop must do it (a path that is
    also another's prefix, or one under ``@timestamp``).

    Hand-written code generation (as ``dataclasses`` does for ``__init__``):
    splitting and walking dotted paths was the largest single cost of every
    parser, and a shape seen again needs neither.  The code is the loop
    unrolled: each value, when not None, is stored in its object, made on
    first use and kept in a local afterwards; an object the event may
    already have (``event``, or anything a caller passed) is looked up and
    extended as the loop would, so values and key order match ``_nest_loop``
    exactly.  Skipping None here rather than filtering the fields first
    saves a dict copy per event.  With ``fresh`` the event holds only
    ``NEW_EVENT_KEYS`` (as ``build`` makes it), so other top-level objects
    need no look-up.  Paths only ever appear as string literals (``repr``)."""
    leaves = set(paths)
    objects: dict[tuple[str, ...], int] = {}  # object path → local variable number
    for p in paths:
        heads, _ = _parts(p)
        if (heads and heads[0] == "@timestamp") or p == "@timestamp":
            return None
        for j in range(1, len(heads) + 1):
            if ".".join(heads[:j]) in leaves:
                return None
            objects.setdefault(heads[:j], len(objects))
    lines = ["def _shape(ev, vals):"]
    if paths:
        lines.append("    " + "".join(f"v{i}, " for i in range(len(paths))) + "= vals")
    if objects:
        lines.append("    " + " = ".join(f"o{n}" for n in objects.values()) + " = None")
    made: set[tuple[str, ...]] = set()  # objects some earlier value may have made

    def ensure(obj: tuple[str, ...], pad: str) -> None:
        n = objects[obj]
        parent = f"o{objects[obj[:-1]]}" if len(obj) > 1 else "ev"
        maybe = obj in made
        if maybe:
            lines.append(f"{pad}if o{n} is None:")
            pad += "    "
        if len(obj) > 1:
            ensure(obj[:-1], pad)
        key = obj[-1]
        if _may_exist(obj, fresh):
            lines.append(f"{pad}o{n} = {parent}.get({key!r})")
            lines.append(f"{pad}if type(o{n}) is not dict:")
            lines.append(f"{pad}    o{n} = {parent}[{key!r}] = {{}}")
        else:
            lines.append(f"{pad}o{n} = {parent}[{key!r}] = {{}}")

    for i, p in enumerate(paths):
        heads, leaf = _parts(p)
        lines.append(f"    if v{i} is not None:")
        if heads:
            ensure(heads, "        ")
            made.update(heads[:j] for j in range(1, len(heads) + 1))
        target = f"o{objects[heads]}" if heads else "ev"
        lines.append(f"        {target}[{leaf!r}] = v{i}")
    if not paths:
        lines.append("    pass")
    scope: dict[str, Any] = {}
    exec("\n".join(lines), {"dict": dict}, scope)  # paths only as repr() literals
    fn: NestFn = scope["_shape"]
    return fn


def _may_exist(obj: tuple[str, ...], fresh: bool) -> bool:
    """Whether object ``obj`` may be in the event before this call: any
    top-level one unless ``fresh`` (then only ``NEW_EVENT_KEYS``), and
    anything below an object that may exist."""
    if not fresh:
        return True
    return obj[0] in NEW_EVENT_KEYS


def nest(ev: dict[str, Any], fields: dict[str, Any]) -> None:
    """Write dotted ``fields`` into ``ev`` (None skipped): ``canhgac.ecs.put``
    for many fields at once (the hot loop of every parser).  A field set seen
    a few times gets a compiled builder (``_compile_shape``); others walk the
    paths one by one."""
    _nest(ev, fields, False)


def _nest(ev: dict[str, Any], fields: dict[str, Any], fresh: bool) -> None:
    """``nest``; ``fresh``: ``ev`` holds only ``NEW_EVENT_KEYS``."""
    if len(fields) > MAX_SHAPE_FIELDS:
        _nest_loop(ev, fields)
        return
    shape = (fresh, tuple(fields))
    fn = _shapes.get(shape)
    if fn is not None:
        fn(ev, tuple(fields.values()))
        return
    if shape not in _shapes:
        seen = _seen.get(shape, 0) + 1
        if seen >= SHAPE_AFTER and len(_shapes) < MAX_SHAPES:
            _seen.pop(shape, None)
            fn = _shapes[shape] = _compile_shape(shape[1], fresh)
            if fn is not None:
                fn(ev, tuple(fields.values()))
                return
        elif len(_seen) < 4 * MAX_SHAPES:
            _seen[shape] = seen
    _nest_loop(ev, fields)


# -- typed values ------------------------------------------------------------

_IPV4 = re.compile(r"(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)")


def ip_or_none(value: Any) -> str | None:
    """A canonical IP address, unwrapping IPv4-mapped IPv6; None otherwise.

    Answers are remembered per text (``_IPS``): a network's logs repeat the
    same addresses, and a dict look-up costs a twentieth of the check."""
    try:
        return _IPS[value]
    except KeyError:
        if type(value) is not str:  # a str subclass or other hashable: not cached
            return _ip_or_none(value)
    except TypeError:  # unhashable: no address
        return None
    if len(_IPS) >= MAX_CACHED_IPS:
        _IPS.clear()
    ip = _IPS[value] = _ip_or_none(value)
    return ip


MAX_CACHED_IPS = 65_536
"""Distinct address texts remembered; the cache starts over when full."""
_IPS: dict[str, str | None] = {}


def _ip_or_none(value: Any) -> str | None:
    if not isinstance(value, str) or not value or len(value) > 64:
        return None
    if _IPV4.fullmatch(value):  # the common case, without the ipaddress module
        return value
    v = value.strip("[]")
    if "%" in v:  # zone index (fe80::1%eth0)
        v = v.split("%", 1)[0]
    if ":" not in v:  # IPv4 or nothing: the regex decides as ipaddress would, without
        return v if _IPV4.fullmatch(v) else None  # the costly exception for host names
    try:
        addr = ipaddress.ip_address(v)
    except ValueError:
        return None
    if addr.version == 6 and addr.ipv4_mapped is not None:
        return str(addr.ipv4_mapped)
    return str(addr)


def int_or_none(value: Any, lo: int = -(2**63), hi: int = 2**63 - 1) -> int | None:
    """An integer within bounds from int or decimal/hex text; None otherwise."""
    kind = type(value)
    if kind is str:  # the common case first: decimal text (int() allows spaces)
        try:
            n = int(value)
        except ValueError:
            s = value.strip()
            if s[:2].lower() != "0x":
                return None
            try:
                n = int(s, 16)
            except ValueError:
                return None
    elif kind is int:
        n = value
    elif isinstance(value, bool):
        return None
    elif isinstance(value, int):
        n = value
    elif isinstance(value, float) and value.is_integer():
        n = int(value)
    elif isinstance(value, str):  # a str subclass
        return int_or_none(str(value), lo, hi)
    else:
        return None
    return n if lo <= n <= hi else None


def port_or_none(value: Any) -> int | None:
    """``int_or_none(value, 0, 65535)``, with the common cases (an int, or
    decimal text) answered without that second call."""
    kind = type(value)
    if kind is int:
        return value if 0 <= value <= 65535 else None
    if kind is str and value.isdigit() and value.isascii():
        n = int(value)
        return n if n <= 65535 else None
    return int_or_none(value, 0, 65535)


def endpoint(ip: Any, port: Any) -> dict[str, Any]:
    """A nested ``source`` or ``destination`` object from an address and a
    port as the record gives them (text or numbers; each left out when
    unusable, so the object may be empty)."""
    end: dict[str, Any] = {}
    addr = ip_or_none(ip)
    if addr:
        end["ip"] = addr
    if type(port) is not int or not 0 <= port <= 65535:  # the usual int, without a call
        port = port_or_none(port)
    if port is not None:
        end["port"] = port
    return end


def float_or_none(value: Any) -> float | None:
    kind = type(value)
    if kind is str or kind is float or kind is int:
        try:
            f = float(value)
        except (ValueError, OverflowError):
            return None
    elif isinstance(value, bool):
        return None
    elif isinstance(value, int | float):
        try:
            f = float(value)
        except OverflowError:
            return None
    elif isinstance(value, str):  # a str subclass
        return float_or_none(str(value))
    else:
        return None
    return f if f == f and f != _INF and f != -_INF else None


_INF = float("inf")


@lru_cache(maxsize=64)
def _address_keys(side: str) -> tuple[str, str, str]:
    return f"{side}.address", f"{side}.ip", f"{side}.domain"


def put_address(fields: dict[str, Any], side: str, value: Any) -> None:
    """``side.ip`` when ``value`` is an address, ``side.domain`` when it is a
    host name; ``side.address`` always (ECS keeps the raw form there)."""
    if not isinstance(value, str) or not value or value == "-":
        return
    address, ip_key, domain = _address_keys(side)
    fields[address] = value
    ip = ip_or_none(value)
    if ip:
        fields[ip_key] = ip
    else:
        fields[domain] = value


def related(fields: dict[str, Any]) -> None:
    """Fill ``related.ip`` and ``related.user`` from the usual fields (a
    single value, the common case, needs no de-duplication).  Written out
    without comprehensions: on 3.11 each one is a function call, and this
    runs for every event."""
    get = fields.get
    ips = []
    v = get("source.ip", _NO)
    if v is not _NO:
        ips.append(v)
    v = get("destination.ip", _NO)
    if v is not _NO:
        ips.append(v)
    v = get("host.ip", _NO)
    if v is not _NO:
        ips.append(v)
    if ips:
        fields["related.ip"] = ips if len(ips) == 1 else list(dict.fromkeys(ips))
    u1, u2 = get("user.name"), get("user.target.name")
    u3, u4 = get("user.effective.name"), get("source.user.name")
    if u1 or u2 or u3 or u4:
        users = [u for u in (u1, u2, u3, u4) if u]
        fields["related.user"] = users if len(users) == 1 else list(dict.fromkeys(users))


_NO = object()
"""``related``'s marker for a field that is absent (a None value counts)."""


@lru_cache(maxsize=64)
def zone(name: str | None) -> tzinfo:
    """A time zone from an IANA name or a ``+07:00`` offset; UTC when absent
    or unknown."""
    if not name:
        return UTC
    if name[0] in "+-" and len(name) in (5, 6):
        try:
            sign = 1 if name[0] == "+" else -1
            hh, mm = int(name[1:3]), int(name[-2:])
            from datetime import timedelta

            return timezone(sign * timedelta(hours=hh, minutes=mm))
        except ValueError:
            return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def device_zone(ctx: RecordContext) -> tzinfo:
    """The device's time zone from ``ctx.extra["timezone"]`` (UTC by default)."""
    tz = ctx.extra.get("timezone") if ctx.extra else None
    return zone(tz if isinstance(tz, str) else None)
