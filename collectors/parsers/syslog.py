"""Syslog messages (RFC 3164 and RFC 5424) → ECS events.

The header (``syslog_header``) gives host, app, pid, msgid, facility and
severity (names and codes in ``log.syslog.*``) and structured data; the
message is then handed to the first format that recognises it (firewall,
Linux auth, Suricata EVE JSON), else the event is a generic syslog event.
RFC 3164 has no year: it comes from ``ctx.received``; the device's time
zone from ``ctx.extra["timezone"]``.
"""

from __future__ import annotations

from typing import Any

from collectors.record import ParseError, RecordContext

from . import auth, firewall, suricata, syslog_header
from ._common import Partial, build, text_of


def _json_message(message: str) -> Partial | None:
    body = message.lstrip()
    if not body.startswith("{") or '"event_type"' not in body:
        return None
    try:
        return suricata.from_object(suricata.loads(body))
    except ParseError:
        return None


def match_message(message: str, app: str | None, ctx: RecordContext) -> Partial | None:
    """The specific format in a syslog message, or None for plain syslog."""
    return (firewall.match(message, app, ctx) or auth.match(message, app)
            or _json_message(message))


def parse(raw: bytes | str, ctx: RecordContext) -> list[dict[str, Any]]:
    """One syslog message → one event."""
    text, enc = text_of(raw)
    header = syslog_header.parse_header(text, ctx)
    assert header is not None
    inner = match_message(header.message, header.app, ctx)
    if inner is None:
        inner = Partial("system.syslog", {"message": header.message})
        if header.rfc == "5424":
            inner.dataset = "syslog.rfc5424"
    else:
        inner.fields.setdefault("message", header.message)
    if inner.ts is None:
        inner.ts = header.ts
    inner.fields = {**header.fields(), **inner.fields}
    return [build(inner, ctx, text, encoding=enc)]
