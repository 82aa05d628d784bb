"""Background consumers of the gateway process, run for the app's lifetime."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Coroutine
from typing import TYPE_CHECKING, Any

import structlog

from datasources.ports import Catalog, EventBus, Inventory
from datasources.projections.availability import AvailabilityProjection

if TYPE_CHECKING:
    from gateway.bootstrap import Services
    from gateway.settings import Settings
    from render_jobs.worker import IngestWorker

WORKER_SHUTDOWN_MARGIN_SECONDS = 35.0
"""Beyond the long poll's wait: a running job's shutdown grace (30 s) and a little more."""

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


@contextlib.asynccontextmanager
async def local_ingest_worker(
    settings: Settings, services: Services
) -> AsyncIterator[IngestWorker | None]:
    """``vitrine worker`` inside this process for the block when ``settings.local_worker`` is
    on (the local stack); on exit it is stopped the way SIGTERM stops it, not cancelled, so
    a long poll in flight hands its messages back and a running job finishes or is released."""
    if not settings.local_worker or services.ingest is None:
        yield None
        return
    from gateway.worker_cli import build_worker  # the render stack loads only when it runs

    worker = build_worker(settings, services)
    task = asyncio.create_task(_guarded("ingest-worker", worker.run()), name="ingest-worker")
    log.info("local_ingest_worker_started", concurrency=worker.config.concurrency)
    try:
        yield worker
    finally:
        worker.stop()
        try:
            await asyncio.wait_for(
                task, settings.worker_wait_seconds + WORKER_SHUTDOWN_MARGIN_SECONDS
            )
        except TimeoutError:
            log.warning("local_ingest_worker_stop_timed_out")
        worker.close()
