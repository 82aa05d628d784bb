"""Recommendation types (backed by ``resolvers.recommendations``)."""

from __future__ import annotations

import strawberry

from resolvers.recommendations import RecommendationIntent
from schema.catalog.types import Product

strawberry.enum(
    RecommendationIntent,
    name="RecommendationIntent",
    description=(
        "RELATED: similar text and attributes. FITS_SPACE: fits the given space, fullest "
        "first. VISUALLY_SIMILAR: similar 3D shape. COMPLEMENTARY: bought together. "
        "TRENDING: most viewed recently in the product's department."
    ),
)


@strawberry.type(description="A recommended product and why it is recommended.")
class Recommendation:
    product: Product
    score: float = strawberry.field(
        description="0..1, higher is stronger; results come best first."
    )
    reason: str = strawberry.field(description="Why, in words a shopper can read.")
