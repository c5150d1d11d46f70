"""One-shot ingestion of files and folders into the store.

``ingest(store, paths, fmt="auto")`` walks folders recursively, looks through
gzip, detects each file's format (or takes the one given), reads it record by
record with byte offsets (source ``file:<absolute path>``, so re-ingesting
the same file gives the same event ids and writes nothing new), parses,
writes batches with ``store.bulk("events", ..., mode="create")``, and sends
every ParseError, every rejected document and every unreadable part to
``store.dead_letter`` with the raw bytes, source, offset and reason.

Lines that are not UTF-8 are decoded as Windows-1258 (Vietnamese) and then
latin-1 with replacement; the event is tagged and the summary counts them.
Lines longer than ``MAX_LINE`` bytes are dead-lettered (bounded), not parsed.
"""

from __future__ import annotations

import contextlib
import gzip
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

import orjson

from collectors.detect import (
    GZIP_MAGIC,
    Detection,
    UnknownFormatError,
    detect,
    is_json_line,
    peek,
)
from collectors.parsers import UnknownFormat, get_parser, suricata, windows, zeek
from collectors.parsers._common import decode
from collectors.record import ParseError, RecordContext
from store.base import Store

MAX_LINE = 1024 * 1024
"""Longest record read as one line; longer ones become dead letters."""
MAX_ARRAY_FILE = 512 * 1024 * 1024
"""Largest JSON-array file (read whole, unlike line formats)."""
BATCH = 1000
FORMATS = ("auto", "syslog", "auth", "firewall", "web", "eve", "zeek", "winjson", "evtx", "pcap")

Progress = Callable[[int], None]


@dataclass
class FileSummary:
    """What one file gave."""

    path: str
    format: str
    detected: str
    records: int = 0
    events_written: int = 0
    already_present: int = 0
    dead_letters: int = 0
    legacy_decoded: int = 0


