"""The GraphQL schema: strawberry types per domain, composed into one schema."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import strawberry
from strawberry.extensions import SchemaExtension
from strawberry.schema.config import StrawberryConfig

from schema.analytics.mutations import AnalyticsMutation
from schema.assets.mutations import AssetMutation
from schema.assets.queries import AssetQuery
from schema.catalog.mutations import CatalogMutation
from schema.catalog.queries import CatalogQuery
from schema.catalog.types import Asset3D, Category, Product
from schema.recommendations.queries import RecommendationsQuery
from schema.scalars import SCALAR_MAP
from schema.search.queries import SearchQuery
from schema.shopping.mutations import ShoppingMutation
from schema.shopping.queries import ShoppingQuery
from schema.shopping.types import Cart, Order
from schema.subscriptions.fields import Subscription


@strawberry.type
class Query(CatalogQuery, SearchQuery, RecommendationsQuery, ShoppingQuery, AssetQuery):
    """Root query."""


@strawberry.type
class Mutation(CatalogMutation, ShoppingMutation, AssetMutation, AnalyticsMutation):
    """Root mutation."""


class VitrineSchema(strawberry.Schema):
    """The schema; errors are logged by the gateway's error extension, not here."""

    def process_errors(self, errors: Any, execution_context: Any = None) -> None:
        """Leave logging to ``gateway.errors`` (which masks and logs the unexpected ones)."""


def build_schema(extensions: Sequence[type[SchemaExtension]] = ()) -> strawberry.Schema:
    """The Vitrine schema with the given schema extensions (classes, not instances)."""
    return VitrineSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[Product, Category, Asset3D, Cart, Order],
        extensions=list(extensions),
        config=StrawberryConfig(scalar_map=SCALAR_MAP),
    )
