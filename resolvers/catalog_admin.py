"""Merchant-admin mutations of the catalog, with optimistic locking and typed failures."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import Enum
from typing import Any

from datasources.errors import AlreadyExists, NotFound, VersionConflict
from datasources.events import DomainEvent, Topic
from datasources.records import (
    Dimensions,
    Money,
    ProductRecord,
    ProductStatus,
    VariantOption,
    VariantRecord,
)
from resolvers.errors import MutationError
from resolvers.kit import DataSource, Run, uses

SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
CURRENCY_PATTERN = re.compile(r"^[A-Z]{3}$")
SKU_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9-]{1,63}$")


class CreateProductErrorCode(Enum):
    """Why createProduct failed."""

    INVALID = "INVALID"
    SLUG_TAKEN = "SLUG_TAKEN"
    CATEGORY_NOT_FOUND = "CATEGORY_NOT_FOUND"
    DUPLICATE_SKU = "DUPLICATE_SKU"
    INVALID_PRICE = "INVALID_PRICE"


class UpdateProductErrorCode(Enum):
    """Why updateProduct failed."""

    NOT_FOUND = "NOT_FOUND"
    VERSION_CONFLICT = "VERSION_CONFLICT"
    INVALID = "INVALID"
    SLUG_TAKEN = "SLUG_TAKEN"
    CATEGORY_NOT_FOUND = "CATEGORY_NOT_FOUND"


class ArchiveProductErrorCode(Enum):
    """Why archiveProduct failed."""

    NOT_FOUND = "NOT_FOUND"
    VERSION_CONFLICT = "VERSION_CONFLICT"
    ALREADY_ARCHIVED = "ALREADY_ARCHIVED"


class ProductVariantErrorCode(Enum):
    """Why a variant mutation failed."""

    PRODUCT_NOT_FOUND = "PRODUCT_NOT_FOUND"
    VARIANT_NOT_FOUND = "VARIANT_NOT_FOUND"
    VERSION_CONFLICT = "VERSION_CONFLICT"
    DUPLICATE_SKU = "DUPLICATE_SKU"
    INVALID_PRICE = "INVALID_PRICE"
    INVALID = "INVALID"


class AttachProductAssetErrorCode(Enum):
    """Why attachProductAsset failed."""

    PRODUCT_NOT_FOUND = "PRODUCT_NOT_FOUND"
    ASSET_NOT_FOUND = "ASSET_NOT_FOUND"
    VERSION_CONFLICT = "VERSION_CONFLICT"
    ALREADY_ATTACHED = "ALREADY_ATTACHED"


@dataclass(frozen=True)
class ProductMutationSuccess:
    """A mutation that changed a product: the product as stored now."""

    product: ProductRecord


@dataclass(frozen=True)
class VariantDraft:
    """A variant as a merchant describes it."""

    sku: str
    title: str
    options: tuple[VariantOption, ...]
    price: Money
    compare_at_price: Money | None = None

    def to_record(self) -> VariantRecord:
        """The stored variant."""
        return VariantRecord(
            sku=self.sku,
            title=self.title,
            options=self.options,
            price=self.price,
            compare_at_price=self.compare_at_price,
        )


@dataclass(frozen=True)
class ProductDraft:
    """A new product as a merchant describes it."""

    slug: str
    name: str
    description: str
    brand: str
    category_id: str
    tags: tuple[str, ...]
    dimensions: Dimensions
    variants: tuple[VariantDraft, ...]
    status: ProductStatus = ProductStatus.DRAFT


@dataclass(frozen=True)
class ProductPatch:
    """Changes to a product; None leaves a field as it is."""

    product_id: str
    expected_version: int
    slug: str | None = None
    name: str | None = None
    description: str | None = None
    brand: str | None = None
    category_id: str | None = None
    tags: tuple[str, ...] | None = None
    dimensions: Dimensions | None = None
    status: ProductStatus | None = None


@dataclass(frozen=True)
class VersionedProductRef:
    """A product and the version the caller last read."""

    product_id: str
    expected_version: int


@dataclass(frozen=True)
class VariantChange:
    """A variant to add to, or replace in, a product."""

    product: VersionedProductRef
    variant: VariantDraft


@dataclass(frozen=True)
class AssetAttachment:
    """A 3D asset to attach to a product."""

    product: VersionedProductRef
    asset_id: str


Outcome = ProductMutationSuccess | MutationError


def _price_problem(draft: VariantDraft) -> str | None:
    for money in (draft.price, draft.compare_at_price):
        if money is None:
            continue
        if money.amount < 0:
            return f"Price of {draft.sku} must not be negative"
        if not CURRENCY_PATTERN.match(money.currency):
            return f"Currency {money.currency!r} of {draft.sku} is not an ISO 4217 code"
    if (
        draft.compare_at_price is not None
        and draft.compare_at_price.currency != draft.price.currency
    ):
        return f"compareAtPrice of {draft.sku} must be in {draft.price.currency}"
    return None


def _variant_problem(drafts: tuple[VariantDraft, ...], code: type[Enum]) -> MutationError | None:
    seen: set[str] = set()
    currencies = {d.price.currency for d in drafts}
    for draft in drafts:
        if not SKU_PATTERN.match(draft.sku):
            return MutationError(
                code["INVALID"], f"SKU {draft.sku!r} must be 2-64 of A-Z, 0-9, -", "sku"
            )
        if draft.sku in seen:
            return MutationError(code["DUPLICATE_SKU"], f"SKU {draft.sku} appears twice", "sku")
        seen.add(draft.sku)
        problem = _price_problem(draft)
        if problem is not None:
            return MutationError(code["INVALID_PRICE"], problem, "price")
    if len(currencies) > 1:
        return MutationError(code["INVALID_PRICE"], "All variants must share one currency", "price")
    return None


def _shape_problem(
    code: type[Enum], slug: str | None, name: str | None, dimensions: Dimensions | None
) -> MutationError | None:
    if slug is not None and not SLUG_PATTERN.match(slug):
        return MutationError(code["INVALID"], "slug must be lowercase words joined by '-'", "slug")
    if name is not None and not name.strip():
        return MutationError(code["INVALID"], "name must not be blank", "name")
    if dimensions is not None and min(dimensions.width, dimensions.depth, dimensions.height) <= 0:
        return MutationError(code["INVALID"], "dimensions must be positive metres", "dimensions")
    return None


async def _category_path(run: Run[Any, Any], category_id: str) -> tuple[str, ...] | None:
    by_id = {c.id: c for c in await run.ctx.sources.catalog.all_categories()}
    if category_id not in by_id:
        return None
    path: list[str] = []
    current: str | None = category_id
    while current is not None and current in by_id and current not in path:
        path.append(current)
        current = by_id[current].parent_id
    return tuple(reversed(path))


def _price_changes(before: ProductRecord | None, after: ProductRecord) -> list[dict[str, object]]:
    old = {} if before is None else {v.sku: v.price for v in before.variants}
    return [
        {
            "sku": v.sku,
            "oldAmount": None if v.sku not in old else old[v.sku].amount,
            "amount": v.price.amount,
            "currency": v.price.currency,
        }
        for v in after.variants
        if v.sku in old and old[v.sku] != v.price
    ]


async def _publish_change(
    run: Run[Any, Any], before: ProductRecord | None, after: ProductRecord
) -> None:
    """Tell subscribers, the search indexer and the caches what this mutation changed."""
    events = run.ctx.sources.events
    await events.publish(
        DomainEvent(
            Topic.PRODUCT_CHANGED,
            after.id,
            {"version": after.version, "status": after.status.value, "created": before is None},
        )
    )
    changes = _price_changes(before, after)
    if changes:
        await events.publish(DomainEvent(Topic.PRICE_CHANGED, after.id, {"variants": changes}))


async def _load_current(run: Run[Any, Any], product_id: str) -> ProductRecord | None:
    return (await run.ctx.sources.catalog.products_by_ids([product_id]))[0]


@uses(DataSource.CATALOG)
async def create_product(run: Run[None, ProductDraft]) -> Outcome:
    """``Mutation.createProduct``."""
    draft = run.arguments
    code = CreateProductErrorCode
    problem = _shape_problem(code, draft.slug, draft.name, draft.dimensions) or _variant_problem(
        draft.variants, code
    )
    if problem is not None:
        return problem
    path = await _category_path(run, draft.category_id)
    if path is None:
        return MutationError(code.CATEGORY_NOT_FOUND, "No such category", "categoryId")
    now = datetime.now(UTC)
    record = ProductRecord(
        id=uuid.uuid4().hex,
        slug=draft.slug,
        name=draft.name.strip(),
        description=draft.description,
        brand=draft.brand,
        category_id=draft.category_id,
        category_path=path,
        tags=draft.tags,
        dimensions=draft.dimensions,
        variants=tuple(v.to_record() for v in draft.variants),
        status=draft.status,
        created_at=now,
        updated_at=now,
    )
    try:
        created = await run.ctx.sources.catalog.create_product(record)
    except AlreadyExists as error:
        return MutationError(code.SLUG_TAKEN, str(error), "slug")
    await _publish_change(run, None, created)
    return ProductMutationSuccess(created)


async def _save(
    run: Run[Any, Any],
    current: ProductRecord,
    updated: ProductRecord,
    expected_version: int,
    code: type[Enum],
) -> Outcome:
    try:
        stored = await run.ctx.sources.catalog.update_product(updated, expected_version)
    except VersionConflict as error:
        return MutationError(code["VERSION_CONFLICT"], str(error), "expectedVersion")
    except NotFound as error:
        name = "NOT_FOUND" if "NOT_FOUND" in code.__members__ else "PRODUCT_NOT_FOUND"
        return MutationError(code[name], str(error), "id")
    except AlreadyExists as error:
        return MutationError(code["SLUG_TAKEN"], str(error), "slug")
    await _publish_change(run, current, stored)
    return ProductMutationSuccess(stored)


@uses(DataSource.CATALOG)
async def update_product(run: Run[None, ProductPatch]) -> Outcome:
    """``Mutation.updateProduct``: apply a patch if the product is at the expected version."""
    patch = run.arguments
    code = UpdateProductErrorCode
    problem = _shape_problem(code, patch.slug, patch.name, patch.dimensions)
    if problem is not None:
        return problem
    current = await _load_current(run, patch.product_id)
    if current is None:
        return MutationError(code.NOT_FOUND, "No such product", "id")
    changes: dict[str, object] = {
        name: value
        for name, value in (
            ("slug", patch.slug),
            ("name", patch.name),
            ("description", patch.description),
            ("brand", patch.brand),
            ("tags", patch.tags),
            ("dimensions", patch.dimensions),
            ("status", patch.status),
        )
        if value is not None
    }
    if patch.category_id is not None:
        path = await _category_path(run, patch.category_id)
        if path is None:
            return MutationError(code.CATEGORY_NOT_FOUND, "No such category", "categoryId")
        changes.update(category_id=patch.category_id, category_path=path)
    updated = replace(current, **changes, updated_at=datetime.now(UTC))  # type: ignore[arg-type]
    return await _save(run, current, updated, patch.expected_version, code)


@uses(DataSource.CATALOG)
async def archive_product(run: Run[None, VersionedProductRef]) -> Outcome:
    """``Mutation.archiveProduct``: hide a product from shoppers, keeping its history."""
    ref = run.arguments
    code = ArchiveProductErrorCode
    current = await _load_current(run, ref.product_id)
    if current is None:
        return MutationError(code.NOT_FOUND, "No such product", "id")
    if current.status is ProductStatus.ARCHIVED:
        return MutationError(code.ALREADY_ARCHIVED, "The product is archived already", "id")
    updated = replace(current, status=ProductStatus.ARCHIVED, updated_at=datetime.now(UTC))
    return await _save(run, current, updated, ref.expected_version, code)


@uses(DataSource.CATALOG)
async def create_product_variant(run: Run[None, VariantChange]) -> Outcome:
    """``Mutation.createProductVariant``: add a SKU to a product."""
    change = run.arguments
    code = ProductVariantErrorCode
    current = await _load_current(run, change.product.product_id)
    if current is None:
        return MutationError(code.PRODUCT_NOT_FOUND, "No such product", "productId")
    if any(v.sku == change.variant.sku for v in current.variants):
        return MutationError(code.DUPLICATE_SKU, f"SKU {change.variant.sku} exists", "sku")
    existing = tuple(
        VariantDraft(v.sku, v.title, v.options, v.price, v.compare_at_price)
        for v in current.variants
    )
    problem = _variant_problem((*existing, change.variant), code)
    if problem is not None:
        return problem
    updated = replace(
        current,
        variants=(*current.variants, change.variant.to_record()),
        updated_at=datetime.now(UTC),
    )
    return await _save(run, current, updated, change.product.expected_version, code)


@uses(DataSource.CATALOG)
async def update_product_variant(run: Run[None, VariantChange]) -> Outcome:
    """``Mutation.updateProductVariant``: replace the variant with the same SKU."""
    change = run.arguments
    code = ProductVariantErrorCode
    current = await _load_current(run, change.product.product_id)
    if current is None:
        return MutationError(code.PRODUCT_NOT_FOUND, "No such product", "productId")
    if not any(v.sku == change.variant.sku for v in current.variants):
        return MutationError(code.VARIANT_NOT_FOUND, f"No variant {change.variant.sku}", "sku")
    drafts = tuple(
        change.variant
        if v.sku == change.variant.sku
        else VariantDraft(v.sku, v.title, v.options, v.price, v.compare_at_price)
        for v in current.variants
    )
    problem = _variant_problem(drafts, code)
    if problem is not None:
        return problem
    updated = replace(
        current, variants=tuple(d.to_record() for d in drafts), updated_at=datetime.now(UTC)
    )
    return await _save(run, current, updated, change.product.expected_version, code)


@uses(DataSource.CATALOG)
async def attach_product_asset(run: Run[None, AssetAttachment]) -> Outcome:
    """``Mutation.attachProductAsset``: show a 3D asset on a product page."""
    attachment = run.arguments
    code = AttachProductAssetErrorCode
    current = await _load_current(run, attachment.product.product_id)
    if current is None:
        return MutationError(code.PRODUCT_NOT_FOUND, "No such product", "productId")
    if attachment.asset_id in current.asset_ids:
        return MutationError(code.ALREADY_ATTACHED, "The asset is attached already", "assetId")
    asset = (await run.ctx.sources.catalog.assets_by_ids([attachment.asset_id]))[0]
    if asset is None:
        return MutationError(code.ASSET_NOT_FOUND, "No such asset", "assetId")
    updated = replace(
        current,
        asset_ids=(*current.asset_ids, attachment.asset_id),
        updated_at=datetime.now(UTC),
    )
    return await _save(run, current, updated, attachment.product.expected_version, code)
