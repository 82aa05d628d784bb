"""Loads the demo catalog: procedural 3D models to S3, catalog records to DynamoDB and, when
a database is configured, the demo SKUs' stock to PostgreSQL (the shopping store)."""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from datasources.errors import AlreadyExists
from datasources.job_records import RenderOutput, RenderRole
from datasources.records import (
    AssetFormat,
    AssetRecord,
    AssetSource,
    Bounds,
    Dimensions,
    MaterialVariantMapping,
    MediaRecord,
    Money,
    ProductFilter,
    ProductPageRequest,
    ProductRecord,
    ProductSort,
    ProductStatus,
    StockRecord,
    VariantOption,
    VariantRecord,
)
from datasources.search.indexer import reindex
from gateway.bootstrap import Services
from gateway.demo_products import DEMO_CATEGORIES, DEMO_PRODUCTS, DemoProduct
from render_jobs.procedural import DEMO_RECIPES, GeneratedModel, ModelRecipe, build_model

Progress = Callable[[int, int, str], None]
SEEDED_AT = datetime(2026, 1, 1, tzinfo=UTC)
POSTER_SIZE = 512


@dataclass(frozen=True)
class SeedReport:
    """What a seed run wrote."""

    products: int
    assets: int
    bytes_uploaded: int
    skipped: bool = False
    stock_items: int = 0
    """SKUs whose stock was put into PostgreSQL (those it did not have yet)."""
    indexed: int | None = None
    """Products put into a new search index; None when the live index was kept."""

    def summary(self) -> str:
        """One line for the terminal."""
        stocked = f", stock of {self.stock_items} SKUs in PostgreSQL" if self.stock_items else ""
        if self.indexed is not None:
            stocked += f", {self.indexed} products in the search index"
        if self.skipped:
            return f"already loaded (left as it is){stocked}"
        megabytes = self.bytes_uploaded / 1_000_000
        return (
            f"{self.products} products, {self.assets} 3D models, {megabytes:.1f} MB in S3{stocked}"
        )


def _sku(slug: str, variant: str) -> str:
    return re.sub(r"[^A-Z0-9]+", "-", f"{slug}-{variant}".upper()).strip("-")[:64]


def _stock_quantity(sku: str) -> int:
    """Deterministic stock levels: mostly in stock, some low, a few sold out."""
    roll = int(hashlib.sha256(sku.encode()).hexdigest()[:4], 16) % 20
    return 0 if roll == 0 else 3 if roll < 4 else 10 + roll * 3


def _category_path(category_id: str) -> tuple[str, ...]:
    by_id = {c.id: c for c in DEMO_CATEGORIES}
    path = [category_id]
    while (parent := by_id[path[-1]].parent_id) is not None:
        path.append(parent)
    return tuple(reversed(path))


