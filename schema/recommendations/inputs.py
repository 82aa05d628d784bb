"""Recommendation inputs."""

from __future__ import annotations

import strawberry

from resolvers.recommendations import Space


@strawberry.input(description="Room for a product, in metres (width x depth x height).")
class SpaceInput:
    width: float
    depth: float
    height: float
    same_category: bool = strawberry.field(
        default=False, description="Only products of the same category as the product."
    )

    def to_record(self) -> Space:
        """The resolver's space."""
        return Space(
            width=self.width,
            depth=self.depth,
            height=self.height,
            same_category=self.same_category,
        )
