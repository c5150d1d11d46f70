"""Follow files like ``tail -F``, with a registry, as Filebeat's harvesters do
(STYLE.md section 6).

``FileTailer`` finds files by glob every ``scan_interval`` seconds and keeps
one ``Harvester`` (an open handle) per file identity.  Each complete line is
handed to ``emit(raw, ctx, ack)`` with its byte offset in ``ctx.offset``; the
``ack`` commits the offset just past the line in the ``FileRegistry`` once the
sink has acknowledged it, so a restart resumes exactly there.

- rotation by rename: the open handle keeps reading the renamed file to its
  end (older harvesters are read before newer ones), while the new file at
  the old path gets its own harvester;
- copy-truncate: a file shorter than our position was truncated: read again
  from 0 under a new identity (so the new lines get new event ids); lines
  written between the copy and the truncation are lost by that rotation
  scheme itself, as Filebeat's docs warn;
- a line longer than ``max_line_bytes`` goes to ``reject`` (a dead letter)
  with its first ``max_line_bytes`` bytes; memory stays bounded;
- files that vanish are closed after ``close_inactive`` seconds idle, their
  registry entries dropped once no glob sees them;
- a file picked up at an offset (a restart, ``start_at: end``) is announced
  to ``on_resume`` first, so formats with headers (Zeek TSV) can read them.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, BinaryIO

from collectors.health import HealthBoard
from collectors.polling import PollingInput, glob_files
from collectors.record import RecordContext
from collectors.registry import FileIdentity, FileRegistry, identify, same_content

log = logging.getLogger(__name__)
Ack = Callable[[], None]
Emit = Callable[[bytes, RecordContext, Ack], None]
Reject = Callable[[bytes, RecordContext, str, Ack], None]
Resume = Callable[[BinaryIO, str, str, int], None]
"""``(handle, path, file identity, offset)``: a file is picked up at ``offset``
> 0, not from its start (formats with headers re-read them here)."""
ROTATED_BUDGET = 1 << 62


@dataclass
class Harvester:
    """One open file being read."""

    path: str
    handle: BinaryIO
    identity: FileIdentity
    pos: int
    buffer: bytearray = field(default_factory=bytearray)
    long_head: bytes | None = None  # first bytes of an over-long line being skipped
    long_start: int = 0
    long_len: int = 0
    last_data: float = field(default_factory=time.monotonic)
    present: bool = True  # its path still names this file
    rewritten: bool = False  # its first bytes changed: truncated and written again

    @property
    def buffer_start(self) -> int:
        return self.pos - len(self.buffer)


class FileTailer(PollingInput):
    """Follows one input's globs; drive it with ``start``/``stop`` (a thread)
    or call ``poll`` yourself."""

    thread_prefix = "tail"

    def __init__(self, input_id: str, patterns: list[str], registry: FileRegistry,
                 emit: Emit, reject: Reject, *, exclude: list[str] | None = None,
                 start_at: str = "beginning", max_line_bytes: int = 64 * 1024,
                 read_chunk_bytes: int = 256 * 1024, scan_interval: float = 5.0,
                 poll_interval: float = 0.25, close_inactive: float = 300.0,
                 options: dict[str, Any] | None = None,
                 health: HealthBoard | None = None,
                 on_resume: Resume | None = None) -> None:
        super().__init__()
        self.input_id = input_id
        self.patterns = [os.path.expanduser(p) for p in patterns]
        self.exclude = exclude or []
        self.registry = registry
        self.emit = emit
        self.reject = reject
        self.start_at = start_at
        self.max_line_bytes = max_line_bytes
        self.chunk = read_chunk_bytes
        self.scan_interval = scan_interval
        self.poll_interval = poll_interval
        self.close_inactive = close_inactive
        self.options = dict(options or {})
        self.health = health or HealthBoard()
        self.on_resume = on_resume
        self.harvesters: dict[str, Harvester] = {}
        self._order: list[str] = []  # keys, oldest harvester first
        self._next_scan = 0.0
        self._first_scan = True
        self.idle_wait = poll_interval

    def closed(self) -> None:
        for h in self.harvesters.values():
            h.handle.close()
        self.harvesters.clear()
        self._order.clear()

    # -- one pass --------------------------------------------------------------------
    def poll(self) -> int:
        """Scan when due, then read what every file has; returns bytes read."""
        now = time.monotonic()
        if now >= self._next_scan:
            self.scan()
            self._next_scan = now + self.scan_interval
        total = 0
        for key in list(self._order):
            h = self.harvesters.get(key)
            if h is None:
                continue
            budget = ROTATED_BUDGET if not h.present else self.chunk * 16
            total += self._read(h, budget)
            if self._stop.is_set():
                break
        self._close_idle()
        self._report_lag()
        self.registry.flush_if_due()
        return total

    def scan(self) -> None:
        """Find files matching the globs; start harvesters for new ones."""
        seen: dict[str, str] = {}
        for path in glob_files(self.patterns, self.exclude):
            try:
                st = os.stat(path)
            except OSError:
                continue
            seen.setdefault(f"{st.st_dev}:{st.st_ino}", path)
        for key, h in self.harvesters.items():
            h.present = key in seen
            if h.present:
                h.path = seen[key]
            if not same_content(h.handle, h.identity):
                h.rewritten = True  # copy-truncate that grew past our position
        for key, path in seen.items():
            if key not in self.harvesters:
                self._open(path)
        self.registry.forget(set(seen) | set(self.harvesters))
        self._first_scan = False

    def _open(self, path: str) -> None:
        try:
            handle = open(path, "rb", buffering=0)  # noqa: SIM115 - kept open across passes
        except OSError as exc:
            self.health.error(self.input_id, f"cannot open {path}: {exc}")
            return
        size = os.fstat(handle.fileno()).st_size
        if size == 0:
            handle.close()  # nothing to fingerprint yet: wait for content
            return
        identity, offset = self.registry.lookup(handle)
        if offset is None:
            offset = size if (self.start_at == "end" and self._first_scan) else 0
            if offset:
                self.registry.commit(identity, offset, path)
        elif offset > size:  # truncated while we were not looking
            identity, offset = self._renamed_identity(handle), 0
        if offset and self.on_resume is not None:
            try:
                self.on_resume(handle, path, identity.stable, offset)
            except OSError as exc:
                self.health.error(self.input_id, f"cannot read the start of {path}: {exc}")
        handle.seek(offset)
        h = Harvester(path, handle, identity, offset)
        self.harvesters[identity.key] = h
        self._order.append(identity.key)
        log.info("input %s: following %s from offset %d", self.input_id, path, offset)

    @staticmethod
    def _renamed_identity(handle: BinaryIO) -> FileIdentity:
        """A fresh identity for content rewritten in place (new event ids even
        when the new content starts with the old first bytes)."""
        ident = identify(handle)
        return FileIdentity(ident.device, ident.inode, ident.fingerprint, ident.fingerprint_len,
                            f"{ident.fingerprint[:16]}.{time.time_ns():x}")

    def _read(self, h: Harvester, budget: int) -> int:
        try:
            size = os.fstat(h.handle.fileno()).st_size
        except OSError:
            return 0
        if size < h.pos or h.rewritten:  # copy-truncate
            log.warning("input %s: %s was truncated or rewritten (size %d, position %d), "
                        "reading it again from 0", self.input_id, h.path, size, h.pos)
            h.rewritten = False
            h.handle.seek(0)
            h.identity = self._renamed_identity(h.handle)
            h.pos, h.buffer, h.long_head = 0, bytearray(), None
        got = 0
        while got < budget and not self._stop.is_set():
            data = h.handle.read(self.chunk)
            if not data:
                break
            got += len(data)
            h.pos += len(data)
            h.last_data = time.monotonic()
            h.buffer += data
            self._lines(h)
        if got:
            grown = h.identity.grown(h.handle)
            if grown is not None:
                self.registry.replace(h.identity, grown)
                h.identity = grown
        return got

    def _lines(self, h: Harvester) -> None:
        buf = h.buffer
        start = 0
        base = h.buffer_start
        while True:
            if self._stop.is_set():  # stopping: leave the rest unread (not committed)
                del buf[:start]
                return
            nl = buf.find(b"\n", start)
            if nl < 0:
                break
            end_off = base + nl + 1
            if h.long_head is not None:
                total = h.long_len + nl - start
                self._reject_long(h, h.long_head, h.long_start, total, end_off)
                h.long_head = None
            else:
                line = bytes(buf[start:nl])
                if line.endswith(b"\r"):
                    line = line[:-1]
                if len(line) > self.max_line_bytes:
                    self._reject_long(h, line[: self.max_line_bytes], base + start, len(line),
                                      end_off)
                else:
                    self.emit(line, self._ctx(h, base + start), self._ack(h, end_off))
            start = nl + 1
        rest = len(buf) - start
        if h.long_head is not None:
            h.long_len += rest  # still inside an over-long line: drop what we read
            del buf[:]
        elif rest > self.max_line_bytes:
            h.long_head = bytes(buf[start:start + self.max_line_bytes])
            h.long_start = base + start
            h.long_len = rest
            del buf[:]
        else:
            del buf[:start]

    def _reject_long(self, h: Harvester, head: bytes, offset: int, total: int,
                     end_off: int) -> None:
        reason = (f"line of {total} bytes exceeds max_line_bytes={self.max_line_bytes}; "
                  f"first {len(head)} bytes kept")
        self.reject(head, self._ctx(h, offset), reason, self._ack(h, end_off))

    def _ctx(self, h: Harvester, offset: int) -> RecordContext:
        return RecordContext(
            source=f"file:{h.path}", offset=offset, received=datetime.now(UTC),
            extra={**self.options, "input_id": self.input_id, "file_path": h.path,
                   "file_identity": h.identity.stable})

    def _ack(self, h: Harvester, end_off: int) -> Ack:
        ident = h.identity

        def ack() -> None:
            if h.identity.same_file(ident):  # a truncation since makes this ack stale
                self.registry.commit(ident, end_off, h.path)

        return ack

    def _close_idle(self) -> None:
        now = time.monotonic()
        for key in list(self._order):
            h = self.harvesters[key]
            if h.present or now - h.last_data < self.close_inactive:
                continue
            try:
                at_end = os.fstat(h.handle.fileno()).st_size <= h.pos
            except OSError:
                at_end = True
            if not at_end:
                continue
            if h.buffer:  # the last line of a rotated file never got its newline
                line, off = bytes(h.buffer), h.buffer_start
                h.buffer.clear()
                self.emit(line, self._ctx(h, off), self._ack(h, h.pos))
            log.info("input %s: closing %s (renamed or removed, idle)", self.input_id, h.path)
            h.handle.close()
            del self.harvesters[key]
            self._order.remove(key)

    def _report_lag(self) -> None:
        lag = 0
        for h in self.harvesters.values():
            try:
                size = os.fstat(h.handle.fileno()).st_size
            except OSError:
                continue
            committed = self.registry.offset(h.identity) or 0
            lag += max(0, size - committed)
        self.health.set(self.input_id, lag_bytes=lag)
