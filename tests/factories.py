"""Builders of catalog records for tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from datasources.job_records import RenderKind, RenderOutput, RenderRole
from datasources.records import (
    AssetFormat,
    AssetRecord,
    AssetSource,
    Bounds,
    CategoryRecord,
    Dimensions,
    MaterialVariantMapping,
    Money,
    ProductRecord,
    ProductStatus,
    StockRecord,
    VariantOption,
    VariantRecord,
)

EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


def categories() -> list[CategoryRecord]:
    """A small tree: Furniture > Sofas, Furniture > Chairs, Lighting."""
    return [
        CategoryRecord(
            id="furniture", slug="furniture", name="Furniture", parent_id=None, position=0
        ),
        CategoryRecord(id="sofas", slug="sofas", name="Sofas", parent_id="furniture", position=1),
        CategoryRecord(
            id="chairs", slug="chairs", name="Chairs", parent_id="furniture", position=2
        ),
        CategoryRecord(id="lighting", slug="lighting", name="Lighting", parent_id=None, position=3),
    ]


def asset(asset_id: str, product_id: str) -> AssetRecord:
    """A GLB asset with two LODs and a colour variant mapping."""
    return AssetRecord(
        id=asset_id,
        product_id=product_id,
        format=AssetFormat.GLB,
        triangle_count=1200,
        vertex_count=800,
        draw_calls=3,
        material_count=3,
        texture_count=0,
        byte_size=48_000,
        bounds=Bounds(min=(-1.0, 0.0, -0.5), max=(1.0, 0.8, 0.5)),
        sources=(
            AssetSource(
                AssetFormat.GLB, 0, f"assets/{asset_id}/lod0.glb", 48_000, 1200, "model/gltf-binary"
            ),
            AssetSource(
                AssetFormat.GLB, 1, f"assets/{asset_id}/lod1.glb", 20_000, 400, "model/gltf-binary"
            ),
        ),
        sha256="0" * 64,
        poster_key=f"assets/{asset_id}/poster.png",
        material_variants=(MaterialVariantMapping("Green velvet", "colour", "Green"),),
        created_at=EPOCH,
    )


def product(
    index: int, category: CategoryRecord | None = None, **overrides: object
) -> ProductRecord:
    """Product number ``index`` with two variants and one asset."""
    category_path = ("furniture", "sofas") if category is None else (category.id,)
    values: dict[str, object] = {
        "id": f"prod-{index:03d}",
        "slug": f"product-{index:03d}",
        "name": f"Product {index:03d}",
        "description": "A product for tests",
        "brand": "Nordhem" if index % 2 == 0 else "Lumio",
        "category_id": category_path[-1],
        "category_path": category_path,
        "tags": ("velvet", "modular") if index % 3 == 0 else ("oak",),
        "dimensions": Dimensions(width=2.0, depth=0.9, height=0.8),
        "variants": (
            VariantRecord(
                sku=f"SKU-{index:03d}-G",
                title="Green",
                options=(VariantOption("colour", "Green"),),
                price=Money(10_000 + index * 100, "EUR"),
            ),
            VariantRecord(
                sku=f"SKU-{index:03d}-B",
                title="Blue",
                options=(VariantOption("colour", "Blue"),),
                price=Money(12_000 + index * 100, "EUR"),
            ),
        ),
        "asset_ids": (f"asset-{index:03d}",),
        "status": ProductStatus.ACTIVE,
        "created_at": EPOCH + timedelta(days=index),
        "updated_at": EPOCH + timedelta(days=index),
    }
    values.update(overrides)
    return ProductRecord(**values)  # type: ignore[arg-type]


def stock(sku: str, quantity: int) -> StockRecord:
    """An availability counter."""
    return StockRecord(sku=sku, quantity_available=quantity)


def render_outputs(
    kind: RenderKind, variant: str | None, size: int = 64, tag: str = "r1"
) -> tuple[RenderOutput, ...]:
    """The two files a render job stores for one variant (``tag`` makes the keys unique);
    a turntable has 5 frames on a 3x2 sprite sheet."""
    folder = f"renders/{tag}-{variant or 'default'}"
    if kind is RenderKind.POSTER:
        return tuple(
            RenderOutput(variant, role, f"{folder}/{role}", mime, 1000, size, size)
            for role, mime in (
                (RenderRole.POSTER_PNG, "image/png"),
                (RenderRole.POSTER_WEBP, "image/webp"),
            )
        )
    return (
        RenderOutput(
            variant,
            RenderRole.TURNTABLE_SHEET,
            f"{folder}/turntable.png",
            "image/png",
            5000,
            3 * size,
            2 * size,
            frames=5,
            columns=3,
            rows=2,
        ),
        RenderOutput(
            variant,
            RenderRole.TURNTABLE_WEBP,
            f"{folder}/turntable.webp",
            "image/webp",
            4000,
            size,
            size,
            frames=5,
        ),
    )
