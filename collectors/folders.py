"""The folder input: whole files read once each, as they appear (packet
captures, EVTX, JSON-array exports: formats that cannot be tailed line by
line).

``FolderInput`` scans its globs every ``scan_interval`` seconds.  A file is
taken once its size and mtime have not changed for ``settle_seconds`` (so a
capture still being written is waited for), then read with the same readers
as ``canhgac ingest`` (``collectors.readers``), record by record, into the
store sink.  Each record's acknowledgement commits "records done" for the
file's identity in a ``FileRegistry`` (device + inode + fingerprint, as the
tailer's); the last one commits ``COMPLETE``.  So:

- a restart skips files already complete, and resumes a file read halfway
  after its last acknowledged record (no gap, no duplicate: readers are
  deterministic, and ids come from the file and the record's place in it);
- a renamed or moved file keeps its identity and is not read again;
- bad input (an undetectable file, a truncated capture, a corrupt EVTX
  chunk, a line no parser understands) becomes a dead letter and the file is
  still marked complete: it is not retried forever.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from collectors.detect import Detection, UnknownFormatError, detect, peek
from collectors.health import HealthBoard
from collectors.polling import PollingInput, glob_files
from collectors.readers import Problem, read_records
from collectors.registry import FileIdentity, FileRegistry
from collectors.sink import Ack, DeadLetter, StoreSink

log = logging.getLogger(__name__)

COMPLETE = 1 << 62
"""The registry "offset" of a file read to its end (offsets here count
records, and commits never move backwards, so this stays final)."""


@dataclass
class _Seen:
    """What the last scans saw of one file, to tell when it stopped growing."""

    size: int
    mtime_ns: int
    since: float
    done: bool = False


class FolderInput(PollingInput):
    """Follows one input's globs; ``start``/``stop`` run it in a thread,
    ``poll`` does one pass (tests drive it directly).  ``stop`` takes effect
    between two records; what was acknowledged stays committed."""

    thread_prefix = "folder"

    def __init__(self, input_id: str, patterns: list[str], registry: FileRegistry,
                 sink: StoreSink, *, fmt: str = "auto", exclude: list[str] | None = None,
                 settle_seconds: float = 5.0, scan_interval: float = 5.0,
                 health: HealthBoard | None = None) -> None:
        super().__init__()
        self.input_id = input_id
        self.patterns = [os.path.expanduser(p) for p in patterns]
        self.exclude = exclude or []
        self.registry = registry
        self.sink = sink
        self.fmt = fmt
        self.settle_seconds = settle_seconds
        self.scan_interval = scan_interval
        self.health = health or sink.health
        self._seen: dict[str, _Seen] = {}
        self.idle_wait = scan_interval

    # -- one pass --------------------------------------------------------------------
    def poll(self) -> int:
        """Read every file that is ready; returns how many were read to the end."""
        now = time.monotonic()
        ready: list[str] = []
        current: dict[str, _Seen] = {}
        for path in glob_files(self.patterns, self.exclude):
            try:
                st = os.stat(path)
            except OSError:
                continue
            key = f"{st.st_dev}:{st.st_ino}"
            seen = self._seen.get(key)
            if seen is None or (seen.size, seen.mtime_ns) != (st.st_size, st.st_mtime_ns):
                seen = _Seen(st.st_size, st.st_mtime_ns, now)  # new, or still growing
            current[key] = seen
            if not seen.done and st.st_size > 0 and now - seen.since >= self.settle_seconds:
                ready.append(path)
        self._seen = current
        self.registry.forget(set(current))
        done = 0
        for path in ready:
            if self._stop.is_set():
                break
            if self._read(path):
                done += 1
        self.registry.flush_if_due()
        return done

    def _read(self, path: str) -> bool:
        """Read one settled file from where its acknowledgements stopped;
        True when it was read to its end (or had been before)."""
        try:
            with open(path, "rb") as handle:
                st = os.fstat(handle.fileno())
                identity, offset = self.registry.lookup(handle)
        except OSError as exc:
            self.health.error(self.input_id, f"cannot open {path}: {exc}")
            return False
        seen = self._seen.get(f"{st.st_dev}:{st.st_ino}")
        if offset is not None and offset >= COMPLETE:
            if seen is not None:
                seen.done = True
            return True
        skip = offset or 0
        resolved = Path(path).resolve()
        source = f"file:{resolved}"
        log.info("input %s: reading %s%s", self.input_id, path,
                 f" from record {skip}" if skip else "")
        head = b""
        try:
            head = peek(resolved)
            det = (detect(resolved, head) if self.fmt == "auto"
                   else Detection(self.fmt, f"given: {self.fmt}"))
        except (UnknownFormatError, OSError) as exc:
            reason = (f"format not detected: {exc.reason}" if isinstance(exc, UnknownFormatError)
                      else f"unreadable file: {exc}")
            self._submit([], [self._dead(source, reason, head, 0, "unknown")],
                         self._ack(identity, COMPLETE, path))
            self._mark(seen)
            return True
        index = 0
        with contextlib.closing(read_records(resolved, det.format, source, head)) as items:
            for item in items:  # closing stops tshark at once if we stop halfway
                if self._stop.is_set():
                    return False  # the rest is read on the next run, after ``index``
                index += 1
                if index <= skip:
                    continue
                self.health.add(self.input_id, records_in=1)
                ack = self._ack(identity, index, path)
                if isinstance(item, Problem):
                    if item.counted:
                        self.health.add(self.input_id, parse_errors=1)
                    self._submit([], [self._dead(source, item.reason, item.raw, item.where,
                                                 det.format)], ack)
                else:
                    self._submit(item.events, [], ack)
        self._submit([], [], self._ack(identity, COMPLETE, path))
        self._mark(seen)
        log.info("input %s: %s read (%s, %d records)", self.input_id, path, det.format, index)
        return True

    @staticmethod
    def _mark(seen: _Seen | None) -> None:
        if seen is not None:
            seen.done = True

    def _submit(self, events: list[dict[str, Any]], dead: list[DeadLetter], ack: Ack) -> None:
        self.sink.submit(events, dead, ack=ack, input_id=self.input_id)

    def _dead(self, source: str, reason: str, raw: bytes | str, where: Any,
              fmt: str) -> DeadLetter:
        data = raw if isinstance(raw, bytes) else raw.encode("utf-8", "replace")
        context: dict[str, Any] = {"input_id": self.input_id, "format": fmt}
        if where is not None:
            context["offset"] = where
        return DeadLetter(source, reason, data, context)

    def _ack(self, identity: FileIdentity, records: int, path: str) -> Ack:
        def ack() -> None:
            self.registry.commit(identity, records, path)

        return ack
