"""Both TaggedCache adapters behave the same: Redis (REDIS_URL) and in-process."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator

import pytest

from datasources.cache.tagged_in_process import InProcessTaggedCache
from datasources.cache.tagged_redis import RedisTaggedCache
from datasources.errors import DataSourceUnavailable
from datasources.ports import TaggedCache
from tests.support.moto_process import free_port

pytestmark = pytest.mark.integration

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture(params=["redis", "in_process"])
async def cache(request: pytest.FixtureRequest) -> AsyncIterator[TaggedCache]:
    if request.param == "in_process":
        yield InProcessTaggedCache()
        return
    redis = RedisTaggedCache(REDIS_URL, namespace=f"test-{uuid.uuid4().hex[:8]}")
    try:
        await redis.check()
    except DataSourceUnavailable as error:
        pytest.skip(f"no Redis at {REDIS_URL}: {error}")
    yield redis
    await redis.close()


async def test_put_get_purge_by_tag(cache: TaggedCache) -> None:
    # given three entries, two of them showing product 1
    generation = await cache.generation()
    assert await cache.put("a", b"1", 30, ["product:1", "sku:X"], generation=generation)
    assert await cache.put("b", b"2", 30, ["product:1"], generation=generation)
    assert await cache.put("c", b"3", 30, ["product:2"], generation=generation)
    assert await cache.get("a") == b"1"
    # when product 1 is purged
    removed = await cache.purge(["product:1"])
    # then both its entries are gone, the other stays, and the generation moved on
    assert removed == 2
    assert await cache.get("a") is None
    assert await cache.get("b") is None
    assert await cache.get("c") == b"3"
    assert await cache.generation() == generation + 1
    assert await cache.purge(["product:1"]) == 0


async def test_a_put_after_a_purge_of_its_generation_is_dropped(cache: TaggedCache) -> None:
    generation = await cache.generation()
    await cache.purge(["anything"])
    assert await cache.put("late", b"stale", 30, ["product:1"], generation=generation) is False
    assert await cache.get("late") is None


async def test_entries_expire(cache: TaggedCache) -> None:
    await cache.put("short", b"1", 0.05, ["t"], generation=await cache.generation())
    await asyncio.sleep(0.1)
    assert await cache.get("short") is None


async def test_redis_down_is_a_typed_error() -> None:
    down = RedisTaggedCache(f"redis://127.0.0.1:{free_port()}/0", timeout_seconds=0.2)
    with pytest.raises(DataSourceUnavailable, match="Redis at"):
        await down.get("a")
    with pytest.raises(DataSourceUnavailable, match="Redis at"):
        await down.purge(["t"])
    await down.close()
