"""Purges cached answers and the CDN's copies when catalog data changes.

A background consumer (started in the app's lifespan) reads PRODUCT_CHANGED, PRICE_CHANGED
and AVAILABILITY_CHANGED events, purges the response cache entries tagged with that product or
SKU, and asks a :class:`InvalidationBatcher` for a CloudFront invalidation. The batcher
collects requests for ``interval_seconds`` and sends one invalidation for all of them
(CloudFront charges per path, and has a limit of invalidations in progress).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence

import structlog

from datasources.errors import DataSourceUnavailable
from datasources.events.records import (
    DomainEvent,
    EventStreamInterrupted,
    SubscriberFellBehind,
    Topic,
)
from datasources.ports import CdnInvalidator, EventBus, TaggedCache
from resolvers.entity_tags import EVERYTHING, LISTING, product_tag, sku_tag

log = structlog.get_logger("vitrine.cache_invalidation")

TOPICS = (Topic.PRODUCT_CHANGED, Topic.PRICE_CHANGED, Topic.AVAILABILITY_CHANGED)
RESUBSCRIBE_DELAY_SECONDS = 1.0


def tags_of(event: DomainEvent) -> frozenset[str]:
    """The entity tags an event makes stale."""
    if event.topic is Topic.AVAILABILITY_CHANGED:
        return frozenset({sku_tag(event.key)})
    if event.topic in (Topic.PRODUCT_CHANGED, Topic.PRICE_CHANGED):
        # Pages and empty lookups may gain or lose the product, or reorder by price.
        return frozenset({product_tag(event.key), LISTING})
    return frozenset()


class InvalidationBatcher:
    """At most one CDN invalidation per ``interval_seconds``, naming ``paths``."""

    def __init__(self, cdn: CdnInvalidator, paths: Sequence[str], interval_seconds: float) -> None:
        self._cdn = cdn
        self._paths = tuple(paths)
        self._interval = interval_seconds
        self._pending: set[str] = set()
        self._wake = asyncio.Event()
        self.sent: list[str] = []
        """The ids of the invalidations created, oldest first."""

    def request(self) -> None:
        """Ask for the paths to be invalidated with the next batch."""
        self._pending.update(self._paths)
        self._wake.set()

    async def run(self) -> None:
        """Send batches until cancelled: wait for a request, collect for the interval, send."""
        while True:
            await self._wake.wait()
            await asyncio.sleep(self._interval)
            self._wake.clear()
            paths, self._pending = self._pending, set()
            try:
                self.sent.append(await self._cdn.invalidate(sorted(paths)))
                log.info("cdn_invalidation_sent", paths=sorted(paths))
            except DataSourceUnavailable as error:
                # Kept for the next window: a missed invalidation would leave stale prices.
                log.warning("cdn_invalidation_failed", error=str(error))
                self._pending |= paths
                self._wake.set()


class CacheInvalidation:
    """Follows catalog events: purges tagged answers, requests CDN invalidations."""

    def __init__(
        self,
        events: EventBus,
        responses: TaggedCache | None,
        cdn: InvalidationBatcher | None,
    ) -> None:
        self._events = events
        self._responses = responses
        self._cdn = cdn
        self.purged = 0
        """Entries purged since start-up."""
        self.handled = 0
        """Events handled since start-up."""

    async def handle(self, event: DomainEvent) -> None:
        """Purge what ``event`` makes stale and request a CDN invalidation."""
        tags = tags_of(event)
        if not tags:
            return
        if self._responses is not None:
            try:
                removed = await self._responses.purge(tags)
            except DataSourceUnavailable as error:
                log.warning("response_cache_purge_failed", error=str(error), tags=sorted(tags))
            else:
                self.purged += removed
        if self._cdn is not None:
            self._cdn.request()
        self.handled += 1

    async def run(self) -> None:
        """Consume events until cancelled, subscribing again after an interruption."""
        while True:
            try:
                async with self._events.subscribe(TOPICS) as stream:
                    async for event in stream:
                        await self.handle(event)
            except (SubscriberFellBehind, EventStreamInterrupted) as error:
                # Events were missed: anything may be stale, so drop every cached answer.
                log.warning("cache_invalidation_resubscribing", error=str(error))
                await self._after_gap()
                await asyncio.sleep(RESUBSCRIBE_DELAY_SECONDS)

    async def _after_gap(self) -> None:
        if self._responses is not None:
            with contextlib.suppress(DataSourceUnavailable):
                self.purged += await self._responses.purge([EVERYTHING])
        if self._cdn is not None:
            self._cdn.request()


@contextlib.asynccontextmanager
async def cache_invalidation(
    events: EventBus,
    responses: TaggedCache | None,
    cdn: CdnInvalidator | None,
    paths: Sequence[str],
    interval_seconds: float,
) -> AsyncIterator[CacheInvalidation | None]:
    """Run the invalidation consumer (and the CDN batcher) in the background for the block."""
    if responses is None and cdn is None:
        yield None
        return
    batcher = None if cdn is None else InvalidationBatcher(cdn, paths, interval_seconds)
    consumer = CacheInvalidation(events, responses, batcher)
    tasks = [asyncio.create_task(consumer.run(), name="cache-invalidation")]
    if batcher is not None:
        tasks.append(asyncio.create_task(batcher.run(), name="cdn-invalidation"))
    try:
        yield consumer
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
