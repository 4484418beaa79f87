"""Waits between reconnection attempts (broker, database listener): one rule for every loop.

Exponential backoff with full jitter: each wait is drawn uniformly between 0 and a ceiling
that doubles from `base` up to `cap`. Without the randomness every replica that lost the same
broker retries on the same schedule and they all hit it together the instant it returns."""

from __future__ import annotations

import random


class Backoff:
    def __init__(self, base: float = 0.2, cap: float = 5.0, rng: random.Random | None = None):
        self.base, self.cap = base, cap
        self._rng = rng or random.Random()
        self._ceiling = base

    @property
    def ceiling(self) -> float:
        """The longest the next wait may be."""
        return self._ceiling

    def next(self) -> float:
        """The wait before the next attempt; the following one may be twice as long."""
        delay = self._rng.uniform(0, self._ceiling)
        self._ceiling = min(self._ceiling * 2, self.cap)
        return delay

    def reset(self) -> None:
        """After a success: the next failure starts again from `base`."""
        self._ceiling = self.base
