"""The file registry: for each file an input follows, its identity and the
byte offset up to which the store has acknowledged its records.

Identity (as Filebeat's, see STYLE.md section 6) is device + inode +
a fingerprint: the SHA-256 of the file's first ``FINGERPRINT_BYTES`` bytes
(or of all of it while it is shorter, together with that length).  Device and
inode find a file again after a rename; the fingerprint tells a reused inode
or a file rewritten in place from the one we read, so neither is skipped nor
read twice.

Offsets are committed only after the sink acknowledged the events (at-least-
once); ``flush`` writes the registry atomically (temp file, fsync, rename,
fsync of the directory).  One JSON file per input:
``<registry dir>/<input id>.json``.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, BinaryIO

FINGERPRINT_BYTES = 1024
FORMAT_VERSION = 1


class RegistryError(Exception):
    """The registry file cannot be read or written; the message names it."""


@dataclass(frozen=True)
class FileIdentity:
    """Who a file is, whatever its name today."""

    device: int
    inode: int
    fingerprint: str
    fingerprint_len: int
    origin: str = ""

    @property
    def key(self) -> str:
        """Device and inode: how the registry looks a file up."""
        return f"{self.device}:{self.inode}"

    @property
    def stable(self) -> str:
        """Text naming this file for event ids: device, inode and the
        fingerprint first seen, so it survives renames and fingerprint growth."""
        return f"{self.device}:{self.inode}:{self.origin or self.fingerprint[:16]}"

    def same_file(self, other: FileIdentity) -> bool:
        return self.stable == other.stable

    def grown(self, handle: BinaryIO) -> FileIdentity | None:
        """A longer fingerprint once a short file has grown, else None."""
        if self.fingerprint_len >= FINGERPRINT_BYTES:
            return None
        fp, n = fingerprint(handle)
        if n <= self.fingerprint_len:
            return None
        return FileIdentity(self.device, self.inode, fp, n,
                            self.origin or self.fingerprint[:16])


def fingerprint(handle: BinaryIO, length: int = FINGERPRINT_BYTES) -> tuple[str, int]:
    """SHA-256 of the first ``length`` bytes (fewer when the file is shorter)
    and how many bytes it covers; the handle's position is restored."""
    pos = handle.tell()
    try:
        handle.seek(0)
        head = handle.read(length)
    finally:
        handle.seek(pos)
    return hashlib.sha256(head).hexdigest(), len(head)


def identify(handle: BinaryIO) -> FileIdentity:
    """The identity of an open file."""
    st = os.fstat(handle.fileno())
    fp, n = fingerprint(handle)
    return FileIdentity(st.st_dev, st.st_ino, fp, n)


def same_content(handle: BinaryIO, known: FileIdentity) -> bool:
    """Whether an open file still starts with the bytes ``known`` fingerprinted."""
    pos = handle.tell()
    try:
        handle.seek(0)
        head = handle.read(known.fingerprint_len)
    finally:
        handle.seek(pos)
    return len(head) == known.fingerprint_len and \
        hashlib.sha256(head).hexdigest() == known.fingerprint


@dataclass
class FileState:
    """What the registry keeps per file."""

    identity: FileIdentity
    offset: int
    path: str
    updated: float


