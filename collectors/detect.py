"""Format auto-detection from a file's name and its first bytes and lines.

``detect(path)`` → ``Detection(format, reason)``, e.g. ``("zeek", "detected
zeek-tsv: #fields header")``.  Binary magics first (EVTX, pcap, pcapng,
gzip is looked through), then the first non-empty lines are tried against
each text format, strictest first.
"""

from __future__ import annotations

import gzip
import json
import re
from dataclasses import dataclass
from pathlib import Path

import orjson

from collectors.parsers import firewall, web
from collectors.parsers.syslog_header import parse_header
from collectors.record import ParseError, RecordContext

PEEK_BYTES = 64 * 1024
PEEK_LINES = 20

EVTX_MAGIC = b"ElfFile\x00"
PCAP_MAGICS = (b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
PCAPNG_MAGIC = b"\x0a\x0d\x0d\x0a"
GZIP_MAGIC = b"\x1f\x8b"

_AUTH_APPS = re.compile(r"\b(sshd|sshd-session|sudo|su|login|passwd|dropbear)(\[\d+\])?:|pam_unix")
_FILTERLOG = re.compile(r"filterlog(\[\d+\])?: ")
_KERNEL_FW = re.compile(r"IN=\S* OUT=\S* .*SRC=")


@dataclass(frozen=True)
class Detection:
    """A detected format and why we think so."""

    format: str
    reason: str

    def __str__(self) -> str:
        return self.reason


class UnknownFormatError(ValueError):
    """Nothing recognisable in the file; ``reason`` says what was seen."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


def peek(path: Path) -> bytes:
    """The first bytes of a file, decompressed when it is gzip."""
    with path.open("rb") as fh:
        head = fh.read(PEEK_BYTES)
    if head.startswith(GZIP_MAGIC):
        try:
            with gzip.open(path, "rb") as gz:
                return gz.read(PEEK_BYTES)
        except (OSError, EOFError):
            return head
    return head


def detect(path: Path, head: bytes | None = None) -> Detection:
    """The format of ``path``; UnknownFormatError when no format fits."""
    head = peek(path) if head is None else head
    name = path.name.lower()
    if head.startswith(EVTX_MAGIC):
        return Detection("evtx", "detected evtx: ElfFile magic")
    if head[:4] in PCAP_MAGICS:
        return Detection("pcap", "detected pcap: libpcap magic")
    if head.startswith(PCAPNG_MAGIC):
        return Detection("pcap", "detected pcap: pcapng section header")
    if not head.strip():
        raise UnknownFormatError("empty file")
    return detect_text(head, name)


def detect_text(head: bytes, name: str = "") -> Detection:
    text = head.decode("utf-8", errors="replace")
    stripped = text.lstrip("\ufeff \t\r\n")
    if stripped.startswith("#separator") or "\n#fields\t" in text[:4096]:
        return Detection("zeek", "detected zeek-tsv: #separator/#fields header")
    lines = [ln for ln in stripped.splitlines()[:PEEK_LINES] if ln.strip()]
    if len(text) >= PEEK_BYTES and len(lines) > 1:
        lines = lines[:-1]  # the last line may be cut by the peek
    if stripped.startswith("["):
        return _json_array(stripped)
    if stripped.startswith("{"):
        return _json_lines(lines, name, stripped)
    ctx = RecordContext("detect")
    votes: dict[str, int] = {}
    for line in lines:
        fmt = _line_format(line, ctx)
        if fmt:
            votes[fmt] = votes.get(fmt, 0) + 1
    if not votes:
        raise UnknownFormatError(f"no known format in the first {len(lines)} lines")
    fmt, n = max(votes.items(), key=lambda kv: kv[1])
    why = {"web": "combined/common access-log line", "auth": "syslog lines of sshd/sudo/su/PAM",
           "firewall": "firewall lines (FortiGate kv, filterlog or iptables)",
           "syslog": "syslog header"}[fmt]
    return Detection(fmt, f"detected {fmt}: {why} ({n}/{len(lines)} lines)")


def _line_format(line: str, ctx: RecordContext) -> str | None:
    if web.match(line) is not None:
        return "web"
    if "devid=" in line and "type=" in line and "logid=" in line:
        return "firewall"
    if _FILTERLOG.search(line) or _KERNEL_FW.search(line):
        return "firewall"
    try:
        header = parse_header(line, ctx, require=False)
    except ParseError:
        return None
    if header is None:
        return None
    if _AUTH_APPS.search(line):
        return "auth"
    if firewall.match(header.message, header.app, ctx) is not None:
        return "firewall"
    return "syslog"


def _json_lines(lines: list[str], name: str, text: str) -> Detection:
    for line in lines[:5]:
        try:
            obj = orjson.loads(line)
        except orjson.JSONDecodeError:
            continue
        got = _json_kind(obj, name)
        if got:
            return got
    if not is_json_line(lines[0] if lines else ""):  # one pretty-printed JSON document
        try:
            obj, _end = json.JSONDecoder().raw_decode(text)
        except json.JSONDecodeError:
            obj = None
        got = _json_kind(obj, name)
        if got:
            return Detection(got.format, got.reason + " (one JSON document)")
    raise UnknownFormatError("JSON lines of no known kind (not EVE, Zeek or Windows)")


def is_json_line(line: str | bytes) -> bool:
    """True when one line holds a whole JSON value (NDJSON)."""
    try:
        orjson.loads(line)
    except orjson.JSONDecodeError:
        return False
    return True


def _json_array(text: str) -> Detection:
    try:
        obj = orjson.loads(text)
    except orjson.JSONDecodeError:
        # a big array cut by the peek: read its first element only
        start = len(text) - len(text[1:].lstrip())
        try:
            first, _end = json.JSONDecoder().raw_decode(text, start)
        except json.JSONDecodeError:
            raise UnknownFormatError("a JSON array whose first element is unreadable") from None
        obj = [first]
    if not isinstance(obj, list) or not obj:
        raise UnknownFormatError("an empty or non-array JSON document")
    got = _json_kind(obj[0], "")
    if got is None:
        raise UnknownFormatError("a JSON array of no known kind")
    return Detection(got.format, got.reason + " (JSON array)")


def _json_kind(obj: object, name: str) -> Detection | None:
    if not isinstance(obj, dict):
        return None
    if "event_type" in obj and "timestamp" in obj:
        return Detection("eve", f"detected eve: Suricata EVE keys (event_type={obj['event_type']})")
    if "Event" in obj and isinstance(obj["Event"], dict) and "System" in obj["Event"]:
        return Detection("winjson", "detected winjson: evtx JSON rendering (Event.System)")
    if isinstance(obj.get("winlog"), dict):
        return Detection("winjson", "detected winjson: Winlogbeat winlog.* fields")
    if "EventID" in obj and ("Channel" in obj or "SourceName" in obj):
        return Detection("winjson", "detected winjson: NXLog EventID/Channel fields")
    if "ts" in obj and ("uid" in obj or "_path" in obj or "id.orig_h" in obj or "fuid" in obj):
        return Detection("zeek", "detected zeek-json: ts/uid/id.orig_h keys")
    return None
