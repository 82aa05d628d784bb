"""Analytics inputs and results (backed by ``resolvers.analytics``)."""

from __future__ import annotations

import strawberry

from datasources.analytics.records import AnalyticsEventType
from resolvers.analytics import AnalyticsEventErrorCode, EventInput
from schema.scalars import AWSDateTime

strawberry.enum(AnalyticsEventType, name="AnalyticsEventType", description="What the shopper did.")
strawberry.enum(
    AnalyticsEventErrorCode, name="AnalyticsEventErrorCode", description="Why an event was refused."
)


@strawberry.input(
    description=(
        "One shopper event. Product events need productId (VARIANT_SWITCHED and ADDED_TO_CART "
        "also the sku); SEARCHED needs query and takes neither."
    )
)
class AnalyticsEventInput:
    type: AnalyticsEventType
    session_id: str = strawberry.field(
        description="The storefront's session id: 8 to 64 letters, digits, '-' or '_'."
    )
    occurred_at: AWSDateTime | None = strawberry.field(
        default=None,
        description="When it happened (at most 24 hours ago); default: when it was received.",
    )
    product_id: strawberry.ID | None = None
    sku: str | None = None
    query: str | None = strawberry.field(default=None, description="What was searched for.")

    def to_record(self) -> EventInput:
        """The resolver's event (the product ID is checked per event by the resolver)."""
        return EventInput(
            type=self.type,
            session_id=self.session_id,
            occurred_at=self.occurred_at,
            product_id=None if self.product_id is None else str(self.product_id),
            sku=self.sku,
            query=self.query,
        )


@strawberry.type(description="A refused event: its index in the batch and why.")
class AnalyticsEventError:
    index: int
    code: AnalyticsEventErrorCode
    message: str


@strawberry.type(description="How many events were kept, and why the others were not.")
class TrackEventsResult:
    accepted: int
    errors: list[AnalyticsEventError]
