"""Entity tags: which catalog records an answer was built from, for tag-based purges.

The resolver kit notes every resolver's result in the request's :class:`EntityTags`; the
full-response cache stores the tags with the answer, and a PRODUCT_CHANGED, PRICE_CHANGED or
AVAILABILITY_CHANGED event purges the answers carrying that product's or SKU's tag.
"""

from __future__ import annotations

from datasources.records import (
    AssetRecord,
    CategoryRecord,
    ProductRecord,
    StockRecord,
    VariantRecord,
)
from resolvers.connections import Connection

LISTING = "catalog:listing"
"""Answers that depend on which products exist or match (pages, lookups that found nothing):
any product change may alter them, so every product change purges this tag."""

EVERYTHING = "catalog:all"
"""Every cached answer carries it: purged when events may have been missed."""


def product_tag(product_id: str) -> str:
    """The tag of answers showing the product ``product_id``."""
    return f"product:{product_id}"


def sku_tag(sku: str) -> str:
    """The tag of answers showing the variant ``sku`` (its stock included)."""
    return f"sku:{sku}"


def category_tag(category_id: str) -> str:
    """The tag of answers showing the category ``category_id``."""
    return f"category:{category_id}"


class EntityTags:
    """The tags of the records one request's resolvers returned."""

    def __init__(self) -> None:
        self.tags: set[str] = set()

    def note(self, value: object) -> None:
        """Add the tags of ``value``: a record, a connection, or a list of them."""
        tags = self.tags
        if isinstance(value, ProductRecord):
            tags.add(product_tag(value.id))
            tags.add(category_tag(value.category_id))
            tags.update(sku_tag(v.sku) for v in value.variants)
        elif isinstance(value, VariantRecord | StockRecord):
            tags.add(sku_tag(value.sku))
        elif isinstance(value, CategoryRecord):
            tags.add(category_tag(value.id))
        elif isinstance(value, AssetRecord):
            if value.product_id is not None:
                tags.add(product_tag(value.product_id))
        elif isinstance(value, Connection):
            tags.add(LISTING)
            for node in value.nodes:
                self.note(node)
        elif isinstance(value, list | tuple):
            for item in value:
                self.note(item)

    def note_missing(self) -> None:
        """A root lookup found nothing: the answer changes when such a record appears."""
        self.tags.add(LISTING)
