"""The local analytics sink: the most recent events in a ring buffer in this process.

Chosen for the embedded default because locally the events only feed the trending counters
(which have their own store) and a developer's look at what the storefront sends; a
database table would add a migration and a write per event for data nobody reads offline
here. The buffer is bounded, so a busy local gateway never grows without limit. On AWS the
Kinesis sink is the durable one.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

from datasources.analytics.records import AnalyticsEvent


class InProcessAnalyticsSink:
    """AnalyticsSink port over a ``deque`` of at most ``capacity`` events (oldest dropped)."""

    def __init__(self, capacity: int = 10_000) -> None:
        self._events: deque[AnalyticsEvent] = deque(maxlen=capacity)

    async def put(self, events: Sequence[AnalyticsEvent]) -> tuple[int, ...]:
        """Keep ``events``; none fails."""
        self._events.extend(events)
        return ()

    def recent(self) -> list[AnalyticsEvent]:
        """The buffered events, oldest first."""
        return list(self._events)

    async def check(self) -> None:
        """Always available."""

    async def close(self) -> None:
        """Nothing to release."""
