"""Firewall logs: FortiGate key=value, pfSense ``filterlog`` CSV, and
iptables/nftables ``kernel:`` lines → ECS network events.

Each dialect has a ``match_*`` function on the message (what follows the
syslog header); ``match`` tries them in order; ``parse`` reads a whole
line with or without a syslog header (FortiGate often logs bare
``date=... time=...`` lines to files).

The matchers build the ECS objects already nested (``Partial.nested``):
a firewall event has some thirty fixed fields, and writing them as dotted
keys for ``build`` to split again was a third of the parse.  The key=value
dialects read their pairs through ``_Templates`` (see there): a regex
``findall`` over every pair was the largest single cost of a line.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, tzinfo
from functools import lru_cache
from operator import itemgetter
from typing import Any

from collectors.record import ParseError, RecordContext

from . import syslog_header
from ._common import (
    Partial,
    build,
    device_zone,
    endpoint,
    epoch_text,
    int_or_none,
    ip_or_none,
    text_of,
    timestamp_text,
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


def _int_in(text: str, lo: int, hi: int) -> int | None:
    """``int_or_none(text, lo, hi)`` for text (which calls ``int`` first too),
    with its type dispatch skipped for what ``int`` reads: counters and ports
    are converted several times per event."""
    try:
        n = int(text)
    except ValueError:
        return int_or_none(text, lo, hi)
    return n if lo <= n <= hi else None


_MAX = 2**63 - 1
"""``int_or_none``'s upper bound."""


def _network_ends(nested: dict[str, Any], network: dict[str, Any],
                  src: dict[str, Any], dst: dict[str, Any]) -> None:
    """Put ``source``/``destination`` when not empty and derive what every
    dialect derives from them: ``network.type`` (unless set), ``network.bytes``
    (their sum, when either side counted bytes) and ``related.ip`` (source then
    destination, without repeats), as ``related`` does for dotted fields."""
    sip = src.get("ip")
    dip = dst.get("ip")
    if sip is not None and "type" not in network:
        network["type"] = "ipv6" if ":" in sip else "ipv4"
    sb, db = src.get("bytes"), dst.get("bytes")
    if sb is not None or db is not None:
        network["bytes"] = (sb or 0) + (db or 0)
    if src:
        nested["source"] = src
    if dst:
        nested["destination"] = dst
    if network:
        nested["network"] = network
    if sip is not None:
        nested["related"] = {"ip": [sip] if dip is None or dip == sip else [sip, dip]}
    elif dip is not None:
        nested["related"] = {"ip": [dip]}


# -- key=value templates -------------------------------------------------------

