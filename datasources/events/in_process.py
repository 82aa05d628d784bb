"""The event bus of one process: bounded queues per subscriber, nothing shared."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Collection
from types import TracebackType

from datasources.events.records import (
    DomainEvent,
    EventStreamInterrupted,
    SubscriberFellBehind,
    Topic,
)

DEFAULT_MAX_PENDING = 256


class EventStream:
    """One subscriber's events, in publish order; raises SubscriberFellBehind once its
    queue overflowed (the events it missed are not replayed)."""

    def __init__(self, bus: InProcessEventBus, topics: frozenset[Topic], max_pending: int):
        self.topics = topics
        self._bus = bus
        self._queue: asyncio.Queue[DomainEvent] = asyncio.Queue(maxsize=max_pending)
        self._overflowed = False
        self._interruption: EventStreamInterrupted | None = None

    def interrupt(self, error: EventStreamInterrupted) -> None:
        """End the stream with ``error`` (raised by the next read, after nothing else)."""
        if self._interruption is not None or self._overflowed:
            return
        self._interruption = error
        # A reader waits only on an empty queue: the marker wakes it; a full queue means the
        # reader is not waiting, and its next read raises anyway.
        with contextlib.suppress(asyncio.QueueFull):
            self._queue.put_nowait(DomainEvent(Topic.PRODUCT_CHANGED, ""))

    def offer(self, event: DomainEvent) -> None:
        """Queue ``event`` without waiting; a full queue marks the stream as fallen behind."""
        if self._overflowed or self._interruption is not None:
            return
        try:
            self._queue.put_nowait(event)
        except asyncio.QueueFull:
            self._overflowed = True
            self._queue = asyncio.Queue(maxsize=1)
            self._queue.put_nowait(event)  # wakes a waiting reader so it sees the overflow

    @property
    def pending(self) -> int:
        """Events queued and not read yet."""
        return self._queue.qsize()

    async def __aenter__(self) -> EventStream:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._bus.unsubscribe(self)

    def __aiter__(self) -> AsyncIterator[DomainEvent]:
        return self

    async def __anext__(self) -> DomainEvent:
        event = await self._queue.get()
        if self._interruption is not None:
            raise self._interruption
        if self._overflowed:
            raise SubscriberFellBehind(
                f"more than {self._queue.maxsize} events were waiting for this subscriber"
            )
        return event


class InProcessEventBus:
    """Publish/subscribe inside one process (the embedded default and unit tests)."""

    def __init__(self, max_pending: int = DEFAULT_MAX_PENDING) -> None:
        self._max_pending = max_pending
        self._streams: set[EventStream] = set()
        self.published = 0
        """Events published through this bus (counted by tests and metrics)."""

    async def publish(self, event: DomainEvent) -> None:
        """Deliver ``event`` to every subscriber of its topic in this process."""
        self.published += 1
        self.deliver(event)

    def deliver(self, event: DomainEvent) -> None:
        """Hand ``event`` to local subscribers (also used by cross-process buses)."""
        for stream in tuple(self._streams):
            if event.topic in stream.topics:
                stream.offer(event)

    def subscribe(self, topics: Collection[Topic], max_pending: int | None = None) -> EventStream:
        """A stream of the events of ``topics`` published from now on; use it as an async
        context manager so it is removed when the subscriber goes."""
        stream = EventStream(self, frozenset(topics), max_pending or self._max_pending)
        self._streams.add(stream)
        return stream

    def unsubscribe(self, stream: EventStream) -> None:
        """Stop delivering to ``stream``."""
        self._streams.discard(stream)

    def interrupt_all(self, reason: str) -> int:
        """End every stream with EventStreamInterrupted(``reason``); how many were ended."""
        streams = tuple(self._streams)
        for stream in streams:
            stream.interrupt(EventStreamInterrupted(reason))
        self._streams.clear()
        return len(streams)

    @property
    def subscriber_count(self) -> int:
        """Streams currently subscribed."""
        return len(self._streams)

    def subscribers_of(self, topic: Topic) -> int:
        """Streams currently subscribed to ``topic``."""
        return sum(1 for stream in self._streams if topic in stream.topics)

    def listen(self) -> None:
        """Nothing to receive: every publisher lives in this process."""

    async def close(self) -> None:
        """Drop every subscriber."""
        self._streams.clear()
