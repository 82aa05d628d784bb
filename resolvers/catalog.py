"""Catalog read resolvers: products, categories, 3D assets, availability."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from datasources.errors import InvalidCursor
from datasources.records import (
    AssetRecord,
    AssetSource,
    Availability,
    CategoryRecord,
    MediaRecord,
    ProductPageRequest,
    ProductRecord,
    VariantRecord,
)
from datasources.shopping_records import CartRecord, OrderRecord
from resolvers.connections import Connection
from resolvers.errors import BadUserInput
from resolvers.global_ids import from_global_id
from resolvers.kit import DataSource, Run, uses
from resolvers.shopping import cart_access, shopping_of, signed_in_sub


@dataclass(frozen=True)
class ProductLookup:
    """Find one product by its own id or by its URL slug."""

    product_id: str | None = None
    slug: str | None = None


@dataclass(frozen=True)
class CategoryLookup:
    """Find one category by its own id or by its slug."""

    category_id: str | None = None
    slug: str | None = None


@uses(DataSource.CATALOG)
async def product(run: Run[None, ProductLookup]) -> ProductRecord | None:
    """``Query.product``: one product by id (batched) or slug."""
    lookup = run.arguments
    if lookup.product_id is not None:
        return await run.ctx.loaders.product_by_id.load(lookup.product_id)
    if lookup.slug is not None:
        return await run.ctx.sources.catalog.product_by_slug(lookup.slug)
    raise BadUserInput("Pass either id or slug")


@uses(DataSource.CATALOG)
async def products(run: Run[Any, ProductPageRequest]) -> Connection[ProductRecord]:
    """``Query.products`` and ``Category.products``: a filtered, sorted page of products."""
    request = run.arguments
    if isinstance(run.source, CategoryRecord):
        request = replace(request, filter=replace(request.filter, category_id=run.source.id))
    try:
        page = await run.ctx.sources.catalog.list_products(request)
    except InvalidCursor as error:
        raise BadUserInput(str(error)) from error
    run.ctx.loaders.product_by_id.prime_many({p.id: p for p in page.items})
    return Connection.of(page)


@uses(DataSource.CATALOG)
async def product_category(run: Run[ProductRecord, None]) -> CategoryRecord | None:
    """``Product.category`` through the CategoryByIdLoader."""
    return await run.ctx.loaders.category_by_id.load(run.source.category_id)


@uses(DataSource.CATALOG)
async def product_assets(run: Run[ProductRecord, None]) -> list[AssetRecord]:
    """``Product.assets`` through the AssetByIdLoader."""
    found = await run.ctx.loaders.asset_by_id.load_many(list(run.source.asset_ids))
    return [a for a in found if a is not None]


@uses(DataSource.CATALOG)
async def variant_availability(run: Run[VariantRecord, None]) -> Availability:
    """``ProductVariant.availability`` through the StockBySkuLoader."""
    stock = await run.ctx.loaders.stock_by_sku.load(run.source.sku)
    return Availability.OUT_OF_STOCK if stock is None else stock.availability


@uses(DataSource.CATALOG)
async def variant_quantity(run: Run[VariantRecord, None]) -> int:
    """``ProductVariant.quantityAvailable`` through the StockBySkuLoader."""
    stock = await run.ctx.loaders.stock_by_sku.load(run.source.sku)
    return 0 if stock is None else max(stock.quantity_available, 0)


@uses(DataSource.CATALOG)
async def all_categories(run: Run[Any, Any]) -> list[CategoryRecord]:
    """Every category, read once per request and shared through the context memo."""
    memo = run.ctx.memo
    if "categories" not in memo:
        categories = await run.ctx.sources.catalog.all_categories()
        run.ctx.loaders.category_by_id.prime_many({c.id: c for c in categories})
        memo["categories"] = categories
    cached: list[CategoryRecord] = memo["categories"]
    return cached


@uses(DataSource.NONE)
async def root_categories(run: Run[Any, Any]) -> list[CategoryRecord]:
    """Keep the roots of the tree (``prev`` holds every category)."""
    everything: list[CategoryRecord] = run.prev
    return [c for c in everything if c.parent_id is None]


@uses(DataSource.NONE)
async def category_children(run: Run[CategoryRecord, Any]) -> list[CategoryRecord]:
    """Keep the children of the source category (``prev`` holds every category)."""
    everything: list[CategoryRecord] = run.prev
    return [c for c in everything if c.parent_id == run.source.id]


@uses(DataSource.CATALOG)
async def category(run: Run[None, CategoryLookup]) -> CategoryRecord | None:
    """``Query.category``: one category by id (batched) or slug."""
    lookup = run.arguments
    if lookup.category_id is not None:
        return await run.ctx.loaders.category_by_id.load(lookup.category_id)
    if lookup.slug is None:
        raise BadUserInput("Pass either id or slug")
    everything = await all_categories(run)
    return next((c for c in everything if c.slug == lookup.slug), None)


@uses(DataSource.CATALOG)
async def category_parent(run: Run[CategoryRecord, None]) -> CategoryRecord | None:
    """``Category.parent`` through the CategoryByIdLoader."""
    if run.source.parent_id is None:
        return None
    return await run.ctx.loaders.category_by_id.load(run.source.parent_id)


@uses(DataSource.CATALOG)
async def category_ancestors(run: Run[CategoryRecord, None]) -> list[CategoryRecord]:
    """``Category.ancestors``: root first, for breadcrumbs."""
    by_id = {c.id: c for c in await all_categories(run)}
    chain: list[CategoryRecord] = []
    parent_id = run.source.parent_id
    while parent_id is not None and parent_id in by_id and len(chain) < len(by_id):
        chain.append(by_id[parent_id])
        parent_id = by_id[parent_id].parent_id
    return list(reversed(chain))


NodeRecord = ProductRecord | CategoryRecord | AssetRecord | CartRecord | OrderRecord


@uses(DataSource.CATALOG, DataSource.SHOPPING_DB)
async def node(run: Run[None, str]) -> NodeRecord | None:
    """``Query.node``: any object by its global ID (a cart or order only if the caller may
    see it: someone else's reads as null, like one that does not exist)."""
    type_name, raw_id = from_global_id(run.arguments)
    loaders = run.ctx.loaders
    if type_name == "Product":
        return await loaders.product_by_id.load(raw_id)
    if type_name == "Category":
        return await loaders.category_by_id.load(raw_id)
    if type_name == "Cart":
        return await shopping_of(run).carts.cart(raw_id, cart_access(run.ctx))
    if type_name == "Order":
        sub = signed_in_sub(run.ctx)
        return None if sub is None else await shopping_of(run).orders.order(raw_id, sub)
    return await loaders.asset_by_id.load(raw_id)


@uses(DataSource.ASSET_BUCKET)
async def source_url(run: Run[AssetSource | MediaRecord, None]) -> str:
    """URL of an asset file or image (presigned S3 or CDN; computed, no round trip)."""
    return run.ctx.sources.asset_urls.url_for(run.source.key)


@uses(DataSource.ASSET_BUCKET)
async def poster_url(run: Run[AssetRecord, None]) -> str | None:
    """``Asset3D.posterUrl``: URL of the poster image, when rendered."""
    key = run.source.poster_key
    return None if key is None else run.ctx.sources.asset_urls.url_for(key)
