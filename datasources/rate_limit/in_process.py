"""An in-process RateLimiter for the embedded default (one gateway process)."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

from datasources.rate_limit import BucketConfig, Throttle, retry_after


class InProcessRateLimiter:
    """RateLimiter port in this process's memory: one leaky bucket per key, LRU-bounded."""

    def __init__(
        self,
        config: BucketConfig,
        max_keys: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._config = config
        self._max_keys = max_keys
        self._clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    @property
    def config(self) -> BucketConfig:
        """The bucket's size and restore rate."""
        return self._config

    async def charge(self, key: str, cost: float) -> Throttle:
        """Take ``cost`` points from ``key``'s bucket if it holds them; refuse otherwise."""
        now = self._clock()
        capacity, rate = self._config.capacity, self._config.restore_rate
        available, last = self._buckets.get(key, (capacity, now))
        available = min(capacity, available + max(0.0, now - last) * rate)
        allowed = cost <= available
        if allowed:
            available -= cost
        self._buckets[key] = (available, now)
        self._buckets.move_to_end(key)
        while len(self._buckets) > self._max_keys:
            self._buckets.popitem(last=False)
        return Throttle(
            allowed=allowed,
            maximum_available=capacity,
            currently_available=available,
            restore_rate=rate,
            retry_after_seconds=0.0 if allowed else retry_after(cost, available, rate),
        )

    async def check(self) -> None:
        """Always available."""
