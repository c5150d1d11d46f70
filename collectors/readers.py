"""Whole-file readers: one file in, its records (events, or a problem to
dead-letter) out, in file order.

Shared by ``canhgac ingest`` (one-shot, ``collectors.ingest``) and by the
long-running folder input (``collectors.folders``), so both read a file the
same way and give the same event ids (source ``file:<absolute path>``).

- line formats: one record per line with its byte offset; gzip is looked
  through; lines that are not UTF-8 are decoded as Windows-1258 then latin-1
  (``Record.legacy``); lines over ``MAX_LINE`` bytes are problems, cut;
- Zeek: TSV with its ``#`` headers (``zeek.ZeekTsvReader``) or JSON lines;
- EVE/Windows JSON arrays (or one pretty-printed document): one record per
  element; a broken array keeps every element before the damage; anything
  after the array's closing ``]`` is a problem (dead letter), never dropped;
- EVTX (``windows.read_evtx``) and packet captures (``collectors.pcap``):
  binary, read through their own readers.
"""

from __future__ import annotations

import contextlib
import gzip
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import orjson

from collectors.detect import GZIP_MAGIC, is_json_line
from collectors.parsers import get_parser, suricata, windows, zeek
from collectors.parsers._common import decode
from collectors.record import ParseError, RecordContext

MAX_LINE = 1024 * 1024
"""Longest record read as one line; longer ones become dead letters."""
MAX_ARRAY_FILE = 512 * 1024 * 1024
"""Largest JSON-array file (read whole, unlike line formats)."""

Progress = Callable[[int], None]


@dataclass
class Record:
    """One source record and the events it gave; ``where`` locates it in the
    file (byte offset, ``[index]`` of an array element, EVTX record id)."""

    events: list[dict[str, Any]]
    raw: bytes | str
    where: Any
    legacy: bool = False


@dataclass
class Problem:
    """Something to dead-letter: ``counted`` when it was a record that did not
    parse (it counts in the file's records), not when a part was unreadable."""

    reason: str
    raw: bytes | str
    where: Any
    counted: bool = False


Item = Record | Problem


def open_maybe_gzip(path: Path) -> IO[bytes]:
    with path.open("rb") as fh:
        magic = fh.read(2)
    return gzip.open(path, "rb") if magic == GZIP_MAGIC else path.open("rb")


def read_lines(fh: IO[bytes], max_line: int = MAX_LINE) -> Iterator[tuple[int, bytes, bool]]:
    """``(offset, line, oversized)`` for every line; an oversized line is cut
    to ``max_line`` bytes and the rest of it skipped."""
    offset = 0
    while True:
        line = fh.readline(max_line + 1)
        if not line:
            return
        start = offset
        offset += len(line)
        if len(line) > max_line and not line.endswith(b"\n"):
            while True:  # skip the rest of the oversized line, bounded chunks
                more = fh.readline(max_line)
                offset += len(more)
                if not more or more.endswith(b"\n"):
                    break
            yield start, line[:max_line], True
            continue
        yield start, line, False


def whole_document(head: bytes) -> bool:
    """A JSON array, or one JSON object spread over several lines."""
    body = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if body.startswith(b"["):
        return True
    return body.startswith(b"{") and not is_json_line(body.split(b"\n", 1)[0])


def read_records(path: Path, fmt: str, source: str, head: bytes = b"", *,
                 progress: Progress | None = None) -> Iterator[Item]:
    """Every record of ``path`` read as ``fmt`` (a detected or given format).

    ``OSError`` while reading (a truncated gzip, an I/O error) ends the
    iteration with a problem, after everything read before it."""
    try:
        if fmt == "evtx":
            yield from _evtx(path, source)
        elif fmt == "pcap":
            yield from _pcap(path, source)
        elif fmt in ("eve", "winjson") and whole_document(head):
            yield from _json_array(path, source, suricata.parse_item if fmt == "eve"
                                   else _win_item, fmt)
        else:
            yield from _lines(path, source, fmt, progress)
    except OSError as exc:
        yield Problem(f"read error: {exc}", b"", None)


