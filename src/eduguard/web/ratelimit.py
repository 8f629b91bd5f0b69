"""A per-client sliding-window limiter for login attempts (in-process).

One process serves the console here; a deployment running several workers behind a balancer
also relies on the per-account lockout, which lives in the database and is shared.
"""

from __future__ import annotations

import threading
import time
from collections import deque


class SlidingWindowLimiter:
    def __init__(self, limit: int, window_seconds: float = 60.0, max_keys: int = 100_000) -> None:
        self.limit = limit
        self.window = window_seconds
        self.max_keys = max_keys
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str, now: float | None = None) -> float:
        """Count one attempt; returns 0 when allowed, else the seconds to wait."""
        moment = time.monotonic() if now is None else now
        with self._lock:
            hits = self._hits.get(key)
            if hits is None:
                if len(self._hits) >= self.max_keys:  # bounded memory under a flood of clients
                    self._hits.clear()
                hits = self._hits[key] = deque()
            while hits and hits[0] <= moment - self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                return max(hits[0] + self.window - moment, 0.001)
            hits.append(moment)
            return 0.0
