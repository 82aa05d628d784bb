"""Which tags an event purges, the CDN batcher, and the response cache when Redis is down."""

from __future__ import annotations

import asyncio
import contextlib

import orjson

from datasources.cache.tagged_in_process import InProcessTaggedCache
from datasources.cache.tagged_redis import RedisTaggedCache
from datasources.events.in_process import InProcessEventBus
from datasources.events.records import DomainEvent, Topic
from datasources.ports import CdnInvalidator, TaggedCache
from gateway.cache_invalidation import CacheInvalidation, InvalidationBatcher, tags_of
from gateway.response_cache import ResponseCache, response_key
from resolvers.context import AuthMode
from resolvers.entity_tags import EVERYTHING, LISTING
from tests.fakes.cdn import RecordingCdn
from tests.support.moto_process import free_port


def test_events_name_the_tags_they_make_stale() -> None:
    assert tags_of(DomainEvent(Topic.PRICE_CHANGED, "prod-1")) == {"product:prod-1", LISTING}
    assert tags_of(DomainEvent(Topic.PRODUCT_CHANGED, "prod-1")) == {"product:prod-1", LISTING}
    assert tags_of(DomainEvent(Topic.AVAILABILITY_CHANGED, "SKU-1")) == {"sku:SKU-1"}
    assert tags_of(DomainEvent(Topic.CART_CHANGED, "cart-1")) == frozenset()


def test_keys_ignore_spacing_but_not_variables_or_auth_mode() -> None:
    a = response_key("{ products { totalCount } }", None, {"x": 1}, AuthMode.API_KEY)
    spaced = response_key("query {\n  products {totalCount}\n}", None, {"x": 1}, AuthMode.API_KEY)
    assert a == spaced
    assert a != response_key("{ products { totalCount } }", None, {"x": 2}, AuthMode.API_KEY)
    assert a != response_key("{ products { totalCount } }", None, {"x": 1}, AuthMode.NONE)
    huge = response_key("{ products { totalCount } }", None, {"x": "y" * 100_000}, AuthMode.NONE)
    assert len(huge) == len(a)


async def _run_batcher(batcher: InvalidationBatcher, until: int) -> None:
    task = asyncio.create_task(batcher.run())
    for _ in range(100):
        if len(batcher.sent) >= until:
            break
        await asyncio.sleep(0)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def test_requests_within_a_window_make_one_invalidation() -> None:
    cdn = RecordingCdn()
    sender: CdnInvalidator = cdn
    batcher = InvalidationBatcher(sender, ["/graphql*"], interval_seconds=0)
    batcher.request()
    batcher.request()
    await _run_batcher(batcher, until=1)
    assert cdn.invalidations == [["/graphql*"]]
    assert batcher.sent == ["I1"]


async def test_a_failed_invalidation_is_sent_with_the_next_window() -> None:
    cdn = RecordingCdn(failures=1)
    batcher = InvalidationBatcher(cdn, ["/graphql*"], interval_seconds=0)
    batcher.request()
    await _run_batcher(batcher, until=1)
    assert cdn.invalidations == [["/graphql*"]]


async def test_a_price_event_purges_the_answers_showing_the_product() -> None:
    # given two stored answers, one showing prod-1
    store: TaggedCache = InProcessTaggedCache()
    cache = ResponseCache(store, ttl_seconds=60)
    await cache.remember("a", b"{}", {"product:prod-1"}, generation=0)
    await cache.remember("b", b"{}", {"product:prod-2"}, generation=0)
    cdn = RecordingCdn()
    batcher = InvalidationBatcher(cdn, ["/graphql*"], interval_seconds=0)
    consumer = CacheInvalidation(InProcessEventBus(), store, batcher)
    # when the consumer handles a price change of prod-1
    await consumer.handle(DomainEvent(Topic.PRICE_CHANGED, "prod-1"))
    # then only that answer is gone, and a CDN invalidation is pending
    assert consumer.purged == 1
    assert consumer.handled == 1
    assert await store.get("a") is None
    assert await store.get("b") == b"{}"
    await _run_batcher(batcher, until=1)
    assert cdn.invalidations == [["/graphql*"]]
    # and every stored answer carries the catch-all tag
    assert await store.purge({EVERYTHING}) == 1


async def test_redis_down_makes_the_response_cache_a_miss_not_an_error() -> None:
    down = RedisTaggedCache(f"redis://127.0.0.1:{free_port()}/0", timeout_seconds=0.2)
    cache = ResponseCache(down, ttl_seconds=60)
    assert await cache.lookup("k") is None
    assert await cache.generation() is None
    await cache.remember("k", orjson.dumps({"a": 1}), set(), generation=0)
    assert cache.counts.unavailable == 3
    assert cache.counts.hits == 0
    assert cache.counts.stores == 0
    await down.close()