def _lines(path: Path, source: str, fmt: str, progress: Progress | None) -> Iterator[Item]:
    reader = zeek.ZeekTsvReader(zeek.path_from_source(source)) if fmt == "zeek" else None
    parser = None if reader is not None else get_parser(fmt)
    with open_maybe_gzip(path) as fh:
        reported = 0
        for offset, line, oversized in read_lines(fh):
            if oversized:
                yield Problem(f"line longer than {MAX_LINE} bytes (cut here)", line, offset)
                continue
            if not line.strip():
                continue
            text, enc = decode(line)
            arg: bytes | str = text if enc == "utf-8" else line
            ctx = RecordContext(source, offset=offset)
            try:
                if reader is not None:
                    events = reader.read(arg, ctx)
                    if events is None:  # a header line: not a record
                        continue
                else:
                    assert parser is not None
                    events = parser(arg, ctx)
            except ParseError as exc:
                yield Problem(exc.reason, line, offset, counted=True)
                continue
            yield Record(events, line, offset, legacy=enc != "utf-8")
            if progress and offset - reported >= 1 << 20:
                progress(offset - reported)
                reported = offset
        if progress:
            with contextlib.suppress(OSError):
                progress(max(path.stat().st_size - reported, 0))


def _win_item(item: Any, index: int, ctx: RecordContext) -> dict[str, Any]:
    text = orjson.dumps(item).decode()
    return windows.events_from_object(item, ctx, text, part=index)


def _json_array(path: Path, source: str,
                item_parser: Callable[[Any, int, RecordContext], dict[str, Any]],
                fmt: str) -> Iterator[Item]:
    """A file holding one JSON array: each element is a record; a truncated
    or broken array keeps every element before the damage."""
    with open_maybe_gzip(path) as fh:
        data = fh.read(MAX_ARRAY_FILE + 1)
    if len(data) > MAX_ARRAY_FILE:
        yield Problem(f"JSON array file larger than {MAX_ARRAY_FILE} bytes", data[:4096], 0)
        return
    text, _enc = decode(data)
    ctx = RecordContext(source)
    for index, item, err in _array_items(text):
        where = f"[{index}]"
        if err is not None:
            yield Problem(err, item if isinstance(item, str) else "", where)
            continue
        raw = orjson.dumps(item)
        try:
            yield Record([item_parser(item, index, ctx)], raw, where)
        except ParseError as exc:
            yield Problem(exc.reason, raw, where, counted=True)


MAX_PROBLEM_TEXT = 65536
"""Characters of an unreadable part kept with its problem (the store bounds
dead letters again)."""


def _array_items(text: str) -> Iterator[tuple[int, Any, str | None]]:
    """``(index, element, None)`` for each element, or ``(index, text, reason)``
    for what could not be read: the damage that ends a broken array, or what
    follows the array's closing ``]`` (a second export appended, a log line)."""
    try:
        arr = orjson.loads(text)
    except orjson.JSONDecodeError:
        arr = None
    if isinstance(arr, dict):
        arr = [arr]
    if isinstance(arr, list):
        for i, item in enumerate(arr):
            yield i, item, None
        return
    # damaged, trailing data, or several concatenated documents: walk value by
    # value, stop at the first unreadable one (orjson has no incremental decoder)
    dec = json.JSONDecoder()
    body = text.lstrip("\ufeff \t\r\n")
    in_array = body.startswith("[")
    pos = len(text) - len(body) + (1 if in_array else 0)
    i = 0
    n = len(text)
    while pos < n:
        while pos < n and text[pos] in " \t\r\n,":
            pos += 1
        if pos >= n:
            return
        if text[pos] == "]" and in_array:
            rest = text[pos + 1:]
            if rest.strip(" \t\r\n"):
                start = pos + 1 + len(rest) - len(rest.lstrip(" \t\r\n"))
                yield i, text[start:start + MAX_PROBLEM_TEXT], (
                    f"trailing data after the JSON array's closing ']' (characters {start}.."
                    f"{n - 1} of the file): not read")
            return
        try:
            item, end = dec.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            yield i, text[pos:pos + MAX_PROBLEM_TEXT], f"broken JSON from element {i}: {exc.msg}"
            return
        yield i, item, None
        i += 1
        pos = end


def _evtx(path: Path, source: str) -> Iterator[Item]:
    for got in windows.read_evtx(path, source):
        if isinstance(got, windows.EvtxProblem):
            yield Problem(got.reason, got.record or "", None)
            continue
        yield Record([got], got.get("event", {}).get("original", ""),
                     got["winlog"].get("record_id"))


def _pcap(path: Path, source: str) -> Iterator[Item]:
    try:
        from collectors.pcap import read_pcap  # needs tshark at run time
    except ImportError as exc:
        yield Problem(f"packet captures need collectors.pcap.read_pcap: {exc}",
                      path.read_bytes()[:4096], 0)
        return
    try:
        for ev in read_pcap(path, source):
            yield Record([ev], "", None)
    except ParseError as exc:  # unreadable or truncated capture: what came before is kept
        yield Problem(exc.reason, b"", None)
    except Exception as exc:  # tshark missing or failing: never let it crash the caller
        yield Problem(f"packet capture reader failed: {type(exc).__name__}: {exc}", b"", None)
