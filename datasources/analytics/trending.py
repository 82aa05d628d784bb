"""Trending counters: points per product per hour, per department (top-level category).

An event adds its weight (``TRENDING_WEIGHTS``) to the product in the bucket of its hour;
``top`` sums the buckets of the last ``hours`` hours. Two adapters of the
``TrendingCounters`` port: Redis sorted sets (``redis_trending.py``: one per department and
hour, expiring after the window, shared by every gateway process) and a dictionary here for
the embedded default.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from datasources.analytics.records import TrendingHit, TrendingScore


def hour_of(at: datetime) -> str:
    """The bucket name of ``at``'s hour, in UTC: ``2026112421``."""
    return at.astimezone(UTC).strftime("%Y%m%d%H")


def window(now: datetime, hours: int) -> list[str]:
    """The buckets of the ``hours`` hours ending with ``now``'s hour."""
    return [hour_of(now - timedelta(hours=h)) for h in range(hours)]


def ranked(points: dict[str, int], first: int) -> tuple[TrendingScore, ...]:
    """The ``first`` products with the most points (ties by product id)."""
    ordered = sorted(points.items(), key=lambda item: (-item[1], item[0]))
    return tuple(TrendingScore(product_id=p, points=n) for p, n in ordered[:first] if n > 0)


class InProcessTrending:
    """TrendingCounters port in this process (buckets older than ``keep_hours`` dropped)."""

    def __init__(self, keep_hours: int = 48) -> None:
        self._keep_hours = keep_hours
        self._buckets: dict[tuple[str, str], dict[str, int]] = defaultdict(dict)

    async def add(self, hits: Sequence[TrendingHit]) -> None:
        """Add each hit's weight to its product's hour."""
        for hit in hits:
            bucket = self._buckets[(hit.department, hour_of(hit.at))]
            bucket[hit.product_id] = bucket.get(hit.product_id, 0) + hit.weight
        if hits:
            oldest = hour_of(max(h.at for h in hits) - timedelta(hours=self._keep_hours))
            for key in [k for k in self._buckets if k[1] < oldest]:
                del self._buckets[key]

    async def top(
        self, department: str, now: datetime, hours: int, first: int
    ) -> tuple[TrendingScore, ...]:
        """The products of ``department`` with the most points in the window."""
        points: dict[str, int] = {}
        for hour in window(now, hours):
            for product, n in self._buckets.get((department, hour), {}).items():
                points[product] = points.get(product, 0) + n
        return ranked(points, first)

    async def check(self) -> None:
        """Always available."""

    async def close(self) -> None:
        """Nothing to release."""
