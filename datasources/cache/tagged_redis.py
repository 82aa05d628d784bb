"""TaggedCache on Redis (ElastiCache): entries are strings, each tag a set of entry keys.

Both writes are Lua scripts, so a put never lands between a purge's reads and deletes, and a
put computed before a purge (``generation``) is dropped rather than stored stale. Every key of
one cache shares the ``{namespace}`` hash tag, so the scripts also run on a cluster.
"""

from __future__ import annotations

from collections.abc import Collection

from redis.asyncio import Redis
from redis.exceptions import RedisError

from datasources.errors import DataSourceUnavailable
from datasources.instrumentation import record_call

SERVICE = "redis"

_PUT = """
local current = redis.call('GET', KEYS[1]) or '0'
if current ~= ARGV[1] then return 0 end
local ttl = tonumber(ARGV[3])
redis.call('SET', KEYS[2], ARGV[2], 'PX', ttl)
for i = 3, #KEYS do
  redis.call('SADD', KEYS[i], KEYS[2])
  if redis.call('PTTL', KEYS[i]) < ttl then redis.call('PEXPIRE', KEYS[i], ttl) end
end
return 1
"""

_PURGE = """
redis.call('INCR', KEYS[1])
local removed = 0
for i = 2, #KEYS do
  local members = redis.call('SMEMBERS', KEYS[i])
  for j = 1, #members, 500 do
    removed = removed + redis.call('DEL', unpack(members, j, math.min(j + 499, #members)))
  end
  redis.call('DEL', KEYS[i])
end
return removed
"""


class RedisTaggedCache:
    """TaggedCache port on Redis, every key under ``{namespace}:``."""

    def __init__(
        self, url: str, namespace: str = "vitrine:responses", timeout_seconds: float = 1.0
    ) -> None:
        self._url = url
        self._prefix = "{" + namespace + "}:"
        self._redis = Redis.from_url(
            url, socket_timeout=timeout_seconds, socket_connect_timeout=timeout_seconds
        )
        self._put = self._redis.register_script(_PUT)
        self._purge = self._redis.register_script(_PURGE)

    def _unavailable(self, error: Exception) -> DataSourceUnavailable:
        return DataSourceUnavailable(f"Redis at {self._url}", str(error))

    @property
    def _generation_key(self) -> str:
        return self._prefix + "generation"

    def _entry(self, key: str) -> str:
        return self._prefix + "entry:" + key

    def _tag(self, tag: str) -> str:
        return self._prefix + "tag:" + tag

    async def get(self, key: str) -> bytes | None:
        """The cached value, or None when absent, expired or purged."""
        try:
            with record_call(SERVICE, "GET"):
                value = await self._redis.get(self._entry(key))
        except RedisError as error:
            raise self._unavailable(error) from error
        return value if value is None or isinstance(value, bytes) else value.encode()

    async def generation(self) -> int:
        """The number of purges so far."""
        try:
            with record_call(SERVICE, "GET"):
                value = await self._redis.get(self._generation_key)
        except RedisError as error:
            raise self._unavailable(error) from error
        return 0 if value is None else int(value)

    async def put(
        self,
        key: str,
        value: bytes,
        ttl_seconds: float,
        tags: Collection[str],
        *,
        generation: int,
    ) -> bool:
        """Cache ``value`` unless a purge happened since ``generation``."""
        keys = [self._generation_key, self._entry(key), *(self._tag(t) for t in sorted(tags))]
        ttl_ms = max(1, int(ttl_seconds * 1000))
        try:
            with record_call(SERVICE, "EVALSHA"):
                stored = await self._put(keys=keys, args=[str(generation), value, ttl_ms])
        except RedisError as error:
            raise self._unavailable(error) from error
        return bool(stored)

    async def purge(self, tags: Collection[str]) -> int:
        """Forget every entry carrying any of ``tags``."""
        keys = [self._generation_key, *(self._tag(t) for t in sorted(tags))]
        try:
            with record_call(SERVICE, "EVALSHA"):
                removed = await self._purge(keys=keys, args=[])
        except RedisError as error:
            raise self._unavailable(error) from error
        return int(removed)

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
