"""KeyValueCache on Redis (ElastiCache in production)."""

from __future__ import annotations

from redis.asyncio import Redis
from redis.exceptions import RedisError

from datasources.errors import DataSourceUnavailable
from datasources.instrumentation import record_call

SERVICE = "redis"


class RedisCache:
    """KeyValueCache port on Redis, every key under a namespace prefix."""

    def __init__(self, url: str, namespace: str = "vitrine", timeout_seconds: float = 1.0) -> None:
        self._url = url
        self._prefix = f"{namespace}:"
        self._redis = Redis.from_url(
            url, socket_timeout=timeout_seconds, socket_connect_timeout=timeout_seconds
        )

    def _unavailable(self, error: Exception) -> DataSourceUnavailable:
        return DataSourceUnavailable(f"Redis at {self._url}", str(error))

    async def get(self, key: str) -> bytes | None:
        """The cached value, or None when absent or expired."""
        try:
            with record_call(SERVICE, "GET"):
                value = await self._redis.get(self._prefix + key)
                return value if value is None or isinstance(value, bytes) else value.encode()
        except RedisError as error:
            raise self._unavailable(error) from error

    async def set(self, key: str, value: bytes, ttl_seconds: float) -> None:
        """Cache ``value`` for ``ttl_seconds`` (millisecond precision)."""
        try:
            with record_call(SERVICE, "SET"):
                await self._redis.set(self._prefix + key, value, px=max(1, int(ttl_seconds * 1000)))
        except RedisError as error:
            raise self._unavailable(error) from error

    async def delete(self, *keys: str) -> None:
        """Forget ``keys``."""
        if not keys:
            return
        try:
            with record_call(SERVICE, "DEL"):
                await self._redis.delete(*(self._prefix + k for k in keys))
        except RedisError as error:
            raise self._unavailable(error) from error

    async def check(self) -> None:
        """Raise DataSourceUnavailable unless Redis answers PING."""
        try:
            with record_call(SERVICE, "PING"):
                await self._redis.ping()
        except RedisError as error:
            raise self._unavailable(error) from error

    async def close(self) -> None:
        """Close the connection pool."""
        await self._redis.aclose()
