"""In-memory catalog satisfying the Catalog port, for unit tests of resolver logic."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import replace

from datasources.errors import AlreadyExists, DataSourceUnavailable, NotFound, VersionConflict
from datasources.instrumentation import record_call
from datasources.job_records import RenderOutput
from datasources.listing import matches, paginate
from datasources.records import (
    AssetRecord,
    CategoryRecord,
    Page,
    ProductPageRequest,
    ProductRecord,
    ProductStatus,
    StockRecord,
)


class FakeCatalog:
    """Catalog port in dictionaries; every method counts as one round trip."""

    def __init__(self) -> None:
        self.products: dict[str, ProductRecord] = {}
        self.categories: dict[str, CategoryRecord] = {}
        self.assets: dict[str, AssetRecord] = {}
        self.stock: dict[str, StockRecord] = {}
        self.down = False

    def _call(self, operation: str) -> None:
        if self.down:
            raise DataSourceUnavailable("fake catalog", "switched off by the test")

    async def products_by_ids(self, ids: Sequence[str]) -> list[ProductRecord | None]:
        with record_call("fake", "products_by_ids"):
            self._call("products_by_ids")
            return [self.products.get(i) for i in ids]

    async def product_by_slug(self, slug: str) -> ProductRecord | None:
        with record_call("fake", "product_by_slug"):
            self._call("product_by_slug")
            return next((p for p in self.products.values() if p.slug == slug), None)

    async def list_products(self, request: ProductPageRequest) -> Page[ProductRecord]:
        with record_call("fake", "list_products"):
            self._call("list_products")
            return paginate(
                (p for p in self.products.values() if matches(p, request.filter)), request
            )

    async def product_batches(
        self, statuses: Sequence[ProductStatus], size: int
    ) -> AsyncIterator[Sequence[ProductRecord]]:
        wanted = [p for p in self.products.values() if p.status in statuses]
        for start in range(0, len(wanted), size):
            with record_call("fake", "product_batches"):
                self._call("product_batches")
                batch = wanted[start : start + size]
            yield batch

    async def categories_by_ids(self, ids: Sequence[str]) -> list[CategoryRecord | None]:
        with record_call("fake", "categories_by_ids"):
            self._call("categories_by_ids")
            return [self.categories.get(i) for i in ids]

    async def all_categories(self) -> list[CategoryRecord]:
        with record_call("fake", "all_categories"):
            self._call("all_categories")
            return sorted(self.categories.values(), key=lambda c: (c.position, c.id))

    async def assets_by_ids(self, ids: Sequence[str]) -> list[AssetRecord | None]:
        with record_call("fake", "assets_by_ids"):
            self._call("assets_by_ids")
            return [self.assets.get(i) for i in ids]

    async def stock_by_skus(self, skus: Sequence[str]) -> list[StockRecord | None]:
        with record_call("fake", "stock_by_skus"):
            self._call("stock_by_skus")
            return [self.stock.get(s) for s in skus]

    async def create_product(self, product: ProductRecord) -> ProductRecord:
        with record_call("fake", "create_product"):
            self._call("create_product")
            if product.id in self.products or any(
                p.slug == product.slug for p in self.products.values()
            ):
                raise AlreadyExists(f"The slug {product.slug!r} is taken")
            stored = replace(product, version=1)
            self.products[product.id] = stored
            return stored

    async def update_product(self, product: ProductRecord, expected_version: int) -> ProductRecord:
        with record_call("fake", "update_product"):
            self._call("update_product")
            current = self.products.get(product.id)
            if current is None:
                raise NotFound(product.id)
            if current.version != expected_version:
                raise VersionConflict("Product", product.id, expected_version, current.version)
            if any(p.slug == product.slug and p.id != product.id for p in self.products.values()):
                raise AlreadyExists(f"The slug {product.slug!r} is taken")
            stored = replace(product, version=expected_version + 1)
            self.products[product.id] = stored
            return stored

    async def put_category(self, category: CategoryRecord) -> None:
        self.categories[category.id] = category

    async def put_asset(self, asset: AssetRecord) -> None:
        self.assets[asset.id] = asset

    async def record_renders(
        self, asset_id: str, outputs: Sequence[RenderOutput]
    ) -> AssetRecord | None:
        current = self.assets.get(asset_id)
        if current is None:
            return None
        self.assets[asset_id] = current.with_renders(outputs)
        return self.assets[asset_id]

    async def put_stock(self, stock: StockRecord) -> None:
        self.stock[stock.sku] = stock

    async def check(self) -> None:
        self._call("check")


class FakeAssetUrls:
    """AssetUrls port returning predictable URLs."""

    def url_for(self, key: str) -> str:
        return f"https://cdn.test/{key}"
