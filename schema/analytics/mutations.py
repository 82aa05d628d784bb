"""The analytics mutation."""

from __future__ import annotations

import strawberry

from resolvers import analytics
from resolvers.analytics import EventInput
from resolvers.kit import Pipeline
from schema.analytics.types import AnalyticsEventInput, TrackEventsResult
from schema.permissions import STOREFRONT_DIRECTIVES, storefront


@strawberry.type
class AnalyticsMutation:
    """Shopper events from storefronts (API key or Cognito)."""

    @strawberry.mutation(
        graphql_type=TrackEventsResult,
        description=(
            "Record up to 100 shopper events. Each is validated on its own: the valid ones are "
            "kept, the others reported by index. Rate-limited per caller, one point per event."
        ),
        extensions=[Pipeline(analytics.track_events), storefront()],
        directives=STOREFRONT_DIRECTIVES,
    )
    def track_events(self, events: list[AnalyticsEventInput]) -> list[EventInput]:
        return [event.to_record() for event in events]
