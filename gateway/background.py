"""Background consumers of the gateway process, run for the app's lifetime."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Coroutine
from typing import Any

import structlog

from datasources.ports import Catalog, EventBus, Inventory
from datasources.projections.availability import AvailabilityProjection

log = structlog.get_logger("vitrine.background")


async def _guarded(name: str, work: Coroutine[Any, Any, None]) -> None:
    try:
        await work
    except Exception:
        # The API stays up: reads fall back on what the consumer last wrote.
        log.exception("background_task_stopped", task=name)


@contextlib.asynccontextmanager
async def in_background(
    name: str, work: Coroutine[Any, Any, None] | None
) -> AsyncIterator[asyncio.Task[None] | None]:
    """Run ``work`` as a task for the block (a crash is logged, not raised); cancel it after."""
    if work is None:
        yield None
        return
    task = asyncio.create_task(_guarded(name, work), name=name)
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def availability_projection(
    catalog: Catalog, inventory: Inventory | None, events: EventBus
) -> Coroutine[Any, Any, None] | None:
    """The catalog counters' projection from inventory events; None without a database."""
    if inventory is None:
        return None
    return AvailabilityProjection(catalog, inventory, events).run()
