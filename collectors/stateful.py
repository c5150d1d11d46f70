"""Tailed formats whose lines depend on earlier lines of the same file.

Zeek TSV logs declare their columns in ``#fields``/``#types`` header lines
at the top of each file; a data line means nothing without them.
``ZeekFileParser`` is the tailer's parser for ``format: zeek``: it keeps one
``zeek.ZeekTsvReader`` (the same reader ``canhgac ingest`` uses) per file
identity, so rotated files each keep their own header, and its ``resume``
hook re-reads the header lines at the top of a file whenever the tailer picks
a file up in the middle (after a restart, or ``start_at: end``).  JSON-encoded
Zeek logs need no state and go through the same reader.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from typing import Any, BinaryIO

from collectors.parsers import zeek
from collectors.record import RecordContext

HEADER_BYTES = 64 * 1024
"""How much of a file's start is read for its header on resume."""


class ZeekFileParser:
    """A ``Parser`` for tailed Zeek logs (TSV with headers, or JSON lines)."""

    def __init__(self, max_files: int = 4096) -> None:
        self.max_files = max_files
        self._readers: OrderedDict[str, zeek.ZeekTsvReader] = OrderedDict()

    def __call__(self, raw: bytes | str, ctx: RecordContext) -> list[dict[str, Any]]:
        """Events of one line; a header line updates the file's state and gives none."""
        got = self._reader(_key(ctx), ctx.source).read(raw, ctx)
        return [] if got is None else got

    def resume(self, handle: BinaryIO, path: str, identity: str, offset: int) -> None:
        """The tailer starts ``path`` at ``offset`` > 0: read the ``#`` lines
        at its top (without moving the handle) into this file's reader."""
        data = os.pread(handle.fileno(), min(offset, HEADER_BYTES), 0)
        source = f"file:{path}"
        reader = self._readers[identity] = zeek.ZeekTsvReader(zeek.path_from_source(source))
        self._readers.move_to_end(identity)
        ctx = RecordContext(source, offset=0)
        for line in data.split(b"\n")[:-1]:  # complete lines only
            if not line.startswith(b"#"):
                break
            reader.read(line, ctx)
        self._trim()

    def _reader(self, key: str, source: str) -> zeek.ZeekTsvReader:
        reader = self._readers.get(key)
        if reader is None:
            reader = self._readers[key] = zeek.ZeekTsvReader(zeek.path_from_source(source))
            self._trim()
        else:
            self._readers.move_to_end(key)
        return reader

    def _trim(self) -> None:
        while len(self._readers) > self.max_files:  # files long gone: bounded memory
            self._readers.popitem(last=False)


def _key(ctx: RecordContext) -> str:
    identity = ctx.extra.get("file_identity") if ctx.extra else None
    return identity if isinstance(identity, str) else ctx.source
