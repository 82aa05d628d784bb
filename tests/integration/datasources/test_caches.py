"""Both KeyValueCache adapters behave the same: Redis (REDIS_URL) and in-process."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator

import pytest

from datasources.cache.in_process import InProcessCache
from datasources.cache.redis_cache import RedisCache
from datasources.errors import DataSourceUnavailable
from datasources.ports import KeyValueCache
from tests.support.moto_process import free_port

pytestmark = pytest.mark.integration

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture(params=["redis", "in_process"])
async def cache(request: pytest.FixtureRequest) -> AsyncIterator[KeyValueCache]:
    if request.param == "in_process":
        yield InProcessCache(max_entries=3)
        return
    redis = RedisCache(REDIS_URL, namespace=f"test-{uuid.uuid4().hex[:8]}")
    try:
        await redis.check()
    except DataSourceUnavailable as error:
        pytest.skip(f"no Redis at {REDIS_URL}: {error}")
    yield redis
    await redis.close()


async def test_set_get_delete_and_expiry(cache: KeyValueCache) -> None:
    await cache.set("a", b"1", ttl_seconds=30)
    await cache.set("short", b"2", ttl_seconds=0.05)
    assert await cache.get("a") == b"1"
    await asyncio.sleep(0.1)
    assert await cache.get("short") is None
    await cache.delete("a", "never-set")
    assert await cache.get("a") is None


async def test_in_process_cache_is_bounded() -> None:
    cache = InProcessCache(max_entries=2)
    for key in ("a", "b", "c"):
        await cache.set(key, key.encode(), ttl_seconds=30)
    assert [await cache.get(k) for k in ("a", "b", "c")] == [None, b"b", b"c"]


async def test_dead_redis_is_a_typed_error() -> None:
    dead = RedisCache(f"redis://127.0.0.1:{free_port()}/0", timeout_seconds=0.5)
    with pytest.raises(DataSourceUnavailable, match=r"Redis at redis://127\.0\.0\.1"):
        await dead.get("x")
    await dead.close()
