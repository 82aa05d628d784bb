"""Recommendation queries."""

from __future__ import annotations

import strawberry

from resolvers import recommendations as recommendation_resolvers
from resolvers.global_ids import expect_global_id
from resolvers.kit import Pipeline
from resolvers.recommendations import RecommendationIntent, RecommendationRequest
from schema.permissions import PUBLIC_READ_DIRECTIVES, public_read
from schema.recommendations.inputs import SpaceInput
from schema.recommendations.types import Recommendation

DEFAULT_RECOMMENDATIONS = 8


@strawberry.type
class RecommendationsQuery:
    """Public recommendations (API key or Cognito)."""

    @strawberry.field(
        graphql_type=list[Recommendation],
        description=(
            "Products to show beside `productId`, best first, each with a reason (at most 50). "
            "FITS_SPACE needs `space`."
        ),
        directives=PUBLIC_READ_DIRECTIVES,
        extensions=[Pipeline(recommendation_resolvers.recommendations), public_read()],
    )
    def recommendations(
        self,
        product_id: strawberry.ID,
        intent: RecommendationIntent,
        first: int = DEFAULT_RECOMMENDATIONS,
        space: SpaceInput | None = None,
    ) -> RecommendationRequest:
        return RecommendationRequest(
            product_id=expect_global_id(product_id, "Product"),
            intent=intent,
            first=first,
            space=None if space is None else space.to_record(),
        )
