"""What the polled inputs share (the file tailer, the folder input): a thread
that calls ``poll`` until stopped, waits when a pass found nothing to do, and
reports a failing pass in health instead of dying; and finding files by glob.
"""

from __future__ import annotations

import glob
import logging
import os
import threading
from fnmatch import fnmatch

from collectors.health import HealthBoard

log = logging.getLogger(__name__)


def glob_files(patterns: list[str], exclude: list[str]) -> list[str]:
    """Regular files matching any pattern (sorted per pattern, each once),
    minus those whose path or name matches an ``exclude`` pattern."""
    found: dict[str, None] = {}
    for pattern in patterns:
        for path in sorted(glob.glob(pattern)):
            if any(fnmatch(path, ex) or fnmatch(os.path.basename(path), ex) for ex in exclude):
                continue
            if os.path.isfile(path):
                found[path] = None
    return list(found)


class PollingInput:
    """``start``/``stop`` a thread around ``poll``; subclasses set
    ``input_id``, ``health`` and ``idle_wait``, and implement ``poll``."""

    input_id: str
    health: HealthBoard
    idle_wait: float = 1.0
    thread_prefix: str = "input"

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def poll(self) -> int:
        """One pass; how much it did (0: wait ``idle_wait`` before the next)."""
        raise NotImplementedError

    def start(self) -> PollingInput:
        self._thread = threading.Thread(target=self._run, daemon=True,
                                        name=f"{self.thread_prefix}-{self.input_id}")
        self._thread.start()
        return self

    def _run(self) -> None:
        self.health.set(self.input_id, state="running")
        while not self._stop.is_set():
            try:
                did = self.poll()
            except Exception as exc:  # keep going; say what went wrong
                log.exception("input %s: %s pass failed", self.input_id, self.thread_prefix)
                self.health.error(self.input_id, f"{self.thread_prefix}: {exc}")
                did = 0
            if not did:
                self._stop.wait(self.idle_wait)

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self.closed()
        self.health.set(self.input_id, state="stopped")

    def closed(self) -> None:
        """Release what the input holds, once its thread has ended."""