class _Templates:
    """Compiled regexes for the key sequences a device repeats.

    A device writes the same keys in the same order line after line (one
    sequence per log type), so once a sequence has been seen a few times it
    gets one regex, ``k1=(v1) k2="(v2)" ...``, whose ``fullmatch`` gives every
    value in one C call; ``want`` names the keys a matcher reads, and each
    template picks them from its groups (``itemgetter``; None for a key the
    line does not have).  A line no template matches takes the general
    ``findall`` path, whose result is the reference: a template is built
    only from a line that path read, and kept only if it reads that line the
    same.  Hand-written because no parsing library gives this (a compiled
    regex per observed shape) with the general path's exact semantics.

    ``hint`` is a cheap key (the FortiGate ``logid``, the number of words of
    a kernel line) that narrows the templates to try; it only has to be the
    same for lines of one sequence."""

    AFTER = 4
    """Sightings of one sequence before it gets a template (one-off shapes,
    or hostile input, never pay for a compile)."""
    MAX = 256
    """Templates kept in all; past that, new sequences use the general path."""
    PER_HINT = 8
    """Templates tried for one hint before the general path."""
    MAX_WORDS = 160
    """Longer lines get no template (bounds what a sighting keeps in memory;
    a FortiGate UTM line has some 80 pairs)."""

    def __init__(self, want: tuple[str, ...]) -> None:
        self.want = want
        self.wanted = frozenset(want)
        """Keys whose values a template captures (a group per value costs
        a string per line)."""
        self.by_hint: dict[Any, list[tuple[re.Pattern[str], Callable[[tuple[Any, ...]], Any]]]] = {}
        self.seen: dict[tuple[Any, ...], int] = {}
        self.count = 0

    def values(self, hint: Any, text: str, pos: int = 0) -> tuple[str | None, ...] | None:
        """The ``want`` values of ``text[pos:]`` by a template, or None."""
        for rx, pick in self.by_hint.get(hint, ()):
            m = rx.fullmatch(text, pos)
            if m is not None:
                return pick(m.groups() + _ABSENT)
        return None

    def learn(self, hint: Any, parts: tuple[str, ...], keys: list[str], text: str, pos: int,
              expected: tuple[str | None, ...]) -> None:
        """Count one sighting of the sequence ``parts`` (one regex piece per
        word; ``keys`` names their groups in order) read from ``text[pos:]``
        as ``expected``; compile it on its ``AFTER``-th sighting."""
        if len(parts) > self.MAX_WORDS:
            return
        sig = (hint, parts)
        seen = self.seen.get(sig, 0) + 1
        if seen < self.AFTER:
            if len(self.seen) >= 4 * self.MAX:  # full of one-off shapes: start again
                self.seen.clear()
            self.seen[sig] = seen
            return
        listed = self.by_hint.get(hint, [])
        if self.count >= self.MAX or len(listed) >= self.PER_HINT:
            self.seen[sig] = -(1 << 30)  # no room: never counted again
            return
        rx = re.compile(" ".join(parts))
        last = {k: i for i, k in enumerate(keys)}  # a repeated key: the last wins
        pick = itemgetter(*[last.get(k, len(keys)) for k in self.want])
        m = rx.fullmatch(text, pos)
        if m is None or pick(m.groups() + _ABSENT) != expected:
            # this line is one the template does not fit (a tab in a value):
            # count again, so one such line cannot deny the shape its template
            # (a retry compiles from ``re``'s own cache)
            self.seen[sig] = 0
            return
        self.seen.pop(sig, None)
        listed.append((rx, pick))
        self.by_hint[hint] = listed
        self.count += 1


_ABSENT = (None,)
"""Appended to a template's groups: the value of the keys it lacks."""


# -- FortiGate ---------------------------------------------------------------

def kv_pairs(message: str) -> dict[str, str]:
    """``k=v`` and ``k="quoted v"`` pairs (the last of a repeated key wins).
    ``dict`` takes the pairs in C; only quoted values need a second look."""
    return _unquote(_KV.findall(message), message)


def _unquote(pairs: list[tuple[str, str]], message: str) -> dict[str, str]:
    out = dict(pairs)
    if '"' in message:
        for k, v in out.items():
            if v[:1] == '"' and v[-1:] == '"' and len(v) >= 2:
                out[k] = v[1:-1].replace('\\"', '"')
    return out


_FORTI_KEYS = ("devname", "devid", "srcintf", "dstintf", "type", "subtype", "vd", "sessionid",
               "logid", "level", "policyid", "policyname", "poluuid", "service", "app", "msg",
               "hostname", "user", "srcuser", "srcip", "srcport", "dstip", "dstport", "transip",
               "proto", "sentbyte", "rcvdbyte", "sentpkt", "rcvdpkt", "duration", "action",
               "utmaction", "attack", "virus", "eventtime", "date", "time", "tz")
"""The keys ``match_fortigate`` reads, in the order it unpacks them."""

_forti_templates = _Templates(_FORTI_KEYS)
_QUOTED = '="([^"\\\\]*)"'
"""A template's quoted value: no quote or backslash inside (an escape takes
the general path), so the first quote closes it, as in ``_KV``."""
_WORD = '=([^"\\s]*)'
"""A template's bare value: up to the next space, as ``_KV``'s ``\\S*``; no
quote in it, so it is never one ``_KV`` would read as quoted."""
_QUOTED_SKIP = '="[^"\\\\]*"'
_WORD_SKIP = '=[^"\\s]*'
"""The same two for a key ``match_fortigate`` does not read: no group."""