@dataclass
class IngestSummary:
    """Per file and per format: events written, already present, dead letters."""

    files: list[FileSummary] = field(default_factory=list)

    def by_format(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for f in self.files:
            agg = out.setdefault(f.format, {"files": 0, "records": 0, "events_written": 0,
                                            "already_present": 0, "dead_letters": 0})
            agg["files"] += 1
            agg["records"] += f.records
            agg["events_written"] += f.events_written
            agg["already_present"] += f.already_present
            agg["dead_letters"] += f.dead_letters
        return out

    @property
    def events_written(self) -> int:
        return sum(f.events_written for f in self.files)

    @property
    def already_present(self) -> int:
        return sum(f.already_present for f in self.files)

    @property
    def dead_letters(self) -> int:
        return sum(f.dead_letters for f in self.files)

    def to_dict(self) -> dict[str, Any]:
        return {
            "events_written": self.events_written, "already_present": self.already_present,
            "dead_letters": self.dead_letters, "files": [asdict(f) for f in self.files],
            "formats": self.by_format(),
        }


def iter_files(paths: Iterable[Path]) -> Iterator[Path]:
    """Every regular file under ``paths`` (folders recursively, sorted)."""
    for p in paths:
        if p.is_dir():
            for sub in sorted(p.rglob("*")):
                if sub.is_file():
                    yield sub
        elif p.is_file():
            yield p
        else:
            raise FileNotFoundError(f"no such file or folder: {p}")


class _Sink:
    """Batches events to the store and turns failures into dead letters."""

    def __init__(self, store: Store, summary: FileSummary, source: str,
                 batch: int = BATCH) -> None:
        self.store, self.summary, self.source, self.batch = store, summary, source, batch
        self.events: list[dict[str, Any]] = []
        self.raws: list[tuple[bytes | str, Any]] = []

    def add(self, events: list[dict[str, Any]], raw: bytes | str, where: Any) -> None:
        for ev in events:
            self.events.append(ev)
            self.raws.append((raw, where))
        if len(self.events) >= self.batch:
            self.flush()

    def dead(self, reason: str, raw: bytes | str, where: Any, fmt: str) -> None:
        self.store.dead_letter(self.source, reason, raw,
                               {"offset": where, "format": fmt, "path": self.summary.path})
        self.summary.dead_letters += 1

    def flush(self) -> None:
        if not self.events:
            return
        result = self.store.bulk("events", self.events, mode="create")
        self.summary.events_written += result.written
        self.summary.already_present += result.existing
        for err in result.errors:
            raw, where = self.raws[err.index]
            self.dead(f"rejected by the store: {err.reason}", raw, where, self.summary.format)
        self.events, self.raws = [], []


def _open(path: Path) -> IO[bytes]:
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


def ingest(store: Store, paths: Iterable[Path | str], fmt: str = "auto", *,
           progress: Progress | None = None, batch: int = BATCH,
           on_file: Callable[[FileSummary], None] | None = None) -> IngestSummary:
    """Ingest every file under ``paths``; returns the summary."""
    if fmt not in FORMATS:
        get_parser(fmt)  # raises UnknownFormat for names no parser has
    summary = IngestSummary()
    for path in iter_files(Path(p) for p in paths):
        fs = ingest_file(store, path, fmt, progress=progress, batch=batch)
        summary.files.append(fs)
        if on_file:
            on_file(fs)
    return summary


def ingest_file(store: Store, path: Path, fmt: str = "auto", *,
                progress: Progress | None = None, batch: int = BATCH) -> FileSummary:
    """Ingest one file (see ``ingest``)."""
    path = path.resolve()
    source = f"file:{path}"
    head = b""
    try:
        head = peek(path)
        det = detect(path, head) if fmt == "auto" else Detection(fmt, f"given: {fmt}")
    except UnknownFormatError as exc:
        fs = FileSummary(str(path), "unknown", f"not detected: {exc.reason}")
        _Sink(store, fs, source).dead(f"format not detected: {exc.reason}", head, 0, "unknown")
        _progress(progress, path)
        return fs
    except OSError as exc:
        fs = FileSummary(str(path), "unreadable", f"unreadable: {exc}")
        _Sink(store, fs, source).dead(f"unreadable file: {exc}", b"", 0, "unknown")
        return fs
    fs = FileSummary(str(path), det.format, det.reason)
    sink = _Sink(store, fs, source, batch)
    try:
        if det.format == "evtx":
            _evtx(path, source, sink)
        elif det.format == "pcap":
            _pcap(path, source, sink)
        elif det.format in ("eve", "winjson") and _whole_document(head):
            _json_array(path, source, sink,
                        suricata.parse_item if det.format == "eve" else _win_item, det.format)
        else:
            _lines(path, source, det.format, sink, progress)
            progress = None  # reported as it went
    except OSError as exc:  # unreadable mid-way (truncated gzip, I/O error)
        sink.dead(f"read error: {exc}", b"", None, det.format)
    sink.flush()
    _progress(progress, path)
    return fs


def _whole_document(head: bytes) -> bool:
    """A JSON array, or one JSON object spread over several lines."""
    body = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if body.startswith(b"["):
        return True
    return body.startswith(b"{") and not is_json_line(body.split(b"\n", 1)[0])


def _progress(progress: Progress | None, path: Path) -> None:
    if progress:
        with contextlib.suppress(OSError):
            progress(path.stat().st_size)


def _lines(path: Path, source: str, fmt: str, sink: _Sink, progress: Progress | None) -> None:
    is_zeek = fmt == "zeek"
    parser = None if is_zeek else get_parser(fmt)
    reader = zeek.ZeekTsvReader(zeek.path_from_source(source)) if is_zeek else None
    with _open(path) as fh:
        reported = 0
        for offset, line, oversized in read_lines(fh):
            if oversized:
                sink.dead(f"line longer than {MAX_LINE} bytes (cut here)", line, offset, fmt)
                continue
            if not line.strip():
                continue
            sink.summary.records += 1
            text, enc = decode(line)
            if enc != "utf-8":
                sink.summary.legacy_decoded += 1
            arg: bytes | str = text if enc == "utf-8" else line
            ctx = RecordContext(source, offset=offset)
            try:
                if reader is not None:
                    events = (zeek.parse_json(text.rstrip("\r\n"), ctx, encoding=enc)
                              if text.lstrip().startswith("{") else reader.feed(arg, ctx))
                    if events is None:  # a header line
                        sink.summary.records -= 1
                        continue
                else:
                    assert parser is not None
                    events = parser(arg, ctx)
            except ParseError as exc:
                sink.dead(exc.reason, line, offset, fmt)
                continue
            sink.add(events, line, offset)
            if progress and offset - reported >= 1 << 20:
                progress(offset - reported)
                reported = offset
        if progress:
            with contextlib.suppress(OSError):
                progress(max(path.stat().st_size - reported, 0))


def _win_item(item: Any, index: int, ctx: RecordContext) -> dict[str, Any]:
    text = orjson.dumps(item).decode()
    return windows.events_from_object(item, ctx, text, part=index)


def _json_array(path: Path, source: str, sink: _Sink,
                item_parser: Callable[[Any, int, RecordContext], dict[str, Any]],
                fmt: str) -> None:
    """A file holding one JSON array: each element is a record; a truncated
    or broken array keeps every element before the damage."""
    with _open(path) as fh:
        data = fh.read(MAX_ARRAY_FILE + 1)
    if len(data) > MAX_ARRAY_FILE:
        sink.dead(f"JSON array file larger than {MAX_ARRAY_FILE} bytes", data[:4096], 0, fmt)
        return
    text, _enc = decode(data)
    ctx = RecordContext(source)
    for index, item, err in _array_items(text):
        if err is not None:
            sink.dead(err, item if isinstance(item, str) else "", f"[{index}]", fmt)
            continue
        sink.summary.records += 1
        raw = orjson.dumps(item)
        try:
            sink.add([item_parser(item, index, ctx)], raw, f"[{index}]")
        except ParseError as exc:
            sink.dead(exc.reason, raw, f"[{index}]", fmt)


def _array_items(text: str) -> Iterator[tuple[int, Any, str | None]]:
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
    # damaged, or several concatenated documents: walk value by value, stop
    # at the first unreadable one
    dec = json.JSONDecoder()
    body = text.lstrip("\ufeff \t\r\n")
    pos = len(text) - len(body) + (1 if body.startswith("[") else 0)
    i = 0
    n = len(text)
    while pos < n:
        while pos < n and text[pos] in " \t\r\n,":
            pos += 1
        if pos >= n or text[pos] == "]":
            return
        try:
            item, end = dec.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            yield i, text[pos:pos + 65536], f"broken JSON from element {i}: {exc.msg}"
            return
        yield i, item, None
        i += 1
        pos = end


def _evtx(path: Path, source: str, sink: _Sink) -> None:
    for got in windows.read_evtx(path, source):
        if isinstance(got, windows.EvtxProblem):
            sink.dead(got.reason, got.record or "", None, "evtx")
            continue
        sink.summary.records += 1
        sink.add([got], got.get("event", {}).get("original", ""), got["winlog"].get("record_id"))


def _pcap(path: Path, source: str, sink: _Sink) -> None:
    try:
        from collectors.pcap import read_pcap  # the packet-capture room's reader
    except ImportError as exc:
        sink.dead(f"packet captures need collectors.pcap.read_pcap: {exc}",
                  path.read_bytes()[:4096], 0, "pcap")
        return
    try:
        for ev in read_pcap(path, source):
            sink.summary.records += 1
            sink.add([ev], "", None)
    except ParseError as exc:  # unreadable or truncated capture: what came before is kept
        sink.dead(exc.reason, b"", None, "pcap")
    except Exception as exc:  # another room's reader: never let it crash ingestion
        sink.dead(f"packet capture reader failed: {type(exc).__name__}: {exc}",
                  b"", None, "pcap")


__all__ = ["FORMATS", "MAX_LINE", "FileSummary", "IngestSummary", "UnknownFormat", "ingest",
           "ingest_file", "iter_files", "read_lines"]
