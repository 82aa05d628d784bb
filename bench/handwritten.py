"""The hand-written baseline: plain FastAPI JSON endpoints over the same catalog adapter.

Each page makes its data-source calls by hand, batched the way a careful developer would
(one tree read, one listing query, one batch each for assets and stock), and returns the
same JSON as the GraphQL operation's ``data``. The round trips are counted with the same
``call_log`` the gateway uses and returned in the ``x-datasource-calls`` header.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from fastapi import FastAPI
from fastapi.responses import ORJSONResponse

from datasources.instrumentation import CallLog, call_log
from datasources.ports import AssetUrls, CatalogReader
from datasources.records import (
    AssetRecord,
    CategoryRecord,
    Money,
    ProductFilter,
    ProductPageRequest,
    ProductRecord,
    ProductSort,
    StockRecord,
    VariantRecord,
)
from gateway.bootstrap import Services
from resolvers.global_ids import to_global_id

JSON = dict[str, Any]
CALLS_HEADER = "x-datasource-calls"
CALL_OPS_HEADER = "x-datasource-ops"
LISTING_PAGE_SIZE = 24


def _money(money: Money | None) -> JSON | None:
    return None if money is None else {"amount": money.amount, "currency": money.currency}


def _price_range(product: ProductRecord) -> JSON | None:
    price = product.price_range
    return None if price is None else {"min": _money(price.min), "max": _money(price.max)}


def _ancestors(category: CategoryRecord, by_id: dict[str, CategoryRecord]) -> list[CategoryRecord]:
    chain: list[CategoryRecord] = []
    parent_id = category.parent_id
    while parent_id is not None and parent_id in by_id and len(chain) < len(by_id):
        chain.append(by_id[parent_id])
        parent_id = by_id[parent_id].parent_id
    return list(reversed(chain))


def _stock_fields(variant: VariantRecord, stock: dict[str, StockRecord]) -> JSON:
    found = stock.get(variant.sku)
    return {
        "availability": "OUT_OF_STOCK" if found is None else found.availability.value,
        "quantityAvailable": 0 if found is None else max(found.quantity_available, 0),
    }


def _by_key(keys: Iterable[str], found: list[Any]) -> dict[str, Any]:
    return {k: v for k, v in zip(keys, found, strict=True) if v is not None}


class Pages:
    """The two storefront pages, assembled by hand."""

    def __init__(self, catalog: CatalogReader, urls: AssetUrls) -> None:
        self._catalog = catalog
        self._urls = urls

    def _viewer_asset(self, asset: AssetRecord) -> JSON:
        return {
            "id": to_global_id("Asset3D", asset.id),
            "format": asset.format.value,
            "posterUrl": None if asset.poster_key is None else self._urls.url_for(asset.poster_key),
            "triangleCount": asset.triangle_count,
            "bounds": {"min": list(asset.bounds.min), "max": list(asset.bounds.max)},
            "sources": [
                {
                    "format": s.format.value,
                    "lod": s.lod,
                    "url": self._urls.url_for(s.key),
                    "contentType": s.content_type,
                    "byteSize": s.byte_size,
                    "triangleCount": s.triangle_count,
                }
                for s in asset.sources
            ],
            "materialVariants": [
                {
                    "variantName": m.variant_name,
                    "optionName": m.option_name,
                    "optionValue": m.option_value,
                }
                for m in asset.material_variants
            ],
        }

    async def product_page(self, slug: str) -> JSON:
        """The ProductPage operation: product, variants with stock, 3D assets, breadcrumbs."""
        product = await self._catalog.product_by_slug(slug)
        if product is None:
            return {"product": None}
        skus = [v.sku for v in product.variants]
        stock_list, asset_list, categories = await asyncio.gather(
            self._catalog.stock_by_skus(skus),
            self._catalog.assets_by_ids(product.asset_ids),
            self._catalog.all_categories(),
        )
        stock = _by_key(skus, stock_list)
        by_id = {c.id: c for c in categories}
        category = by_id.get(product.category_id)
        return {
            "product": {
                "id": to_global_id("Product", product.id),
                "slug": product.slug,
                "name": product.name,
                "description": product.description,
                "brand": product.brand,
                "tags": list(product.tags),
                "priceRange": _price_range(product),
                "dimensions": {
                    "width": product.dimensions.width,
                    "depth": product.dimensions.depth,
                    "height": product.dimensions.height,
                },
                "variants": [
                    {
                        "sku": v.sku,
                        "title": v.title,
                        "options": [{"name": o.name, "value": o.value} for o in v.options],
                        "price": _money(v.price),
                        "compareAtPrice": _money(v.compare_at_price),
                        **_stock_fields(v, stock),
                    }
                    for v in product.variants
                ],
                "media": [
                    {
                        "url": self._urls.url_for(m.key),
                        "alt": m.alt,
                        "width": m.width,
                        "height": m.height,
                        "contentType": m.content_type,
                    }
                    for m in product.media
                ],
                "assets": [self._viewer_asset(a) for a in asset_list if a is not None],
                "category": None
                if category is None
                else {
                    "id": to_global_id("Category", category.id),
                    "slug": category.slug,
                    "name": category.name,
                    "ancestors": [
                        {"id": to_global_id("Category", a.id), "slug": a.slug, "name": a.name}
                        for a in _ancestors(category, by_id)
                    ],
                },
            }
        }

    def _card(
        self,
        product: ProductRecord,
        assets: dict[str, AssetRecord],
        stock: dict[str, StockRecord] | None,
        by_id: dict[str, CategoryRecord],
    ) -> JSON:
        card: JSON = {
            "id": to_global_id("Product", product.id),
            "slug": product.slug,
            "name": product.name,
            "brand": product.brand,
            "priceRange": _price_range(product),
            "media": [{"url": self._urls.url_for(m.key), "alt": m.alt} for m in product.media],
            "assets": [
                {
                    "id": to_global_id("Asset3D", a.id),
                    "posterUrl": None if a.poster_key is None else self._urls.url_for(a.poster_key),
                }
                for a in (assets.get(i) for i in product.asset_ids)
                if a is not None
            ],
        }
        if stock is not None:
            category = by_id.get(product.category_id)
            card["variants"] = [
                {
                    "sku": v.sku,
                    "title": v.title,
                    "price": _money(v.price),
                    **_stock_fields(v, stock),
                }
                for v in product.variants
            ]
            card["category"] = (
                None
                if category is None
                else {
                    "id": to_global_id("Category", category.id),
                    "slug": category.slug,
                    "name": category.name,
                }
            )
        return card

    async def category_listing(self, slug: str, *, full_cards: bool) -> JSON:
        """The CategoryListing operation (``full_cards``: with variants, stock and category)."""
        categories = await self._catalog.all_categories()
        category = next((c for c in categories if c.slug == slug), None)
        if category is None:
            return {"category": None}
        by_id = {c.id: c for c in categories}
        request = ProductPageRequest(
            filter=ProductFilter(category_id=category.id),
            sort=ProductSort.NAME_ASC,
            first=LISTING_PAGE_SIZE,
        )
        page = await self._catalog.list_products(request)
        asset_ids = list(dict.fromkeys(i for p in page.items for i in p.asset_ids))
        skus = list(dict.fromkeys(v.sku for p in page.items for v in p.variants))
        stock: dict[str, StockRecord] | None = None
        if full_cards:
            asset_list, stock_list = await asyncio.gather(
                self._catalog.assets_by_ids(asset_ids), self._catalog.stock_by_skus(skus)
            )
            stock = _by_key(skus, stock_list)
        else:
            asset_list = await self._catalog.assets_by_ids(asset_ids)
        assets = _by_key(asset_ids, asset_list)
        return {
            "category": {
                "id": to_global_id("Category", category.id),
                "slug": category.slug,
                "name": category.name,
                "description": category.description,
                "ancestors": [
                    {"slug": a.slug, "name": a.name} for a in _ancestors(category, by_id)
                ],
                "products": {
                    "totalCount": page.total_count,
                    "pageInfo": {
                        "hasNextPage": page.has_next_page,
                        "endCursor": page.cursors[-1] if page.cursors else None,
                    },
                    "edges": [
                        {"cursor": cursor, "node": self._card(p, assets, stock, by_id)}
                        for p, cursor in zip(page.items, page.cursors, strict=True)
                    ],
                },
            }
        }


async def _counted(build: Callable[[], Awaitable[JSON]]) -> ORJSONResponse:
    log: CallLog
    with call_log() as log:
        body = await build()
    ops = ",".join(f"{name}={count}" for name, count in sorted(log.calls.items()))
    return ORJSONResponse(body, headers={CALLS_HEADER: str(log.total), CALL_OPS_HEADER: ops})


def create_handwritten_app(services: Services) -> FastAPI:
    """The baseline app: ``GET /pages/product/{slug}``, ``GET /pages/category/{slug}``."""
    app = FastAPI(title="Vitrine hand-written baseline", docs_url=None, redoc_url=None)
    pages = Pages(services.catalog, services.asset_urls)

    @app.get("/pages/product/{slug}")
    async def product_page(slug: str) -> ORJSONResponse:
        return await _counted(lambda: pages.product_page(slug))

    @app.get("/pages/category/{slug}")
    async def category_listing(slug: str, cards: str = "basic") -> ORJSONResponse:
        return await _counted(lambda: pages.category_listing(slug, full_cards=cards == "full"))

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
