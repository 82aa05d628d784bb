"""Conversions between PynamoDB items and catalog records."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from datasources.dynamodb.models import (
    CatalogModels,
    asset_key,
    category_key,
    product_key,
    stock_key,
)
from datasources.job_records import RenderOutput
from datasources.records import (
    AssetFormat,
    AssetRecord,
    AssetSource,
    Bounds,
    CategoryRecord,
    Dimensions,
    MaterialVariantMapping,
    MediaRecord,
    Money,
    ProductRecord,
    ProductStatus,
    StockRecord,
    VariantOption,
    VariantRecord,
)


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _money(raw: dict[str, Any] | None) -> Money | None:
    return None if raw is None else Money(amount=int(raw["amount"]), currency=str(raw["currency"]))


def _money_json(money: Money | None) -> dict[str, Any] | None:
    return None if money is None else {"amount": money.amount, "currency": money.currency}


def product_to_item(models: CatalogModels, product: ProductRecord) -> Any:
    """A product item ready to save (version left to PynamoDB's optimistic locking)."""
    pk, sk = product_key(product.id)
    price = product.price_range
    item = models.product(
        pk,
        sk,
        gsi1pk="PRODUCT",
        gsi1sk=f"{product.name.casefold()}#{product.id}",
        product_id=product.id,
        slug=product.slug,
        name=product.name,
        description=product.description,
        brand=product.brand,
        category_id=product.category_id,
        category_path=list(product.category_path),
        tags=list(product.tags),
        status=product.status.value,
        min_price=0 if price is None else price.min.amount,
        max_price=0 if price is None else price.max.amount,
        currency="" if price is None else price.min.currency,
        dimensions={
            "width_m": product.dimensions.width,
            "depth_m": product.dimensions.depth,
            "height_m": product.dimensions.height,
        },
        variants=[
            {
                "sku": v.sku,
                "title": v.title,
                "options": [[o.name, o.value] for o in v.options],
                "price": _money_json(v.price),
                "compare_at_price": _money_json(v.compare_at_price),
            }
            for v in product.variants
        ],
        media=[
            {
                "key": m.key,
                "alt": m.alt,
                "width": m.width,
                "height": m.height,
                "type": m.content_type,
            }
            for m in product.media
        ],
        asset_ids=list(product.asset_ids),
        created_at=_utc(product.created_at),
        updated_at=_utc(product.updated_at),
    )
    return item


def item_to_product(item: Any) -> ProductRecord:
    """The record of a stored product item."""
    dims = item.dimensions
    return ProductRecord(
        id=item.product_id,
        slug=item.slug,
        name=item.name,
        description=item.description,
        brand=item.brand,
        category_id=item.category_id,
        category_path=tuple(item.category_path or ()),
        tags=tuple(item.tags or ()),
        dimensions=Dimensions(
            width=float(dims["width_m"]),
            depth=float(dims["depth_m"]),
            height=float(dims["height_m"]),
        ),
        variants=tuple(
            VariantRecord(
                sku=v["sku"],
                title=v["title"],
                options=tuple(VariantOption(name=n, value=val) for n, val in v["options"]),
                price=Money(amount=int(v["price"]["amount"]), currency=v["price"]["currency"]),
                compare_at_price=_money(v.get("compare_at_price")),
            )
            for v in item.variants
        ),
        asset_ids=tuple(item.asset_ids or ()),
        media=tuple(
            MediaRecord(
                key=m["key"],
                alt=m["alt"],
                width=m["width"],
                height=m["height"],
                content_type=m["type"],
            )
            for m in item.media
        ),
        status=ProductStatus(item.status),
        version=int(item.version),
        created_at=_utc(item.created_at),
        updated_at=_utc(item.updated_at),
    )


def category_to_item(models: CatalogModels, category: CategoryRecord) -> Any:
    """A category item ready to save."""
    pk, sk = category_key(category.id)
    return models.category(
        pk,
        sk,
        gsi1pk="CATEGORY",
        gsi1sk=f"{category.position:06d}#{category.id}",
        category_id=category.id,
        slug=category.slug,
        name=category.name,
        parent_id=category.parent_id,
        position=category.position,
        description=category.description,
    )


def item_to_category(item: Any) -> CategoryRecord:
    """The record of a stored category item."""
    return CategoryRecord(
        id=item.category_id,
        slug=item.slug,
        name=item.name,
        parent_id=item.parent_id,
        position=int(item.position),
        description=item.description,
    )


def asset_to_item(models: CatalogModels, asset: AssetRecord) -> Any:
    """An asset item ready to save."""
    pk, sk = asset_key(asset.id)
    return models.asset(
        pk,
        sk,
        asset_id=asset.id,
        product_id=asset.product_id,
        format=asset.format.value,
        triangle_count=asset.triangle_count,
        vertex_count=asset.vertex_count,
        draw_calls=asset.draw_calls,
        material_count=asset.material_count,
        texture_count=asset.texture_count,
        byte_size=asset.byte_size,
        bounds={"min": list(asset.bounds.min), "max": list(asset.bounds.max)},
        sources=[
            {
                "format": s.format.value,
                "lod": s.lod,
                "key": s.key,
                "byte_size": s.byte_size,
                "triangle_count": s.triangle_count,
                "content_type": s.content_type,
            }
            for s in asset.sources
        ],
        sha256=asset.sha256,
        poster_key=asset.poster_key,
        master_key=asset.master_key,
        material_variants=[
            [m.variant_name, m.option_name, m.option_value] for m in asset.material_variants
        ],
        created_at=_utc(asset.created_at),
        report_key=asset.report_key,
        renders=renders_json(asset.renders),
    )


def renders_json(renders: tuple[RenderOutput, ...]) -> list[dict[str, Any]] | None:
    """The stored form of an asset's renders (None: none, so old items stay unchanged)."""
    return [r.to_dict() for r in renders] or None


def _xyz(values: list[Any]) -> tuple[float, float, float]:
    return float(values[0]), float(values[1]), float(values[2])


def item_to_asset(item: Any) -> AssetRecord:
    """The record of a stored asset item."""
    return AssetRecord(
        id=item.asset_id,
        product_id=item.product_id,
        format=AssetFormat(item.format),
        triangle_count=int(item.triangle_count),
        vertex_count=int(item.vertex_count),
        draw_calls=int(item.draw_calls),
        material_count=int(item.material_count),
        texture_count=int(item.texture_count),
        byte_size=int(item.byte_size),
        bounds=Bounds(min=_xyz(item.bounds["min"]), max=_xyz(item.bounds["max"])),
        sources=tuple(
            AssetSource(
                format=AssetFormat(s["format"]),
                lod=int(s["lod"]),
                key=s["key"],
                byte_size=int(s["byte_size"]),
                triangle_count=int(s["triangle_count"]),
                content_type=s["content_type"],
            )
            for s in item.sources
        ),
        sha256=item.sha256,
        poster_key=item.poster_key,
        master_key=item.master_key,
        material_variants=tuple(
            MaterialVariantMapping(variant_name=v, option_name=n, option_value=o)
            for v, n, o in item.material_variants
        ),
        created_at=_utc(item.created_at),
        report_key=item.report_key,
        renders=tuple(RenderOutput.from_dict(r) for r in item.renders or ()),
    )


def stock_to_item(models: CatalogModels, stock: StockRecord) -> Any:
    """A stock counter item ready to save."""
    pk, sk = stock_key(stock.sku)
    return models.stock(
        pk,
        sk,
        sku=stock.sku,
        quantity_available=stock.quantity_available,
        low_stock_threshold=stock.low_stock_threshold,
    )


def item_to_stock(item: Any) -> StockRecord:
    """The record of a stored stock counter item."""
    return StockRecord(
        sku=item.sku,
        quantity_available=int(item.quantity_available),
        low_stock_threshold=int(item.low_stock_threshold),
    )
