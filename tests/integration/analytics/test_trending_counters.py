"""Both TrendingCounters adapters, the same behaviour: Redis (real, unique key prefix) and
the in-process dictionary."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from redis.asyncio import Redis

from datasources.analytics.records import TrendingHit, TrendingScore
from datasources.analytics.redis_trending import RedisTrending
from datasources.analytics.trending import InProcessTrending
from datasources.ports import TrendingCounters

REDIS_URL = "redis://127.0.0.1:6379/0"
NOW = datetime(2026, 11, 24, 12, 30, tzinfo=UTC)


@pytest.fixture(params=["redis", "in-process"])
async def counters(request: pytest.FixtureRequest) -> AsyncIterator[TrendingCounters]:
    if request.param == "redis":
        prefix = f"test-trending-{uuid.uuid4().hex[:8]}"
        adapter: TrendingCounters = RedisTrending(REDIS_URL, prefix=prefix, keep_hours=48)
        yield adapter
        await adapter.close()
        cleaner = Redis.from_url(REDIS_URL)
        keys = [k async for k in cleaner.scan_iter(f"{prefix}:*")]
        if keys:
            await cleaner.delete(*keys)
        await cleaner.aclose()
    else:
        yield InProcessTrending(keep_hours=48)


def _hit(
    product: str, hours_ago: int, weight: int = 1, department: str = "lighting"
) -> TrendingHit:
    return TrendingHit(
        department=department,
        product_id=product,
        at=NOW - timedelta(hours=hours_ago),
        weight=weight,
    )


async def test_top_sums_the_window_per_department_most_first(counters: TrendingCounters) -> None:
    # given hits this hour, 5 hours ago, 30 hours ago, and in another department
    await counters.add(
        [
            _hit("lamp-a", 0, 1),
            _hit("lamp-a", 5, 1),
            _hit("lamp-b", 0, 5),
            _hit("lamp-c", 30, 50),
            _hit("sofa", 0, 99, department="furniture"),
            _hit("lamp-d", 1, 2),
        ]
    )
    # when asking for the top of the last 24 hours
    top = await counters.top("lighting", NOW, 24, 10)
    short = await counters.top("lighting", NOW, 1, 10)
    first = await counters.top("lighting", NOW, 24, 2)
    # then points add up within the window only, in this department only; ties by id
    assert top == (
        TrendingScore("lamp-b", 5),
        TrendingScore("lamp-a", 2),
        TrendingScore("lamp-d", 2),
    )
    assert short == (TrendingScore("lamp-b", 5), TrendingScore("lamp-a", 1))
    assert first == top[:2]
    assert await counters.top("decor", NOW, 24, 10) == ()


async def test_adding_nothing_changes_nothing(counters: TrendingCounters) -> None:
    await counters.add([])
    assert await counters.top("lighting", NOW, 24, 10) == ()


async def test_redis_sets_expire_after_the_kept_hours() -> None:
    prefix = f"test-trending-{uuid.uuid4().hex[:8]}"
    counters = RedisTrending(REDIS_URL, prefix=prefix, keep_hours=48)
    await counters.add([_hit("lamp-a", 0)])
    await counters.close()
    client = Redis.from_url(REDIS_URL)
    key = f"{prefix}:lighting:2026112412"
    ttl = await client.ttl(key)
    await client.delete(key)
    await client.aclose()
    assert 47 * 3600 < ttl <= 48 * 3600