def _forti_values(message: str) -> tuple[str | None, ...]:
    """The values of ``_FORTI_KEYS`` in ``message`` (None when absent):
    ``kv_pairs`` read through a template when one fits.  A template matches
    a line only when its words are exactly ``key=value`` or ``key="value"``
    separated by single spaces, which ``_KV`` reads as the same pairs."""
    at = message.find("logid=")
    end = message.find(" ", at)
    hint = message[at:end] if 0 <= at < end <= at + 40 else None  # bounded: kept as a key
    vals = _forti_templates.values(hint, message)
    if vals is not None:
        return vals
    pairs = _KV.findall(message)
    kv = _unquote(pairs, message)
    expected = tuple(map(kv.get, _FORTI_KEYS))
    if "\\" not in message:
        wanted = _forti_templates.wanted
        parts = tuple(
            re.escape(k) + ((_QUOTED if k in wanted else _QUOTED_SKIP)
                            if len(v) >= 2 and v[0] == '"' and v[-1] == '"'
                            else (_WORD if k in wanted else _WORD_SKIP))
            for k, v in pairs)
        keys = [k for k, _ in pairs if k in wanted]
        _forti_templates.learn(hint, parts, keys, message, 0, expected)
    return expected


def match_fortigate(message: str, ctx: RecordContext) -> Partial | None:
    if "devid=" not in message or "type=" not in message:
        return None
    (devname, devid, srcintf, dstintf, ftype, subtype, vd, sessionid, logid, level,
     policyid, policyname, poluuid, service, app, msg, hostname, user, srcuser,
     srcip, srcport, dstip, dstport, transip, proto, sentbyte, rcvdbyte, sentpkt, rcvdpkt,
     duration, action_word, utmaction, attack, virus,
     eventtime, date, time, tz) = _forti_values(message)
    if devid is None or ftype is None:
        return None
    # every text value is kept only when not empty, as the dotted fields were
    observer: dict[str, Any] = {"vendor": "Fortinet", "product": "FortiGate", "type": "firewall"}
    if devname:
        observer["name"] = devname
    if devid:
        observer["serial_number"] = devid
    if srcintf:
        observer["ingress"] = {"interface": {"name": srcintf}}
    if dstintf:
        observer["egress"] = {"interface": {"name": dstintf}}
    nested: dict[str, Any] = {"observer": observer}

    fw: dict[str, Any] = {}
    if ftype:
        fw["type"] = ftype
    if subtype:
        fw["subtype"] = subtype
    if vd:
        fw["vd"] = vd
    if sessionid:
        fw["sessionid"] = sessionid
    if action_word:
        fw["action"] = action_word
    if duration is not None:
        n = _int_in(duration, 0, _MAX)
        if n is not None:
            fw["duration"] = n
    if fw:
        nested["fortinet"] = {"firewall": fw}

    # ``event`` and ``log`` merge into objects ``build`` makes: dotted is cheaper
    action, types = _action_of(action_word or utmaction or "")
    fields: dict[str, Any] = {}
    if logid:
        fields["event.code"] = logid
    if action:
        fields["event.action"] = action
    if level:
        fields["log.level"] = level

    kind = "event"
    category = ["network"]
    if ftype == "utm" or subtype in ("ips", "anomaly", "virus"):
        category.append("intrusion_detection")
        if attack or virus:
            kind = "alert"
            policyname = attack or virus
    rule: dict[str, Any] = {}
    if policyid:
        rule["id"] = policyid
    if policyname:
        rule["name"] = policyname
    if poluuid:
        rule["uuid"] = poluuid
    if rule:
        nested["rule"] = rule

    network: dict[str, Any] = {}
    if service:
        network["protocol"] = service.lower()
    if app:
        network["application"] = app
    if proto:
        network["iana_number"] = proto
        network["transport"] = IANA.get(proto, proto)
    if msg:
        nested["message"] = msg
    if hostname:
        nested["url"] = {"domain": hostname}
    name = user or srcuser
    if name:
        nested["user"] = {"name": name}

    src = endpoint(srcip, srcport)
    dst = endpoint(dstip, dstport)
    if transip:
        ip = ip_or_none(transip)
        if ip:
            src["nat"] = {"ip": ip}
    # the counters, written out: a loop over a table costs more than it reads
    if sentbyte is not None:
        n = _int_in(sentbyte, 0, _MAX)
        if n is not None:
            src["bytes"] = n
    if rcvdbyte is not None:
        n = _int_in(rcvdbyte, 0, _MAX)
        if n is not None:
            dst["bytes"] = n
    if sentpkt is not None:
        n = _int_in(sentpkt, 0, _MAX)
        if n is not None:
            src["packets"] = n
    if rcvdpkt is not None:
        n = _int_in(rcvdpkt, 0, _MAX)
        if n is not None:
            dst["packets"] = n
    _network_ends(nested, network, src, dst)
    if name:
        related = nested.get("related")
        if related is None:
            nested["related"] = {"user": [name]}
        else:
            related["user"] = [name]
    # positional: keywords cost a tenth of the Partial
    return Partial("fortinet.firewall", fields, kind, category, list(types), None,
                   _forti_time(eventtime, date, time, tz, ctx), nested)


