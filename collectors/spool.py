"""The disk spool: an append-only, checksummed queue of batches kept while the
store is unreachable, replayed in order when it returns.

Like Vector's disk buffer (STYLE.md section 5) it is a small write-ahead log:

- segment files ``<dir>/<20-digit number>.seg``; each record is
  ``MAGIC | length (u32 BE) | CRC-32 of the payload (u32 BE) | payload``;
- ``head.json`` holds the position of the first record not yet acknowledged
  by the store; a record is consumed (and its segment deleted once passed)
  only after the caller says the store took it;
- a hard size cap: ``append`` raises ``SpoolFull`` rather than fill the disk;
- fsync policy ``always`` (an append returns once on disk), ``interval`` or
  ``never`` (survive a process crash, not a power cut);
- a record that fails its checks (torn write, bit rot) is handed out as a
  ``CorruptRecord`` holding its raw bytes, and reading resumes at the next
  record that verifies: the caller dead-letters it and goes on.

Written by hand because no maintained Python library offers a checksummed,
size-capped, segment-rotating queue with explicit acknowledgement (persist-queue
has no checksums or cap, and a SQLite table would tie the spool to the store
the spool exists to survive).
"""

from __future__ import annotations

import os
import struct
import time
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from collectors.registry import atomic_write, fsync_dir, read_json

MAGIC = b"CGS1"
HEADER = struct.Struct(">4sII")
MAX_RECORD = 256 * 1024 * 1024
SEGMENT_SUFFIX = ".seg"


class SpoolError(Exception):
    """The spool cannot be used (I/O error, bad state file)."""


class SpoolFull(SpoolError):
    """Appending would pass the spool's size cap; the store has been away too
    long for the configured ``collectors.spool.max_bytes``."""


@dataclass(frozen=True)
class SpoolRecord:
    """One intact record at ``segment``:``start``..``end``."""

    payload: bytes
    segment: int
    start: int
    end: int


@dataclass(frozen=True)
class CorruptRecord:
    """Bytes between two intact records that failed the checks."""

    raw: bytes
    reason: str
    segment: int
    start: int
    end: int


