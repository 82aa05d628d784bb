"""The event bus across processes: Redis pub/sub (ElastiCache on AWS).

Every process publishes to one channel per topic (``<prefix><topic>``) and listens on all of
them with one pub/sub connection; what arrives is handed to this process's subscribers by an
:class:`InProcessEventBus`. A publisher does not deliver locally: its own message comes back
from Redis like everybody else's, so each subscriber in each process sees each event once.

Pub/sub keeps nothing for absent listeners: when the connection drops, every local subscriber
is ended with :class:`EventStreamInterrupted` (they may have missed events and must resubscribe
after reading the current state), and the listener reconnects with exponential backoff.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Collection

from redis.asyncio import Redis
from redis.exceptions import RedisError
from tenacity import AsyncRetrying, retry_if_exception_type, wait_exponential

from datasources.errors import DataSourceUnavailable
from datasources.events.in_process import DEFAULT_MAX_PENDING, EventStream, InProcessEventBus
from datasources.events.records import DomainEvent, Topic

log = logging.getLogger("vitrine.events.redis")

LISTEN_POLL_SECONDS = 1.0


class RedisEventBus:
    """EventBus port on Redis pub/sub with local fan-out and reconnects."""

    def __init__(
        self,
        url: str,
        channel_prefix: str = "vitrine:events:",
        *,
        max_pending: int = DEFAULT_MAX_PENDING,
        timeout_seconds: float = 2.0,
        reconnect_min_seconds: float = 0.1,
        reconnect_max_seconds: float = 5.0,
    ) -> None:
        self._url = url
        self._prefix = channel_prefix
        self.client_name = f"vitrine-events-{uuid.uuid4().hex[:12]}"
        """The Redis CLIENT name of this bus's connections (operators can find them)."""
        self._redis = Redis.from_url(
            url,
            socket_connect_timeout=timeout_seconds,
            client_name=self.client_name,
            health_check_interval=30,
        )
        self._local = InProcessEventBus(max_pending)
        self._wait = wait_exponential(min=reconnect_min_seconds, max=reconnect_max_seconds)
        self._listener: asyncio.Task[None] | None = None
        self._listening = asyncio.Event()
        self.published = 0
        """Events published through this bus."""
        self.received = 0
        """Events received from Redis and handed to local subscribers."""
        self.interruptions = 0
        """Times the pub/sub connection was lost."""

    def channel(self, topic: Topic) -> str:
        """The Redis channel of ``topic``."""
        return f"{self._prefix}{topic.value}"

    async def publish(self, event: DomainEvent) -> None:
        """Publish ``event`` to its topic's channel (DataSourceUnavailable when Redis is
        unreachable)."""
        try:
            await self._redis.publish(self.channel(event.topic), event.to_json())
        except (RedisError, OSError) as error:
            raise DataSourceUnavailable(f"Redis at {self._url}", str(error)) from error
        self.published += 1

    def subscribe(self, topics: Collection[Topic], max_pending: int | None = None) -> EventStream:
        """A local stream of ``topics``; starts the Redis listener on first use."""
        self.listen()
        return self._local.subscribe(topics, max_pending)

    async def start(self) -> None:
        """Start listening and wait until the channels are subscribed in Redis (events
        published from then on reach this process)."""
        self.listen()
        await self._listening.wait()

    @property
    def listening(self) -> bool:
        """Whether the pub/sub connection is subscribed now."""
        return self._listening.is_set()

    @property
    def subscriber_count(self) -> int:
        """Local streams currently subscribed."""
        return self._local.subscriber_count

    def subscribers_of(self, topic: Topic) -> int:
        """Local streams currently subscribed to ``topic``."""
        return self._local.subscribers_of(topic)

    def listen(self) -> None:
        """Start the listener task if it is not running (returns at once)."""
        if self._listener is None or self._listener.done():
            self._listener = asyncio.get_running_loop().create_task(
                self._listen_forever(), name=f"{self.client_name}-listener"
            )

    async def _listen_forever(self) -> None:
        retrying = AsyncRetrying(
            wait=self._wait,
            retry=retry_if_exception_type((RedisError, OSError)),
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                await self._listen_once()

    async def _listen_once(self) -> None:
        pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
        try:
            await pubsub.subscribe(*(self.channel(topic) for topic in Topic))
            self._listening.set()
            log.info("event bus listening on %s*", self._prefix)
            while True:
                message = await pubsub.get_message(timeout=LISTEN_POLL_SECONDS)
                if message is None or message.get("type") != "message":
                    continue
                self._receive(message["data"])
        except (RedisError, OSError) as error:
            self._connection_lost(error)
            raise
        finally:
            with contextlib.suppress(RedisError, OSError):
                await pubsub.aclose()  # type: ignore[no-untyped-call]

    def _receive(self, raw: bytes) -> None:
        try:
            event = DomainEvent.from_json(raw)
        except ValueError as error:
            log.warning("ignored a message that is not a domain event: %s", error)
            return
        self.received += 1
        self._local.deliver(event)

    def _connection_lost(self, error: Exception) -> None:
        self._listening.clear()
        self.interruptions += 1
        ended = self._local.interrupt_all(
            f"the event stream lost its connection to Redis ({type(error).__name__}); "
            "events may have been missed: read the current state and subscribe again"
        )
        log.warning("event bus lost Redis (%s); ended %d subscribers, reconnecting", error, ended)

    async def close(self) -> None:
        """Stop listening, drop local subscribers and close the connections."""
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError, RedisError, OSError):
                await self._listener
            self._listener = None
        self._listening.clear()
        await self._local.close()
        await self._redis.aclose()