def _forti_time(eventtime: str | None, date: str | None, time: str | None, tz: str | None,
                ctx: RecordContext) -> str | None:
    """``@timestamp`` text from ``eventtime`` (s, ms, µs or ns since the
    epoch), else ``date`` + ``time`` in ``tz`` (else the device's zone)."""
    et = int_or_none(eventtime, 0) if eventtime is not None else None
    if et is not None:
        for scale in (1, 1_000, 1_000_000, 1_000_000_000):  # s, ms, µs, ns
            if et < 10**10 * scale:
                try:
                    return epoch_text(et / scale)
                except (OverflowError, ValueError, OSError):
                    return None
    if date and time:
        return _local_text(date, time, zone(tz) if tz else device_zone(ctx))
    return None


@lru_cache(maxsize=4096)
def _local_text(date: str, time: str, tz: tzinfo) -> str | None:
    """``date=... time=...`` as ``@timestamp`` text (in ``tz`` unless the
    text has an offset).  Cached: second resolution, many lines per second."""
    try:
        naive = datetime.fromisoformat(f"{date}T{time}")
    except ValueError:
        return None
    if naive.tzinfo is None:
        naive = naive.replace(tzinfo=tz)
    try:
        return timestamp_text(naive.astimezone(UTC))
    except OverflowError:  # year 1 or 9999 pushed out of range by the offset
        return None


# -- pfSense filterlog ---------------------------------------------------------

_DIRECTIONS = {"in": "inbound", "out": "outbound"}