class DiskSpool:
    """One spool directory, used by one writer thread at a time."""

    def __init__(self, directory: Path, *, max_bytes: int = 1024**3,
                 segment_bytes: int = 16 * 1024**2, fsync: str = "always",
                 fsync_interval: float = 0.5) -> None:
        if fsync not in ("always", "interval", "never"):
            raise ValueError(f"fsync must be always, interval or never, got {fsync!r}")
        self.dir = Path(directory)
        self.max_bytes = max_bytes
        self.segment_bytes = segment_bytes
        self.fsync = fsync
        self.fsync_interval = fsync_interval
        self.dir.mkdir(parents=True, exist_ok=True)
        self._writer: BinaryIO | None = None
        self._writer_seg = 0
        self._last_sync = time.monotonic()
        head = read_json(self.dir / "head.json") or {}
        try:
            self._head = (int(head.get("segment", 0)), int(head.get("offset", 0)))
        except (TypeError, ValueError) as exc:
            raise SpoolError(f"spool {self.dir}: head.json is unreadable: {exc}") from exc
        for old in (s for s in self._segments() if s < self._head[0]):
            self._segment_path(old).unlink(missing_ok=True)  # consumed before a crash
        self._size = sum(self._segment_path(s).stat().st_size for s in self._segments())

    # -- layout -------------------------------------------------------------------
    def _segments(self) -> list[int]:
        out = []
        for p in self.dir.glob(f"*{SEGMENT_SUFFIX}"):
            stem = p.name[: -len(SEGMENT_SUFFIX)]
            if stem.isdigit():
                out.append(int(stem))
        return sorted(out)

    def _segment_path(self, seg: int) -> Path:
        return self.dir / f"{seg:020d}{SEGMENT_SUFFIX}"

    @property
    def size_bytes(self) -> int:
        """Bytes on disk, including consumed records of the head segment."""
        return self._size

    @property
    def pending_bytes(self) -> int:
        """Bytes not yet acknowledged by the store."""
        segs = self._segments()
        if not segs:
            return 0
        first = segs[0]
        skip = self._head[1] if self._head[0] == first else 0
        return max(0, self._size - skip)

    def empty(self) -> bool:
        return self.peek() is None

    # -- writing ------------------------------------------------------------------
    def append(self, payload: bytes) -> None:
        """Add one record; durable on return under the ``always`` policy."""
        if len(payload) > MAX_RECORD:
            raise SpoolError(f"spool record of {len(payload)} bytes exceeds {MAX_RECORD}")
        record = HEADER.pack(MAGIC, len(payload), zlib.crc32(payload)) + payload
        if self._size + len(record) > self.max_bytes:
            raise SpoolFull(f"spool {self.dir} is full: {self._size:,} of {self.max_bytes:,} "
                            f"bytes used, a batch of {len(record):,} does not fit "
                            f"(raise collectors.spool.max_bytes or bring the store back)")
        fh = self._writable(len(record))
        try:
            fh.write(record)
            fh.flush()
            self._size += len(record)
            now = time.monotonic()
            if self.fsync == "always" or (self.fsync == "interval"
                                          and now - self._last_sync >= self.fsync_interval):
                os.fsync(fh.fileno())
                self._last_sync = now
        except OSError as exc:
            raise SpoolError(f"cannot write spool {self.dir}: {exc}") from exc

    def _writable(self, need: int) -> BinaryIO:
        if self._writer is not None and self._writer.tell() + need > self.segment_bytes \
                and self._writer.tell() > 0:
            self._close_writer()
        if self._writer is None:
            # Always a fresh segment per process: never append after a torn tail.
            segs = self._segments()
            self._writer_seg = max([*segs, self._head[0]]) + 1
            try:
                self._writer = open(self._segment_path(self._writer_seg), "xb")  # noqa: SIM115
                fsync_dir(self.dir)
            except OSError as exc:
                raise SpoolError(f"cannot create a spool segment in {self.dir}: {exc}") from exc
        return self._writer

    def _close_writer(self) -> None:
        if self._writer is not None:
            self._writer.flush()
            if self.fsync != "never":
                os.fsync(self._writer.fileno())
            self._writer.close()
            self._writer = None

    def sync(self) -> None:
        """Force everything appended so far to disk."""
        if self._writer is not None:
            self._writer.flush()
            os.fsync(self._writer.fileno())

    def close(self) -> None:
        self._close_writer()

    # -- reading ------------------------------------------------------------------
    def peek(self) -> SpoolRecord | CorruptRecord | None:
        """The oldest record not yet consumed, or None when all are."""
        while True:
            segs = [s for s in self._segments() if s >= self._head[0]]
            if not segs:
                return None
            seg = segs[0]
            start = self._head[1] if seg == self._head[0] else 0
            path = self._segment_path(seg)
            try:
                with open(path, "rb") as fh:
                    fh.seek(start)
                    head = fh.read(HEADER.size)
                    if len(head) == HEADER.size:
                        magic, length, _ = HEADER.unpack(head)
                        if magic == MAGIC and length <= MAX_RECORD:
                            head += fh.read(length)  # the common case: one record
                            if _check(head, 0) is None:
                                return SpoolRecord(head[HEADER.size:], seg, start, start + len(head))
                    data = head + fh.read()  # damaged: look at the rest to resync
            except FileNotFoundError:
                continue
            except OSError as exc:
                raise SpoolError(f"cannot read spool segment {path}: {exc}") from exc
            if not data:
                if seg == self._writer_seg and self._writer is not None:
                    return None  # caught up with the writer
                if len(segs) == 1 and self._writer is None and seg == self._head[0]:
                    return None  # an empty tail segment from an earlier run; keep it
                self._advance_past(seg)
                continue
            return _decode(data, seg, start)

    def consume(self, record: SpoolRecord | CorruptRecord) -> None:
        """Mark ``record`` done (the store took it, or it was dead-lettered)."""
        self._head = (record.segment, record.end)
        atomic_write(self.dir / "head.json",
                     f'{{"segment": {record.segment}, "offset": {record.end}}}'.encode())

    def _advance_past(self, seg: int) -> None:
        nxt = seg + 1
        self._head = (nxt, 0)
        atomic_write(self.dir / "head.json", f'{{"segment": {nxt}, "offset": 0}}'.encode())
        path = self._segment_path(seg)
        try:
            size = path.stat().st_size
            path.unlink()
            self._size -= size
            fsync_dir(self.dir)
        except FileNotFoundError:
            pass


def _decode(data: bytes, seg: int, start: int) -> SpoolRecord | CorruptRecord:
    """The record at the start of ``data`` (the rest of a segment from ``start``)."""
    reason = _check(data, 0)
    if reason is None:
        length = HEADER.unpack_from(data, 0)[1]
        end = HEADER.size + length
        return SpoolRecord(data[HEADER.size:end], seg, start, start + end)
    # Resynchronise: the next MAGIC that starts a record passing every check.
    pos = data.find(MAGIC, 1)
    while pos != -1 and _check(data, pos) is not None:
        pos = data.find(MAGIC, pos + 1)
    stop = len(data) if pos == -1 else pos
    return CorruptRecord(data[:stop], reason, seg, start, start + stop)


def _check(data: bytes, pos: int) -> str | None:
    """Why the record at ``pos`` is bad, or None when it is intact."""
    if len(data) - pos < HEADER.size:
        return f"truncated record header ({len(data) - pos} bytes)"
    magic, length, crc = HEADER.unpack_from(data, pos)
    if magic != MAGIC:
        return "bad record marker"
    if length > len(data) - pos - HEADER.size:
        return f"truncated record: {length} bytes announced, {len(data) - pos - HEADER.size} left"
    if zlib.crc32(data[pos + HEADER.size: pos + HEADER.size + length]) != crc:
        return "CRC-32 mismatch"
    return None
