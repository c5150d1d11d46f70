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
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from collectors.detect import Detection, UnknownFormatError, detect, peek
from collectors.parsers import UnknownFormat, get_parser
from collectors.readers import (
    MAX_LINE,
    Problem,
    Progress,
    read_lines,
    read_records,
    whole_document,
)
from store.base import BulkResult, DocumentError, Store
from store.schema import collection, prepare_document

BATCH = 1000
FORMATS = ("auto", "syslog", "auth", "firewall", "web", "eve", "zeek", "winjson", "evtx", "pcap")



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


# Where a batch of events goes: the store's bulk write, or (``events_of``) a
# check that keeps them in memory.  Its result's errors become dead letters.
Writer = Callable[[list[dict[str, Any]]], BulkResult]


class _Sink:
    """Batches events to the store (or ``write``) and turns failures into dead
    letters."""

    def __init__(self, store: Store, summary: FileSummary, source: str,
                 batch: int = BATCH, write: Writer | None = None) -> None:
        self.store, self.summary, self.source, self.batch = store, summary, source, batch
        self.write = write or (lambda events: store.bulk("events", events, mode="create"))
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
        result = self.write(self.events)
        self.summary.events_written += result.written
        self.summary.already_present += result.existing
        for err in result.errors:
            raw, where = self.raws[err.index]
            self.dead(f"rejected by the store: {err.reason}", raw, where, self.summary.format)
        self.events, self.raws = [], []


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


def events_of(store: Store, paths: Iterable[Path | str], fmt: str = "auto", *,
              summary: IngestSummary | None = None,
              batch: int = BATCH) -> Iterator[dict[str, Any]]:
    """The events of every file under ``paths``, parsed and checked as
    ``ingest`` would store them (``store.schema.prepare_document``), without
    storing them: for a hunt that evaluates them in memory.  Unreadable parts
    and rejected events are dead letters in ``store`` as with ``ingest``;
    ``summary`` (when given) gets each file's counts (``events_written``: the
    events given out).  Ids come from each file's path and offsets, so the
    same records in two files are two events, here as in a store."""
    if fmt not in FORMATS:
        get_parser(fmt)
    coll = collection("events")
    out: list[dict[str, Any]] = []

    def keep(events: list[dict[str, Any]]) -> BulkResult:
        result = BulkResult()
        for i, doc in enumerate(events):
            doc, problems = prepare_document(coll, doc)
            if problems:
                result.errors.append(DocumentError(i, None, "; ".join(problems)))
                continue
            out.append(doc)
            result.written += 1
        return result

    for path in iter_files(Path(p) for p in paths):
        steps = _ingest_file(store, path, fmt, None, batch, keep)
        fs = next(steps)
        for _ in steps:
            yield from out
            out.clear()
        if summary is not None:
            summary.files.append(fs)


def ingest_file(store: Store, path: Path, fmt: str = "auto", *,
                progress: Progress | None = None, batch: int = BATCH) -> FileSummary:
    """Ingest one file (see ``ingest``)."""
    steps = _ingest_file(store, path, fmt, progress, batch, None)
    fs = next(steps)
    for _ in steps:
        pass
    return fs


def _ingest_file(store: Store, path: Path, fmt: str, progress: Progress | None, batch: int,
                 write: Writer | None) -> Iterator[FileSummary | None]:
    """``ingest_file`` with batches going to ``write``: yields the file's
    summary first (filled in as it goes), then None after each record and
    after the last flush, so a consumer of what ``write`` kept can take it."""
    path = path.resolve()
    source = f"file:{path}"
    head = b""
    try:
        head = peek(path)
        det = detect(path, head) if fmt == "auto" else Detection(fmt, f"given: {fmt}")
    except UnknownFormatError as exc:
        fs = FileSummary(str(path), "unknown", f"not detected: {exc.reason}")
        yield fs
        _Sink(store, fs, source).dead(f"format not detected: {exc.reason}", head, 0, "unknown")
        _progress(progress, path)
        return
    except OSError as exc:
        fs = FileSummary(str(path), "unreadable", f"unreadable: {exc}")
        yield fs
        _Sink(store, fs, source).dead(f"unreadable file: {exc}", b"", 0, "unknown")
        return
    fs = FileSummary(str(path), det.format, det.reason)
    yield fs
    sink = _Sink(store, fs, source, batch, write)
    by_line = det.format not in ("evtx", "pcap") and not (
        det.format in ("eve", "winjson") and whole_document(head))
    for item in read_records(path, det.format, source, head,
                             progress=progress if by_line else None):
        if isinstance(item, Problem):
            fs.records += item.counted
            sink.dead(item.reason, item.raw, item.where, det.format)
            continue
        fs.records += 1
        fs.legacy_decoded += item.legacy
        sink.add(item.events, item.raw, item.where)
        yield None
    if by_line:
        progress = None  # reported as it went
    sink.flush()
    yield None
    _progress(progress, path)


def _progress(progress: Progress | None, path: Path) -> None:
    if progress:
        with contextlib.suppress(OSError):
            progress(path.stat().st_size)


__all__ = ["FORMATS", "MAX_LINE", "FileSummary", "IngestSummary", "UnknownFormat", "events_of",
           "ingest", "ingest_file", "iter_files", "read_lines"]