def _variants(demo: DemoProduct, recipe: ModelRecipe) -> tuple[VariantRecord, ...]:
    looks = [v.name for v in recipe.variants] or ["Standard"]
    return tuple(
        VariantRecord(
            sku=_sku(demo.recipe, look),
            title=look,
            options=(VariantOption(demo.option_name, look),),
            price=Money(demo.price_cents + index * (demo.price_cents // 20 // 100 * 100), "EUR"),
        )
        for index, look in enumerate(looks)
    )


def _asset(demo: DemoProduct, recipe: ModelRecipe, model: GeneratedModel) -> AssetRecord:
    stats = model.stats
    key = f"models/{model.sha256}/master.glb"
    poster_key = f"models/{model.sha256}/poster-{POSTER_SIZE}.png"
    return AssetRecord(
        id=f"demo-{demo.recipe}",
        product_id=f"demo-{demo.recipe}",
        format=AssetFormat.GLB,
        triangle_count=stats.triangle_count,
        vertex_count=stats.vertex_count,
        draw_calls=stats.draw_calls,
        material_count=stats.material_count,
        texture_count=stats.texture_count,
        byte_size=stats.byte_size,
        bounds=Bounds(min=tuple(stats.bounds_min), max=tuple(stats.bounds_max)),  # type: ignore[arg-type]
        sources=(
            AssetSource(
                format=AssetFormat.GLB,
                lod=0,
                key=key,
                byte_size=stats.byte_size,
                triangle_count=stats.triangle_count,
                content_type="model/gltf-binary",
            ),
        ),
        sha256=model.sha256,
        poster_key=poster_key,
        renders=(
            RenderOutput(
                variant=None,
                role=RenderRole.POSTER_PNG,
                key=poster_key,
                content_type="image/png",
                byte_size=len(model.poster_png),
                width=POSTER_SIZE,
                height=POSTER_SIZE,
            ),
        ),
        material_variants=tuple(
            MaterialVariantMapping(
                variant_name=v.name, option_name=demo.option_name, option_value=v.name
            )
            for v in recipe.variants
        ),
        created_at=SEEDED_AT,
    )


def _product(
    index: int, demo: DemoProduct, recipe: ModelRecipe, asset: AssetRecord | None
) -> ProductRecord:
    created = SEEDED_AT + timedelta(hours=index)
    media = (
        ()
        if asset is None
        else (
            MediaRecord(
                key=asset.poster_key or "",
                alt=f"{demo.name}, 3D render",
                width=POSTER_SIZE,
                height=POSTER_SIZE,
            ),
        )
    )
    return ProductRecord(
        id=f"demo-{demo.recipe}",
        slug=demo.recipe,
        name=demo.name,
        description=demo.blurb,
        brand=demo.brand,
        category_id=demo.category_id,
        category_path=_category_path(demo.category_id),
        tags=demo.tags,
        dimensions=Dimensions(width=recipe.width_m, depth=recipe.depth_m, height=recipe.height_m),
        variants=_variants(demo, recipe),
        asset_ids=(f"demo-{demo.recipe}",),
        media=media,
        status=ProductStatus.ACTIVE,
        created_at=created,
        updated_at=created,
    )


def demo_catalog_products() -> list[ProductRecord]:
    """The demo products as seeded, without building their models (so without media)."""
    recipes = {r.slug: r for r in DEMO_RECIPES}
    return [
        _product(index, demo, recipes[demo.recipe], None)
        for index, demo in enumerate(DEMO_PRODUCTS)
    ]


def demo_stock_records() -> list[StockRecord]:
    """The availability counters the seed writes for the demo SKUs."""
    return [StockRecord(sku=sku, quantity_available=q) for sku, q in demo_stock().items()]


def demo_stock() -> dict[str, int]:
    """Units on hand of every demo SKU (the same numbers as the DynamoDB counters)."""
    recipes = {r.slug: r for r in DEMO_RECIPES}
    return {
        variant.sku: _stock_quantity(variant.sku)
        for demo in DEMO_PRODUCTS
        for variant in _variants(demo, recipes[demo.recipe])
    }


async def seed_shopping_stock(services: Services) -> int:
    """Put the demo SKUs' stock into PostgreSQL where it has none yet (stock that exists,
    perhaps sold from, is left alone); how many SKUs were added. 0 without a database."""
    if services.shopping is None:
        return 0
    inventory = services.shopping.inventory
    stock = demo_stock()
    skus = list(stock)
    added = 0
    for sku, level in zip(skus, await inventory.stock_levels(skus), strict=True):
        if level is None:
            await inventory.put_stock(sku, stock[sku])
            added += 1
    return added


async def _catalog_is_empty(services: Services) -> bool:
    request = ProductPageRequest(
        filter=ProductFilter(statuses=tuple(ProductStatus)), sort=ProductSort.NAME_ASC, first=1
    )
    return (await services.catalog.list_products(request)).total_count == 0


async def _store_product(services: Services, product: ProductRecord) -> None:
    try:
        await services.catalog.create_product(product)
    except AlreadyExists:
        [current] = await services.catalog.products_by_ids([product.id])
        if current is None:
            raise
        await services.catalog.update_product(
            replace(product, version=current.version), current.version
        )


async def seed_demo_catalog(
    services: Services, *, on_progress: Progress | None = None, only_if_empty: bool = True
) -> SeedReport:
    """Build the 30 demo models, upload them and write the catalog (idempotent by ids)."""
    if only_if_empty and not await _catalog_is_empty(services):
        stocked = await seed_shopping_stock(services)
        indexed = await index_demo_catalog(services, only_if_missing=True)
        return SeedReport(
            products=0,
            assets=0,
            bytes_uploaded=0,
            skipped=True,
            stock_items=stocked,
            indexed=indexed,
        )
    recipes = {r.slug: r for r in DEMO_RECIPES}
    for category in DEMO_CATEGORIES:
        await services.catalog.put_category(category)
    uploaded = 0
    total = len(DEMO_PRODUCTS)
    for index, demo in enumerate(DEMO_PRODUCTS):
        if on_progress is not None:
            on_progress(index, total, f"Building {demo.name}")
        recipe = recipes[demo.recipe]
        model = await asyncio.to_thread(build_model, recipe, POSTER_SIZE)
        asset = _asset(demo, recipe, model)
        await services.blobs.put(asset.sources[0].key, model.glb, "model/gltf-binary")
        await services.blobs.put(asset.poster_key or "", model.poster_png, "image/png")
        uploaded += len(model.glb) + len(model.poster_png)
        await services.catalog.put_asset(asset)
        product = _product(index, demo, recipe, asset)
        await _store_product(services, product)
        for variant in product.variants:
            await services.catalog.put_stock(
                StockRecord(sku=variant.sku, quantity_available=_stock_quantity(variant.sku))
            )
    stocked = await seed_shopping_stock(services)
    if on_progress is not None:
        on_progress(total, total, "Indexing the demo catalog for search")
    indexed = await index_demo_catalog(services, only_if_missing=False)
    if on_progress is not None:
        on_progress(total, total, "Demo catalog loaded")
    return SeedReport(
        products=total,
        assets=total,
        bytes_uploaded=uploaded,
        stock_items=stocked,
        indexed=indexed,
    )


async def index_demo_catalog(services: Services, *, only_if_missing: bool) -> int | None:
    """Build a search index of the catalog and switch the alias to it (``only_if_missing``:
    only when no index is live yet); how many products it holds, None if nothing was built."""
    if services.search is None:
        return None
    if only_if_missing and await services.search.live_index() is not None:
        return None
    _, count = await reindex(services.catalog, services.search)
    return count
