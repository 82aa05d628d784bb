"""Leaky-bucket rate limiting per identity: the bucket state and its adapters."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class BucketConfig:
    """A leaky bucket: ``capacity`` points, refilled at ``restore_rate`` points per second."""

    capacity: float
    restore_rate: float


@dataclass(frozen=True)
class Throttle:
    """The outcome of charging a bucket (Shopify's ``throttleStatus`` plus the verdict)."""

    allowed: bool
    maximum_available: float
    currently_available: float
    restore_rate: float
    retry_after_seconds: float
    """0 when allowed; otherwise how long until ``cost`` points are available again."""


def retry_after(cost: float, available: float, restore_rate: float) -> float:
    """Seconds until ``available`` has grown to ``cost`` at ``restore_rate`` points a second."""
    return max(0.0, (cost - available) / restore_rate)
