"""What every collector component shares: where a raw record came from, and
the one error a parser raises.

Parsers are pure functions ``(raw: bytes | str, ctx: RecordContext) ->
list[dict]`` (ECS events); they raise ``ParseError`` with a human reason for
input they do not understand, and the caller turns that into a dead letter.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


class ParseError(ValueError):
    """A record a parser cannot turn into events; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True, init=False)
class RecordContext:
    """Where a record came from.

    ``source`` names the input (``file:/var/log/auth.log``, ``syslog:udp:514``);
    ``offset`` is the record's byte offset in it when there is one, so the
    event id ``canhgac.ecs.event_id(source, offset)`` is stable across
    re-reads; ``peer`` is the sending address for network inputs; ``received``
    the arrival time (used when the record has no usable time of its own, and
    to pick the year of RFC 3164 timestamps); ``extra`` carries per-input hints
    (time zone of the device, format options).
    """

    source: str
    offset: int | None = None
    peer: str | None = None
    received: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def __init__(self, source: str, offset: int | None = None, peer: str | None = None,
                 received: datetime | None = None, extra: dict[str, Any] | None = None) -> None:
        # The dataclass's own __init__ for a frozen class sets each field
        # through object.__setattr__ (half of this cost); one is made per
        # record read, so this writes the instance dict directly: same
        # fields and defaults (``extra=None`` also means an empty dict).
        d = self.__dict__
        d["source"] = source
        d["offset"] = offset
        d["peer"] = peer
        d["received"] = received
        d["extra"] = {} if extra is None else extra


Parser = Callable[[bytes | str, RecordContext], list[dict[str, Any]]]
