"""The event consumers: the search indexer and the catalog's availability projection.

They follow domain events: inside every API process by default, or in ``vitrine consumers``
processes of their own (``VITRINE_CONSUMERS=external``, events over Redis) so that indexing
and counter writes take no CPU from the processes answering queries.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import AsyncIterator

import structlog

from gateway.background import availability_projection, in_background
from gateway.bootstrap import Services
from gateway.search_indexing import search_indexing
from gateway.settings import ConsumerPlacement, Settings

log = structlog.get_logger("vitrine.consumers")


@contextlib.asynccontextmanager
async def event_consumers(services: Services) -> AsyncIterator[None]:
    """Run the search indexer and the availability projection for the block."""
    inventory = None if services.shopping is None else services.shopping.inventory
    async with (
        search_indexing(services.catalog, services.search, services.events),
        in_background(
            "availability-projection",
            availability_projection(services.catalog, inventory, services.events),
        ),
    ):
        yield


@contextlib.asynccontextmanager
async def api_process_consumers(settings: Settings, services: Services) -> AsyncIterator[None]:
    """The consumers of an API process: all of them in-process, none when they run apart."""
    if settings.consumers is ConsumerPlacement.EXTERNAL:
        log.info("event_consumers_external")
        yield
        return
    async with event_consumers(services):
        yield


async def run_consumers(services: Services, stop: asyncio.Event) -> None:
    """Consume events until ``stop`` is set (``vitrine consumers``)."""
    services.events.listen()
    async with event_consumers(services):
        log.info(
            "event_consumers_started",
            search=services.search is not None,
            availability=services.shopping is not None,
        )
        await stop.wait()
    log.info("event_consumers_stopped")


def stop_on_signals(stop: asyncio.Event) -> None:
    """Set ``stop`` on SIGTERM and SIGINT (the running loop's handlers)."""
    loop = asyncio.get_running_loop()
    for number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(number, stop.set)
