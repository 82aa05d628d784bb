"""A recommendations client: the demo catalog (fake), tantivy in memory, real demo models for
some products (their GLB masters in the fake blob store) and the in-memory order store."""

from __future__ import annotations

from datetime import UTC, datetime

from datasources.records import (
    AssetFormat,
    AssetRecord,
    AssetSource,
    Bounds,
    Money,
)
from datasources.search.tantivy_engine import TantivySearch
from datasources.shopping_records import OrderLineRecord, OrderRecord, OrderStatus
from render_jobs.procedural import DEMO_RECIPES, build_model
from resolvers.context import AnalyticsSources
from tests.fakes.blobs import FakeBlobStore
from tests.fakes.catalog import FakeAssetUrls, FakeCatalog
from tests.fakes.shopping import FakeShop, fake_shopping
from tests.graphql_client import SchemaClient
from tests.integration.search.demo_documents import demo_documents
from tests.integration.search.test_indexer import _catalog

MODELLED = (
    "harbor-sofa",
    "nook-loveseat",
    "long-table",
    "ginger-jar-lamp",
    "bedside-lamp",
    "kilim-rug",
)
"""Demo products whose models the tests build (all 30 take seconds; these are enough)."""

_MODELS: dict[str, bytes] = {}


def demo_glb(slug: str) -> bytes:
    """The demo model of ``slug`` as a GLB (built once per test session)."""
    if slug not in _MODELS:
        recipe = next(r for r in DEMO_RECIPES if r.slug == slug)
        _MODELS[slug] = build_model(recipe, 64).glb
    return _MODELS[slug]


def asset_of(slug: str, glb: bytes) -> AssetRecord:
    """An asset record whose GLB master is ``models/<slug>/master.glb``."""
    key = f"models/{slug}/master.glb"
    return AssetRecord(
        id=f"demo-{slug}",
        product_id=f"demo-{slug}",
        format=AssetFormat.GLB,
        triangle_count=1,
        vertex_count=3,
        draw_calls=1,
        material_count=1,
        texture_count=0,
        byte_size=len(glb),
        bounds=Bounds(min=(0.0, 0.0, 0.0), max=(1.0, 1.0, 1.0)),
        sources=(
            AssetSource(
                format=AssetFormat.GLB,
                lod=0,
                key=key,
                byte_size=len(glb),
                triangle_count=1,
                content_type="model/gltf-binary",
            ),
        ),
        sha256=f"sha-{slug}",
    )


def paid_order(number: int, product_ids: tuple[str, ...], status: OrderStatus) -> OrderRecord:
    """An order of one unit of each product, in ``status``."""
    at = datetime(2026, 11, 1, tzinfo=UTC)
    price = Money(1000, "EUR")
    lines = tuple(
        OrderLineRecord(sku=f"SKU-{pid}", product_id=pid, quantity=1, unit_price=price, total=price)
        for pid in product_ids
    )
    total = Money(1000 * len(lines), "EUR")
    zero = Money(0, "EUR")
    return OrderRecord(
        id=f"order-{number}",
        number=number,
        owner_sub="shopper",
        cart_id=f"cart-{number}",
        status=status,
        currency="EUR",
        lines=lines,
        subtotal=total,
        discount_total=zero,
        tax_total=zero,
        shipping_total=zero,
        total=total,
        discount_code=None,
        created_at=at,
        updated_at=at,
    )


async def recommendations_client(
    *,
    shop: FakeShop | None = None,
    with_orders: bool = True,
    analytics: AnalyticsSources | None = None,
) -> tuple[SchemaClient, FakeCatalog, FakeBlobStore]:
    """The client, its catalog and blob store; ``with_orders=False``: no order store."""
    catalog = await _catalog()
    blobs = FakeBlobStore()
    for slug in MODELLED:
        glb = demo_glb(slug)
        asset = asset_of(slug, glb)
        await blobs.put(asset.sources[0].key, glb, "model/gltf-binary")
        await catalog.put_asset(asset)
    search = TantivySearch()
    await search.create_index("products-recs")
    await search.bulk_load("products-recs", demo_documents())
    await search.switch_alias("products-recs")
    shopping = fake_shopping(shop)[0] if with_orders else None
    client = SchemaClient(
        catalog, blobs, FakeAssetUrls(), search=search, shopping=shopping, analytics=analytics
    )
    return client, catalog, blobs