def match_filterlog(message: str) -> Partial | None:
    c = message.strip().split(",")
    if len(c) < 17:
        return None
    pf: dict[str, Any]
    if c[8] == "4":
        if len(c) < 20:
            return None
        proto_id, proto, length, src_text, dst_text = c[15], c[16].lower(), c[17], c[18], c[19]
        rest = 20
        pf = {"action": c[6]}
        ip: dict[str, Any] = {}
        n = _int_in(c[11], -_MAX - 1, _MAX)
        if n is not None:
            ip["ttl"] = n
        if c[14]:
            ip["flags"] = c[14]
        network: dict[str, Any] = {"type": "ipv4"}
    elif c[8] == "6":
        proto, proto_id, length, src_text, dst_text = c[12].lower(), c[13], c[14], c[15], c[16]
        rest = 17
        pf = {"action": c[6]}
        ip = {}
        n = _int_in(c[11], -_MAX - 1, _MAX)
        if n is not None:
            ip["hop_limit"] = n
        network = {"type": "ipv6"}
    else:
        return None
    src_ip, dst_ip = ip_or_none(src_text), ip_or_none(dst_text)
    if not src_ip or not dst_ip:
        return None
    if ip:
        pf["ip"] = ip
    if c[0]:
        pf["rule_number"] = c[0]
    observer: dict[str, Any] = {"vendor": "Netgate", "product": "pfSense", "type": "firewall"}
    if c[4]:
        observer["ingress"] = {"interface": {"name": c[4]}}
    nested: dict[str, Any] = {"observer": observer, "pfsense": pf}
    if c[3]:
        nested["rule"] = {"id": c[3]}
    direction = _DIRECTIONS.get(c[7], c[7] or None)
    if direction is not None:
        network["direction"] = direction
    transport = IANA.get(proto_id, proto or None)
    if transport is not None:
        network["transport"] = transport
    if proto_id:
        network["iana_number"] = proto_id
    src: dict[str, Any] = {"ip": src_ip}
    dst: dict[str, Any] = {"ip": dst_ip}
    n = _int_in(length, 0, _MAX)
    if n is not None:
        src["bytes"] = n
    more = len(c) - rest
    if (proto == "tcp" or proto == "udp") and more >= 2:
        port = _int_in(c[rest], 0, 65535)
        if port is not None:
            src["port"] = port
        port = _int_in(c[rest + 1], 0, 65535)
        if port is not None:
            dst["port"] = port
        if proto == "tcp" and more >= 4 and c[rest + 3]:
            pf["tcp"] = {"flags": c[rest + 3]}
    elif proto.startswith("icmp") and more and c[rest]:
        pf["icmp"] = {"type": c[rest]}
    action, types = _action_of(c[6])
    fields: dict[str, Any] = {}  # ``event`` merges into build's own: dotted is cheaper
    if c[5]:
        fields["event.reason"] = c[5]
    if action:
        fields["event.action"] = action
    _network_ends(nested, network, src, dst)
    return Partial("pfsense.log", fields, "event", ["network"], list(types), None, None, nested)


# -- iptables / nftables --------------------------------------------------------

_NETFILTER = re.compile(r"(?:\[\s*\d+\.\d+\]\s*)?(.*?)\s*IN=(\S*) OUT=(\S*) ")
_NF_KV = re.compile(r"\b([A-Z]+)=(\S*)")
_TCP_FLAGS = tuple((w, f" {w} ") for w in ("SYN", "ACK", "FIN", "RST", "PSH", "URG"))
_NF_KEYS = ("PROTO", "TTL", "ID", "MAC", "SRC", "SPT", "DST", "DPT", "LEN")
"""The keys ``match_netfilter`` reads, in the order it unpacks them."""
_nf_templates = _Templates(_NF_KEYS)


def _nf_values(message: str, pos: int) -> tuple[str | None, ...]:
    """The values of ``_NF_KEYS`` in ``message[pos:]`` (the ``IN=...`` part)
    as ``_NF_KV`` reads them, through a template when one fits: single-space
    separated words, each ``KEY=value`` (an upper-case key) or a flag without
    ``=`` (``SYN``, ``DF``), in which ``_NF_KV`` finds the same pairs."""
    hint = message.count(" ", pos)
    vals = _nf_templates.values(hint, message, pos)
    if vals is not None:
        return vals
    kv = dict(_NF_KV.findall(message[pos:]))
    expected = tuple(map(kv.get, _NF_KEYS))
    parts: list[str] = []
    keys: list[str] = []
    for word in message[pos:].split(" "):
        key, eq, _ = word.partition("=")
        if not eq:
            if not word:
                return expected  # two spaces in a row: no template
            parts.append(re.escape(word))
        elif key.isascii() and key.isalpha() and key.isupper():
            if key in _nf_templates.wanted:
                parts.append(key + r"=(\S*)")
                keys.append(key)
            else:
                parts.append(key + r"=\S*")
        else:
            return expected  # a pair _NF_KV may read otherwise: no template
    _nf_templates.learn(hint, tuple(parts), keys, message, pos, expected)
    return expected


