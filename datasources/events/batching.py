"""Coalescing an event stream into small batches, for consumers whose cost is per round
trip rather than per event (the availability projection, the search indexer).

Under load a checkout publishes several events within milliseconds; applying them one by
one costs the same reads and index commits each time. A batch is the first event plus
whatever else arrives within ``window_seconds`` (at most ``max_events``), so an idle stream
adds no delay beyond the window and a busy one pays once per batch.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, AsyncIterator

from datasources.events.records import DomainEvent

DEFAULT_WINDOW_SECONDS = 0.05
DEFAULT_MAX_EVENTS = 100


async def event_batches(
    stream: AsyncIterable[DomainEvent],
    *,
    window_seconds: float = DEFAULT_WINDOW_SECONDS,
    max_events: int = DEFAULT_MAX_EVENTS,
) -> AsyncIterator[list[DomainEvent]]:
    """Batches of ``stream``'s events in arrival order; errors of the stream propagate
    (after the events received before them are yielded). Never cancels a pending read, so
    no event is lost between batches."""
    events = aiter(stream)
    loop = asyncio.get_running_loop()
    pending: asyncio.Future[DomainEvent] = asyncio.ensure_future(anext(events))
    try:
        while True:
            batch = [await pending]
            pending = asyncio.ensure_future(anext(events))
            deadline = loop.time() + window_seconds
            while len(batch) < max_events:
                done, _ = await asyncio.wait({pending}, timeout=deadline - loop.time())
                if not done or pending.exception() is not None:
                    break
                batch.append(pending.result())
                pending = asyncio.ensure_future(anext(events))
            yield batch
    except StopAsyncIteration:
        return
    finally:
        if not pending.done():
            pending.cancel()
