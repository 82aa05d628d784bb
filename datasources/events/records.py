"""The domain event record, its topics, and how it travels as JSON."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import orjson


class Topic(StrEnum):
    """What an event is about; ``DomainEvent.key`` names the entity."""

    PRODUCT_CHANGED = "catalog.product_changed"
    """A product was created, edited, archived or had a variant or asset change (key: id)."""
    PRICE_CHANGED = "catalog.price_changed"
    """A variant's price changed (key: product id)."""
    INVENTORY_CHANGED = "inventory.changed"
    """Units available of a SKU changed (key: SKU)."""
    AVAILABILITY_CHANGED = "catalog.availability_changed"
    """The catalog's fast availability counter of a SKU was rewritten from the inventory
    (key: SKU; payload: available, productId). Readers of the counter (the search index, the
    response cache) follow this rather than INVENTORY_CHANGED, which comes before it."""
    ORDER_STATUS_CHANGED = "order.status_changed"
    """An order moved to another status (key: order id)."""
    CART_CHANGED = "cart.changed"
    """A cart's lines, discounts or owner changed (key: cart id)."""
    RENDER_JOB_PROGRESS = "render_job.progress"
    """An ingest or render job moved on (key: job id)."""


class SubscriberFellBehind(Exception):
    """A consumer did not keep up: its bounded queue filled and it was dropped."""


class EventStreamInterrupted(Exception):
    """The bus lost its connection (Redis down): events may have been missed, so the
    subscriber is ended and should subscribe again (after reading the current state)."""


def _now() -> datetime:
    return datetime.now(UTC)


def _new_id() -> str:
    return uuid.uuid4().hex


@dataclass(frozen=True)
class DomainEvent:
    """One change, JSON-safe: ``payload`` holds only JSON values."""

    topic: Topic
    key: str
    payload: Mapping[str, Any] = field(default_factory=dict)
    event_id: str = field(default_factory=_new_id)
    occurred_at: datetime = field(default_factory=_now)

    def to_json(self) -> bytes:
        """The event as a JSON document (for Redis pub/sub, SQS, Kinesis)."""
        return orjson.dumps(
            {
                "topic": self.topic.value,
                "key": self.key,
                "payload": self.payload,
                "eventId": self.event_id,
                "occurredAt": self.occurred_at.isoformat(),
            }
        )

    @classmethod
    def from_json(cls, raw: bytes | str) -> DomainEvent:
        """Parse ``to_json``'s output; ValueError on anything else."""
        try:
            data = orjson.loads(raw)
            return cls(
                topic=Topic(data["topic"]),
                key=str(data["key"]),
                payload=dict(data["payload"]),
                event_id=str(data["eventId"]),
                occurred_at=datetime.fromisoformat(data["occurredAt"]),
            )
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as error:
            raise ValueError(f"not a domain event: {error}") from error