@lru_cache(maxsize=1024)
def _nf_prefix(text: str) -> tuple[str | None, str, tuple[str, ...]]:
    """The log prefix (``rule.name``) before ``IN=``, with ``event.action``
    and ``event.type`` from it: once per distinct text (a ruleset has a few)."""
    prefix = text.strip().strip(":").strip() or None
    action, types = _action_of(prefix or "")
    return prefix, action or "logged", types


def match_netfilter(message: str) -> Partial | None:
    if "IN=" not in message or "SRC=" not in message:
        return None
    m = _NETFILTER.match(message)
    if not m:
        return None
    prefix, action, types = _nf_prefix(m.group(1))
    in_if, out_if = m.group(2, 3)
    proto_text, ttl, ip_id, mac, src_text, spt, dst_text, dpt, length = _nf_values(
        message, m.start(2) - 3)
    src = endpoint(src_text, spt)
    if "ip" not in src:
        return None
    dst = endpoint(dst_text, dpt)
    if mac:
        src["mac"] = mac
    if length is not None:
        n = _int_in(length, 0, _MAX)
        if n is not None:
            src["bytes"] = n
    observer: dict[str, Any] = {"type": "firewall", "product": "netfilter"}
    if in_if:
        observer["ingress"] = {"interface": {"name": in_if}}
    if out_if:
        observer["egress"] = {"interface": {"name": out_if}}
    nested: dict[str, Any] = {"observer": observer}
    if prefix is not None:
        nested["rule"] = {"name": prefix}
    network: dict[str, Any] = {}
    proto = proto_text.lower() if proto_text else ""
    transport = IANA.get(proto, proto or None)
    if transport is not None:
        network["transport"] = transport
    if in_if and not out_if:
        network["direction"] = "inbound"
    elif out_if and not in_if:
        network["direction"] = "outbound"
    iptables: dict[str, Any] = {}
    if ttl is not None:
        n = _int_in(ttl, -_MAX - 1, _MAX)
        if n is not None:
            iptables["ttl"] = n
    if ip_id is not None:
        iptables["id"] = ip_id
    padded = message + " "
    flags = []
    for word, spaced in _TCP_FLAGS:  # a loop, not a comprehension: no call on 3.11
        if spaced in padded:
            flags.append(word)
    if flags:
        iptables["tcp"] = {"flags": flags}
    if iptables:
        nested["iptables"] = iptables

    _network_ends(nested, network, src, dst)
    return Partial("iptables.log", {"event.action": action}, "event", ["network"], list(types),
                   None, None, nested)


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


@lru_cache(maxsize=4096)
def _when(ts: datetime) -> str:
    """``@timestamp`` text of a syslog header's time (``build`` would
    format it per event; a header's instants repeat, one per second)."""
    return timestamp_text(ts)


def parse(raw: bytes | str, ctx: RecordContext) -> list[dict[str, Any]]:
    """One firewall log line (with or without a syslog header) → one event."""
    text, enc = text_of(raw)
    header = None if _bare_kv(text) else syslog_header.parse_header(text, ctx, require=False)
    if header is None:
        p = match(text, None, ctx)
        if p is None:
            raise ParseError("not a FortiGate, pfSense filterlog or iptables/nftables line")
    else:
        p = match(header.message, header.app, ctx)
        if p is None:
            raise ParseError("not a FortiGate, pfSense filterlog or iptables/nftables line")
        if p.ts is None and p.when is None and header.ts is not None:
            p.when = _when(header.ts)
        hf = header.fields()
        hf.update(p.fields)  # the matcher's fields win, as {**hf, **p.fields}
        p.fields = hf
    return [build(p, ctx, text, encoding=enc)]
