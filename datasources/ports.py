"""Ports: what resolvers need from the outside world, as Protocols.

Each port has a real adapter (DynamoDB, S3, Redis...) and, for unit tests, a fake in
``tests/fakes`` that satisfies the same Protocol.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from datasources.records import (
    AssetRecord,
    CategoryRecord,
    Page,
    ProductPageRequest,
    ProductRecord,
    StockRecord,
)


class CatalogReader(Protocol):
    """Reads of the product catalog; batch methods return results in the order of the keys."""

    async def products_by_ids(self, ids: Sequence[str]) -> list[ProductRecord | None]:
        """Products for ``ids``, None where absent."""
        ...

    async def product_by_slug(self, slug: str) -> ProductRecord | None:
        """The product with this URL slug, if any."""
        ...

    async def list_products(self, request: ProductPageRequest) -> Page[ProductRecord]:
        """One page of products matching the request's filter, in its sort order."""
        ...

    async def categories_by_ids(self, ids: Sequence[str]) -> list[CategoryRecord | None]:
        """Categories for ``ids``, None where absent."""
        ...

    async def all_categories(self) -> list[CategoryRecord]:
        """Every category (the tree is small and read whole)."""
        ...

    async def assets_by_ids(self, ids: Sequence[str]) -> list[AssetRecord | None]:
        """3D asset records for ``ids``, None where absent."""
        ...

    async def stock_by_skus(self, skus: Sequence[str]) -> list[StockRecord | None]:
        """Availability counters for ``skus``, None where absent."""
        ...


class CatalogWriter(Protocol):
    """Writes of the product catalog, with optimistic locking on products."""

    async def create_product(self, product: ProductRecord) -> ProductRecord:
        """Store a new product at version 1; AlreadyExists if its id or slug is taken."""
        ...

    async def update_product(self, product: ProductRecord, expected_version: int) -> ProductRecord:
        """Replace a product if it is at ``expected_version``; VersionConflict otherwise."""
        ...

    async def put_category(self, category: CategoryRecord) -> None:
        """Create or replace a category."""
        ...

    async def put_asset(self, asset: AssetRecord) -> None:
        """Create or replace a 3D asset record."""
        ...

    async def put_stock(self, stock: StockRecord) -> None:
        """Create or replace the availability counter of a SKU."""
        ...


class Catalog(CatalogReader, CatalogWriter, Protocol):
    """The whole catalog port."""

    async def check(self) -> None:
        """Raise DataSourceUnavailable unless the backing store answers."""
        ...


class BlobStore(Protocol):
    """Object storage for 3D files and images."""

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        """Store ``data`` under ``key``."""
        ...

    async def get(self, key: str) -> bytes:
        """The bytes stored under ``key``; NotFound if absent."""
        ...

    async def exists(self, key: str) -> bool:
        """Whether an object is stored under ``key``."""
        ...

    async def check(self) -> None:
        """Raise DataSourceUnavailable unless the store answers."""
        ...


class AssetUrls(Protocol):
    """Turns object keys into URLs a browser can fetch (presigned S3 or CDN)."""

    def url_for(self, key: str) -> str:
        """A URL for the object ``key``."""
        ...


class KeyValueCache(Protocol):
    """A byte cache with expiry: Redis (ElastiCache) or in-process."""

    async def get(self, key: str) -> bytes | None:
        """The cached value, or None when absent or expired."""
        ...

    async def set(self, key: str, value: bytes, ttl_seconds: float) -> None:
        """Cache ``value`` for ``ttl_seconds``."""
        ...

    async def delete(self, *keys: str) -> None:
        """Forget ``keys``."""
        ...

    async def check(self) -> None:
        """Raise DataSourceUnavailable unless the cache answers."""
        ...