class FileRegistry:
    """Committed offsets of one input's files, persisted atomically.

    Thread-safe: the sink's acknowledgement thread commits while the tailer
    reads.  ``flush_interval`` 0 writes on every commit (Filebeat's
    ``registry.flush: 0s``); otherwise at most that often, and always on
    ``flush``/``close``.
    """

    def __init__(self, path: Path, *, flush_interval: float = 1.0) -> None:
        self.path = Path(path)
        self.flush_interval = flush_interval
        self._lock = threading.Lock()
        self._files: dict[str, FileState] = {}
        self._dirty = False
        self._last_flush = time.monotonic()  # the interval counts from start, not from boot
        self._load()

    # -- reading ------------------------------------------------------------------
    def _load(self) -> None:
        if not self.path.exists():
            return
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if data.get("version") != FORMAT_VERSION:
                raise RegistryError(f"registry {self.path}: unknown format version "
                                    f"{data.get('version')!r}")
            for entry in data["files"]:
                ident = FileIdentity(**entry["identity"])
                self._files[ident.key] = FileState(ident, int(entry["offset"]),
                                                   str(entry["path"]), float(entry["updated"]))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise RegistryError(f"registry {self.path} is unreadable: {exc}") from exc

    def lookup(self, handle: BinaryIO) -> tuple[FileIdentity, int | None]:
        """This open file's identity, and the committed offset when we have
        read it before (None for a new file: new inode, reused inode with other
        content, or a file rewritten in place)."""
        ident = identify(handle)
        with self._lock:
            state = self._files.get(ident.key)
        if state is None or not same_content(handle, state.identity):
            return ident, None
        return state.identity, state.offset

    def offset(self, identity: FileIdentity) -> int | None:
        with self._lock:
            state = self._files.get(identity.key)
        return None if state is None or not state.identity.same_file(identity) else state.offset

    def entries(self) -> list[FileState]:
        with self._lock:
            return list(self._files.values())

    # -- writing ------------------------------------------------------------------
    def commit(self, identity: FileIdentity, offset: int, path: str) -> None:
        """Record that everything before ``offset`` is acknowledged."""
        with self._lock:
            state = self._files.get(identity.key)
            if state is not None and state.identity.same_file(identity):
                if state.offset > offset:
                    return  # acks arrive in order; never move backwards
                if state.identity.fingerprint_len > identity.fingerprint_len:
                    identity = state.identity  # keep the longer fingerprint
            self._files[identity.key] = FileState(identity, offset, path, time.time())
            self._dirty = True
            due = time.monotonic() - self._last_flush >= self.flush_interval
        if due:
            self.flush()

    def replace(self, old: FileIdentity, new: FileIdentity) -> None:
        """A growing small file got a longer fingerprint: re-key its state."""
        with self._lock:
            state = self._files.get(old.key)
            if state is not None and state.identity.same_file(old) \
                    and new.fingerprint_len > state.identity.fingerprint_len:
                state.identity = new
                self._dirty = True

    def forget(self, keep: set[str]) -> int:
        """Drop entries whose device:inode is not in ``keep`` (files gone)."""
        with self._lock:
            gone = [k for k in self._files if k not in keep]
            for k in gone:
                del self._files[k]
            self._dirty = self._dirty or bool(gone)
        return len(gone)

    def flush_if_due(self) -> None:
        """Write pending commits once ``flush_interval`` has passed (an idle
        input's last acknowledgements do not wait for the next commit)."""
        with self._lock:
            due = self._dirty and time.monotonic() - self._last_flush >= self.flush_interval
        if due:
            self.flush()

    def flush(self) -> None:
        """Write the registry if it changed: temp file, fsync, rename, dir fsync."""
        with self._lock:
            if not self._dirty:
                return
            data = {"version": FORMAT_VERSION, "files": [
                {"identity": asdict(s.identity), "offset": s.offset, "path": s.path,
                 "updated": s.updated} for s in self._files.values()]}
            self._dirty = False
            self._last_flush = time.monotonic()
            try:
                atomic_write(self.path, json.dumps(data, ensure_ascii=False).encode("utf-8"))
            except OSError as exc:
                self._dirty = True
                raise RegistryError(f"cannot write registry {self.path}: {exc}") from exc

    def close(self) -> None:
        self.flush()


def atomic_write(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` so that a crash leaves the old or the new
    content, never a mix."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)


def fsync_dir(directory: Path) -> None:
    """Make a rename or unlink in ``directory`` durable."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def read_json(path: Path) -> Any:
    """A small JSON state file, or None when absent."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
