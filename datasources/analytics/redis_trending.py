"""TrendingCounters on Redis (ElastiCache): one sorted set per department and hour."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from datasources.analytics.records import TrendingHit, TrendingScore
from datasources.analytics.trending import hour_of, ranked, window
from datasources.errors import DataSourceUnavailable
from datasources.instrumentation import record_call

SERVICE = "redis"


class RedisTrending:
    """TrendingCounters port on Redis: ``<prefix>:<department>:<hour>`` sorted sets."""

    def __init__(
        self,
        url: str,
        prefix: str = "vitrine:trending",
        keep_hours: int = 48,
        timeout_seconds: float = 1.0,
    ) -> None:
        self._url = url
        self._prefix = prefix
        self._keep_seconds = keep_hours * 3600
        self._redis = Redis.from_url(
            url, socket_timeout=timeout_seconds, socket_connect_timeout=timeout_seconds
        )

    def _key(self, department: str, hour: str) -> str:
        return f"{self._prefix}:{department}:{hour}"

    def _unavailable(self, error: Exception) -> DataSourceUnavailable:
        return DataSourceUnavailable(f"Redis at {self._url}", str(error))

    async def add(self, hits: Sequence[TrendingHit]) -> None:
        """ZINCRBY each hit into its hour's set, and let each set expire after the window
        (one round trip)."""
        if not hits:
            return
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for hit in hits:
                    key = self._key(hit.department, hour_of(hit.at))
                    pipe.zincrby(key, hit.weight, hit.product_id)
                    pipe.expire(key, self._keep_seconds)
                with record_call(SERVICE, "ZINCRBY"):
                    await pipe.execute()
        except RedisError as error:
            raise self._unavailable(error) from error

    async def top(
        self, department: str, now: datetime, hours: int, first: int
    ) -> tuple[TrendingScore, ...]:
        """ZUNION of the window's sets (one round trip), best ``first``."""
        keys = [self._key(department, hour) for hour in window(now, hours)]
        try:
            with record_call(SERVICE, "ZUNION"):
                found: Any = await self._redis.zunion(keys, withscores=True)
        except RedisError as error:
            raise self._unavailable(error) from error
        points = {
            (p.decode() if isinstance(p, bytes) else str(p)): int(score) for p, score in found
        }
        return ranked(points, first)

    async def check(self) -> None:
        """Raise DataSourceUnavailable unless Redis answers a PING."""
        try:
            await self._redis.ping()
        except RedisError as error:
            raise self._unavailable(error) from error

    async def close(self) -> None:
        """Close the connection pool."""
        await self._redis.aclose()
