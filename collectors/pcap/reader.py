"""``read_pcap``: a capture file in, ECS events out.

tshark dissects (``tshark -r FILE -T fields`` with only the fields we use,
which runs ~5x faster than pyshark's JSON and ~45x faster than its XML: see
``bench/pcap.py``); Python keys the rows into flows and application records.

Errors (documented contract for the ingest command):

- a file that is not a pcap/pcapng capture: ``ParseError`` before any event;
- a capture cut short or damaged after good packets: every event from the
  packets before the damage is yielded first (open flows are closed with
  ``event.reason: truncated``), then ``ParseError`` is raised with tshark's
  reason and the last good frame number; the caller dead-letters the file with
  that reason and keeps the events it already received;
- tshark missing: ``TsharkUnavailable`` (an installation problem, not bad input).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from collectors.pcap.fields import file_command
from collectors.pcap.flows import FlowTimeouts
from collectors.pcap.processor import CaptureProcessor, CaptureStats
from collectors.pcap.tshark import TsharkRun, is_damage, tshark_path
from collectors.record import ParseError

# pcap (both byte orders, micro- and nanosecond), pcapng section header,
# gzip (tshark reads compressed captures).
_MAGICS = (b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d",
           b"\x0a\x0d\x0d\x0a", b"\x1f\x8b")


def check_capture(path: Path) -> None:
    """Raise ``ParseError`` unless ``path`` starts like a capture file."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(4)
    except OSError as exc:
        raise ParseError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if len(head) < 4 or not any(head.startswith(m) for m in _MAGICS):
        raise ParseError(f"not a pcap/pcapng capture (starts with {head[:4].hex() or 'nothing'})")


def read_pcap(path: Path, source: str, *, timeouts: FlowTimeouts | None = None,
              stats: CaptureStats | None = None) -> Iterator[dict[str, Any]]:
    """Flow, DNS, HTTP and TLS ClientHello events of a capture file, in the
    order they complete.  ``stats`` (optional) is filled with counters."""
    path = Path(path)
    check_capture(path)
    proc = CaptureProcessor(source, timeouts)
    if stats is not None:
        proc.stats = stats
    run = TsharkRun(file_command(tshark_path(), path))
    try:
        process = proc.process
        for cols in run.rows():
            events = process(cols)
            if events:
                yield from events
        rc, messages = run.finish()
        damaged = rc != 0 and is_damage(messages)
        yield from proc.finish("truncated" if damaged else "end_of_capture")
        if rc != 0:
            where = f"after frame {proc.stats.last_frame}" if proc.stats.last_frame else "at start"
            kind = "truncated or damaged capture" if damaged else "tshark failed"
            raise ParseError(f"{kind} {where}: {messages or f'exit code {rc}'}")
    finally:
        run.close()
