"""RateLimiter on Redis (ElastiCache): one hash per bucket, updated atomically by a Lua script.

When Redis does not answer, the limiter degrades to an in-process bucket (per gateway process)
with a warning, so that requests keep being served.
"""

from __future__ import annotations

import structlog
from redis.asyncio import Redis
from redis.exceptions import RedisError

from datasources.errors import DataSourceUnavailable
from datasources.instrumentation import record_call
from datasources.rate_limit import BucketConfig, Throttle, retry_after
from datasources.rate_limit.in_process import InProcessRateLimiter

log = structlog.get_logger("vitrine.rate_limit")
SERVICE = "redis"

# KEYS[1] the bucket; ARGV capacity, restore rate (points/s), cost.
# The bucket holds the points available ("a") at the time ("t", Redis server clock) it was
# last charged; it expires once it would be full again (a missing bucket is a full one).
CHARGE_SCRIPT = """
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'a', 't')
local available = tonumber(state[1])
local last = tonumber(state[2])
if available == nil or last == nil then
  available = capacity
  last = now
end
available = math.min(capacity, available + math.max(0, now - last) * rate)
local allowed = 0
if cost <= available then
  available = available - cost
  allowed = 1
end
redis.call('HSET', KEYS[1], 'a', tostring(available), 't', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil((capacity - available) / rate * 1000) + 1000)
return {allowed, tostring(available)}
"""


class RedisRateLimiter:
    """RateLimiter port on Redis, every bucket under ``<namespace>:rl:``."""

    def __init__(
        self,
        url: str,
        config: BucketConfig,
        namespace: str = "vitrine",
        timeout_seconds: float = 1.0,
    ) -> None:
        self._url = url
        self._config = config
        self._prefix = f"{namespace}:rl:"
        self._redis = Redis.from_url(
            url, socket_timeout=timeout_seconds, socket_connect_timeout=timeout_seconds
        )
        self._script = self._redis.register_script(CHARGE_SCRIPT)
        self._fallback = InProcessRateLimiter(config)

    @property
    def config(self) -> BucketConfig:
        """The bucket's size and restore rate."""
        return self._config

    async def charge(self, key: str, cost: float) -> Throttle:
        """Take ``cost`` points from ``key``'s bucket if it holds them; refuse otherwise."""
        capacity, rate = self._config.capacity, self._config.restore_rate
        try:
            allowed, available_text = await self._script(
                keys=[self._prefix + key], args=[capacity, rate, cost]
            )
        except RedisError as error:
            log.warning("rate_limit_degraded", redis=self._url, error=str(error))
            return await self._fallback.charge(key, cost)
        text = available_text.decode() if isinstance(available_text, bytes) else available_text
        available = float(text)
        return Throttle(
            allowed=bool(allowed),
            maximum_available=capacity,
            currently_available=available,
            restore_rate=rate,
            retry_after_seconds=0.0 if allowed else retry_after(cost, available, rate),
        )

    async def check(self) -> None:
        """Raise DataSourceUnavailable unless Redis answers PING."""
        try:
            with record_call(SERVICE, "PING"):
                await self._redis.ping()
        except RedisError as error:
            raise DataSourceUnavailable(f"Redis at {self._url}", str(error)) from error

    async def close(self) -> None:
        """Close the connection pool."""
        await self._redis.aclose()
