"""Counting a subscription fan-out: which subscriber got which broadcast, how late, how often.

Pure logic (no I/O), shared by the subscription benchmark and its smoke test. Every broadcast
carries a marker (the units available after the mutation, distinct per broadcast); each
subscriber's deliveries are (driver monotonic time, marker) pairs on the same clock as the
broadcast's send time.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import orjson

from bench.load import percentile

Delivery = tuple[float, int]
"""When a subscriber read a message (``time.monotonic()``) and the broadcast marker in it."""


@dataclass(frozen=True)
class Broadcast:
    """One mutation (or baseline push): its marker, when it was sent and answered."""

    marker: int
    sent_at: float
    answered_at: float
    warmup: bool = False

    @property
    def request_ms(self) -> float:
        """The mutation's own round trip."""
        return (self.answered_at - self.sent_at) * 1000


@dataclass(frozen=True)
class BroadcastTally:
    """What the subscribers made of one broadcast."""

    broadcast: Broadcast
    latencies_ms: tuple[float, ...]
    """Send-to-delivery time of each subscriber's first copy."""
    missed: int
    duplicated: int
    """Subscribers that got it more than once."""

    @property
    def delivered(self) -> int:
        """Subscribers that got it (at least once)."""
        return len(self.latencies_ms)

    def percentile_ms(self, q: float) -> float:
        """The ``q``-th percentile of delivery latency."""
        return percentile(self.latencies_ms, q)

    @property
    def max_ms(self) -> float:
        """The last subscriber's latency."""
        return max(self.latencies_ms, default=math.nan)

    @property
    def messages_per_second(self) -> float:
        """Deliveries per second, from the send to the last subscriber's copy."""
        return self.delivered / (self.max_ms / 1000) if self.latencies_ms else 0.0


@dataclass(frozen=True)
class FanoutTally:
    """Every broadcast of a run, and messages that belong to none."""

    subscribers: int
    broadcasts: tuple[BroadcastTally, ...]
    unexpected: int
    """Messages whose marker no broadcast had (or that carried no marker: errors)."""

    @property
    def measured(self) -> tuple[BroadcastTally, ...]:
        """The broadcasts after the warm-up."""
        return tuple(b for b in self.broadcasts if not b.broadcast.warmup)

    @property
    def latencies_ms(self) -> list[float]:
        """Every delivery latency of the measured broadcasts."""
        return [ms for b in self.measured for ms in b.latencies_ms]

    @property
    def missed(self) -> int:
        """Subscriber x broadcast pairs with no delivery (warm-up included)."""
        return sum(b.missed for b in self.broadcasts)

    @property
    def duplicated(self) -> int:
        """Subscriber x broadcast pairs delivered more than once (warm-up included)."""
        return sum(b.duplicated for b in self.broadcasts)

    @property
    def exactly_once(self) -> bool:
        """Every subscriber got every broadcast once, and nothing else."""
        return self.missed == 0 and self.duplicated == 0 and self.unexpected == 0


def tally(broadcasts: Sequence[Broadcast], deliveries: Sequence[Sequence[Delivery]]) -> FanoutTally:
    """Match each subscriber's deliveries (one sequence per subscriber) to the broadcasts."""
    by_marker = {b.marker: b for b in broadcasts}
    if len(by_marker) != len(broadcasts):
        raise ValueError("two broadcasts share a marker")
    latencies: dict[int, list[float]] = {b.marker: [] for b in broadcasts}
    missed: Counter[int] = Counter()
    duplicated: Counter[int] = Counter()
    unexpected = 0
    for received in deliveries:
        first: dict[int, float] = {}
        copies: Counter[int] = Counter()
        for at, marker in received:
            if marker not in by_marker:
                unexpected += 1
                continue
            copies[marker] += 1
            first[marker] = min(at, first.get(marker, at))
        for marker, broadcast in by_marker.items():
            if marker not in first:
                missed[marker] += 1
                continue
            latencies[marker].append((first[marker] - broadcast.sent_at) * 1000)
            if copies[marker] > 1:
                duplicated[marker] += 1
    return FanoutTally(
        subscribers=len(deliveries),
        broadcasts=tuple(
            BroadcastTally(b, tuple(latencies[b.marker]), missed[b.marker], duplicated[b.marker])
            for b in broadcasts
        ),
        unexpected=unexpected,
    )


NO_MARKER = -1


def marker_of(message: bytes | str) -> int:
    """The marker in a graphql-transport-ws ``next`` message of ``onInventoryChanged``
    (``NO_MARKER`` for anything else: an error result, another field)."""
    try:
        payload = orjson.loads(message)["payload"]
        return int(payload["data"]["onInventoryChanged"]["available"])
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        return NO_MARKER


def next_message(operation_id: str, sku: str, available: int) -> bytes:
    """The ``next`` message a subscriber of ``onInventoryChanged { sku available }`` gets
    (what the baseline server pushes)."""
    data = {"onInventoryChanged": {"sku": sku, "available": available}}
    return orjson.dumps({"id": operation_id, "type": "next", "payload": {"data": data}})
