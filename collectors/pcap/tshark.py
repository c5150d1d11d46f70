"""Running tshark: finding it (through pyshark's lookup, which honours
pyshark's config and the usual install paths), streaming its rows, and
turning its exit status and messages into our errors.
"""

from __future__ import annotations

import io
import subprocess
import tempfile
from collections.abc import Iterator
from functools import lru_cache

# tshark's messages for a capture cut short or damaged after good packets.
_DAMAGE_MARKS = ("cut short", "damaged or corrupt", "appears to be damaged",
                 "less than the minimum", "bigger than the maximum", "is corrupted")
_NOISE = ("Running as user", "This could be dangerous", "Capturing on", "[Main MESSAGE]",
          "packets captured", "packet captured", "packets dropped")


class TsharkUnavailable(RuntimeError):
    """tshark is not installed or cannot start (an installation problem, not bad input)."""


@lru_cache(maxsize=1)
def tshark_path() -> str:
    """The tshark executable pyshark would use."""
    from pyshark.tshark.tshark import TSharkNotFoundException, get_process_path

    try:
        return get_process_path()
    except TSharkNotFoundException as exc:
        raise TsharkUnavailable("tshark not found: apt-get install tshark") from exc


@lru_cache(maxsize=1)
def tshark_version() -> str:
    from pyshark.tshark.tshark import get_tshark_version

    return str(get_tshark_version(tshark_path()))


class TsharkRun:
    """One tshark process printing ``fields.FIELDS`` rows on stdout.

    stderr goes to a temporary file, so a chatty tshark can never block on a
    full pipe; ``finish()`` waits and returns the exit code and the messages.
    """

    def __init__(self, cmd: list[str]) -> None:
        self.columns = cmd.count("-e")
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 (closed in close())
        try:
            self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=self._stderr,
                                         stdin=subprocess.DEVNULL, bufsize=1 << 16)
        except OSError as exc:
            self._stderr.close()
            raise TsharkUnavailable(f"cannot start tshark: {exc}") from exc
        assert self.proc.stdout is not None
        self.stdout = io.TextIOWrapper(self.proc.stdout, encoding="utf-8", errors="replace",
                                       newline="\n")

    def rows(self) -> Iterator[list[str] | None]:
        """Each output line split into its columns; None for a line with the wrong
        number of columns (counted by the caller, never silently dropped)."""
        for line in self.stdout:
            cols = line.rstrip("\n").split("\t")
            yield cols if len(cols) == self.columns else None

    def raw_messages(self) -> str:
        """Everything tshark wrote to stderr so far."""
        self._stderr.seek(0)
        return self._stderr.read().decode("utf-8", "replace")

    def messages(self) -> str:
        """tshark's messages without its banner lines."""
        text = self.raw_messages()
        return "\n".join(ln for ln in text.splitlines()
                         if ln.strip() not in ("", "tshark:") and not any(n in ln for n in _NOISE))

    def finish(self, timeout: float = 30.0) -> tuple[int, str]:
        """Wait for tshark; ``(exit code, its messages)``."""
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        return rc, self.messages()

    def close(self) -> None:
        """Stop tshark if still running and release its pipes."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.stdout.close()
        self._stderr.close()


def is_damage(message: str) -> bool:
    """Whether tshark's message says the capture is truncated or corrupt."""
    low = message.lower()
    return any(mark in low for mark in _DAMAGE_MARKS)
