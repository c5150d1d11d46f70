"""Login rate limiting: failures counted per user name and per client address
in a sliding window (in memory, per process; with N workers the effective
budget is up to N times larger, still bounded)."""

from __future__ import annotations

import threading
import time
from collections import deque


class SlidingWindow:
    """Counts events per key over the last ``window`` seconds."""

    def __init__(self, limit: int, window: float, max_keys: int = 100_000) -> None:
        self.limit = limit
        self.window = window
        self.max_keys = max_keys
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _trim(self, key: str, now: float) -> deque[float]:
        hits = self._hits.setdefault(key, deque())
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        return hits

    def retry_after(self, key: str, now: float | None = None) -> int:
        """0 when ``key`` is under its limit, else seconds until it is."""
        now = time.monotonic() if now is None else now
        with self._lock:
            hits = self._trim(key, now)
            if len(hits) < self.limit:
                return 0
            return int(hits[0] + self.window - now) + 1

    def hit(self, key: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        with self._lock:
            if len(self._hits) >= self.max_keys:  # bounded memory under a spray
                self._hits = {k: v for k, v in self._hits.items() if v and v[-1] > now - self.window}
            self._trim(key, now).append(now)

    def reset(self, key: str) -> None:
        with self._lock:
            self._hits.pop(key, None)


class LoginLimiter:
    """Per-user and per-address failure budgets."""

    def __init__(self, per_user: int, per_address: int, window: float) -> None:
        self.users = SlidingWindow(per_user, window)
        self.addresses = SlidingWindow(per_address, window)

    def retry_after(self, user: str, address: str) -> int:
        return max(self.users.retry_after(user), self.addresses.retry_after(address))

    def failed(self, user: str, address: str) -> None:
        self.users.hit(user)
        self.addresses.hit(address)

    def succeeded(self, user: str) -> None:
        self.users.reset(user)
