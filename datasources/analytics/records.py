"""Records of the analytics ports: one shopper event and one trending increment."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import orjson


class AnalyticsEventType(StrEnum):
    """What the shopper did."""

    PRODUCT_VIEWED = "PRODUCT_VIEWED"
    MODEL_ROTATED = "MODEL_ROTATED"
    MODEL_ZOOMED = "MODEL_ZOOMED"
    AR_OPENED = "AR_OPENED"
    VARIANT_SWITCHED = "VARIANT_SWITCHED"
    ADDED_TO_CART = "ADDED_TO_CART"
    SEARCHED = "SEARCHED"


TRENDING_WEIGHTS: dict[AnalyticsEventType, int] = {
    AnalyticsEventType.PRODUCT_VIEWED: 1,
    AnalyticsEventType.MODEL_ROTATED: 1,
    AnalyticsEventType.MODEL_ZOOMED: 1,
    AnalyticsEventType.VARIANT_SWITCHED: 1,
    AnalyticsEventType.AR_OPENED: 3,
    AnalyticsEventType.ADDED_TO_CART: 5,
}
"""How much each product event adds to the product's trending score (SEARCHED adds none)."""


@dataclass(frozen=True, slots=True)
class AnalyticsEvent:
    """One accepted shopper event, as the sinks store it (JSON, one object per record)."""

    event_id: str
    type: AnalyticsEventType
    occurred_at: datetime
    received_at: datetime
    session_id: str
    user_sub: str | None = None
    """The Cognito subject of a signed-in shopper; None for API-key and anonymous callers."""
    product_id: str | None = None
    sku: str | None = None
    query: str | None = None

    def to_json(self) -> bytes:
        """The record's bytes (stable keys, ISO 8601 UTC times)."""
        return orjson.dumps(
            {
                "event_id": self.event_id,
                "type": self.type.value,
                "occurred_at": self.occurred_at.isoformat(),
                "received_at": self.received_at.isoformat(),
                "session_id": self.session_id,
                "user_sub": self.user_sub,
                "product_id": self.product_id,
                "sku": self.sku,
                "query": self.query,
            }
        )

    @classmethod
    def from_json(cls, raw: bytes) -> AnalyticsEvent:
        """The event of ``to_json``'s bytes."""
        data = orjson.loads(raw)
        return cls(
            event_id=data["event_id"],
            type=AnalyticsEventType(data["type"]),
            occurred_at=datetime.fromisoformat(data["occurred_at"]),
            received_at=datetime.fromisoformat(data["received_at"]),
            session_id=data["session_id"],
            user_sub=data["user_sub"],
            product_id=data["product_id"],
            sku=data["sku"],
            query=data["query"],
        )


@dataclass(frozen=True, slots=True)
class TrendingHit:
    """``weight`` points for ``product_id`` in ``department`` during the hour of ``at``."""

    department: str
    product_id: str
    at: datetime
    weight: int


@dataclass(frozen=True, slots=True)
class TrendingScore:
    """A product's summed points over the trending window."""

    product_id: str
    points: int
