"""Plain records that data sources return and resolvers pass around.

Strawberry takes each field's GraphQL type from the schema class, so these records never
import the schema; they are frozen so a loader cache can share them safely.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Generic, TypeVar

from datasources.job_records import RenderKind, RenderOutput, RenderRole

T = TypeVar("T")


class ProductStatus(StrEnum):
    """Lifecycle of a product in the catalog."""

    DRAFT = "DRAFT"
    ACTIVE = "ACTIVE"
    ARCHIVED = "ARCHIVED"


class Availability(StrEnum):
    """What a shopper sees about a variant's stock."""

    IN_STOCK = "IN_STOCK"
    LOW_STOCK = "LOW_STOCK"
    OUT_OF_STOCK = "OUT_OF_STOCK"
    PREORDER = "PREORDER"


class AssetFormat(StrEnum):
    """3D file formats an asset can be delivered in."""

    GLB = "GLB"
    GLTF = "GLTF"
    USDZ = "USDZ"
    OBJ = "OBJ"
    STL = "STL"


class ProductSort(StrEnum):
    """Orderings offered by product listings."""

    NAME_ASC = "NAME_ASC"
    NAME_DESC = "NAME_DESC"
    PRICE_ASC = "PRICE_ASC"
    PRICE_DESC = "PRICE_DESC"
    NEWEST = "NEWEST"


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in integer minor units (cents) of an ISO 4217 currency."""

    amount: int
    currency: str


@dataclass(frozen=True, slots=True)
class PriceRange:
    """Cheapest and dearest variant price of a product."""

    min: Money
    max: Money


@dataclass(frozen=True, slots=True)
class Dimensions:
    """Real-world bounding size of a product, in metres."""

    width: float
    depth: float
    height: float


@dataclass(frozen=True, slots=True)
class VariantOption:
    """One chosen option of a variant, such as colour=Green."""

    name: str
    value: str


@dataclass(frozen=True, slots=True)
class VariantRecord:
    """A purchasable SKU of a product."""

    sku: str
    title: str
    options: tuple[VariantOption, ...]
    price: Money
    compare_at_price: Money | None = None

    def option(self, name: str) -> str | None:
        """The value of the option called ``name`` (case-insensitive), if any."""
        wanted = name.casefold()
        return next((o.value for o in self.options if o.name.casefold() == wanted), None)


@dataclass(frozen=True, slots=True)
class MediaRecord:
    """An image of a product, stored in the asset bucket."""

    key: str
    alt: str
    width: int
    height: int
    content_type: str = "image/png"


@dataclass(frozen=True, slots=True)
class ProductRecord:
    """A product with its variants and references to its category and 3D assets."""

    id: str
    slug: str
    name: str
    description: str
    brand: str
    category_id: str
    category_path: tuple[str, ...]
    tags: tuple[str, ...]
    dimensions: Dimensions
    variants: tuple[VariantRecord, ...]
    asset_ids: tuple[str, ...] = ()
    media: tuple[MediaRecord, ...] = ()
    status: ProductStatus = ProductStatus.ACTIVE
    version: int = 1
    created_at: datetime = field(default_factory=lambda: datetime(1970, 1, 1))
    updated_at: datetime = field(default_factory=lambda: datetime(1970, 1, 1))

    @property
    def price_range(self) -> PriceRange | None:
        """Cheapest and dearest variant price, or None for a product with no variants."""
        if not self.variants:
            return None
        prices = sorted((v.price for v in self.variants), key=lambda m: m.amount)
        return PriceRange(min=prices[0], max=prices[-1])


@dataclass(frozen=True, slots=True)
class CategoryRecord:
    """A node of the category tree."""

    id: str
    slug: str
    name: str
    parent_id: str | None
    position: int = 0
    description: str = ""


@dataclass(frozen=True, slots=True)
class Bounds:
    """Axis-aligned bounds of a model, in metres."""

    min: tuple[float, float, float]
    max: tuple[float, float, float]


@dataclass(frozen=True, slots=True)
class AssetSource:
    """One deliverable file of an asset: a format at a level of detail."""

    format: AssetFormat
    lod: int
    key: str
    byte_size: int
    triangle_count: int
    content_type: str


@dataclass(frozen=True, slots=True)
class MaterialVariantMapping:
    """Maps a glTF ``KHR_materials_variants`` name to a product variant option."""

    variant_name: str
    option_name: str
    option_value: str


@dataclass(frozen=True, slots=True)
class AssetRecord:
    """A 3D model of a product and the files it is delivered as."""

    id: str
    product_id: str | None
    format: AssetFormat
    triangle_count: int
    vertex_count: int
    draw_calls: int
    material_count: int
    texture_count: int
    byte_size: int
    bounds: Bounds
    sources: tuple[AssetSource, ...]
    sha256: str
    poster_key: str | None = None
    material_variants: tuple[MaterialVariantMapping, ...] = ()
    created_at: datetime = field(default_factory=lambda: datetime(1970, 1, 1))
    master_key: str | None = None
    """The uncompressed GLB master (renders read it; delivery LODs may be meshopt-packed)."""
    report_key: str | None = None
    """The ingest's ``report.json`` (budgets per LOD); None for assets not made by an ingest."""
    renders: tuple[RenderOutput, ...] = ()
    """The latest rendered files per (kind, variant), recorded by render jobs."""

    def with_renders(self, outputs: Sequence[RenderOutput]) -> AssetRecord:
        """This asset with ``outputs`` recorded: they replace the files of the same (kind,
        variant); the default-look PNG poster (else the first PNG poster) becomes the poster
        when the asset has none."""
        replaced = {(o.kind, o.variant) for o in outputs}
        kept = tuple(r for r in self.renders if (r.kind, r.variant) not in replaced)
        renders = (*kept, *outputs)
        poster_key = self.poster_key
        if poster_key is None:
            pngs = [o for o in outputs if o.role == RenderRole.POSTER_PNG]
            pngs.sort(key=lambda o: o.variant is not None)
            poster_key = pngs[0].key if pngs else None
        return replace(self, renders=renders, poster_key=poster_key)

    def rendered(self, kind: RenderKind, variant: str | None) -> tuple[RenderOutput, ...]:
        """The recorded files of one render (``variant`` None: the default look)."""
        return tuple(r for r in self.renders if r.kind is kind and r.variant == variant)

    def render_source_key(self) -> str | None:
        """The GLB to render: the master, else the LOD 0 GLB source, else None."""
        if self.master_key is not None:
            return self.master_key
        glbs = sorted((s for s in self.sources if s.format is AssetFormat.GLB), key=lambda s: s.lod)
        return glbs[0].key if glbs else None


@dataclass(frozen=True, slots=True)
class StockRecord:
    """Fast-read availability counter of a SKU."""

    sku: str
    quantity_available: int
    low_stock_threshold: int = 5

    @property
    def availability(self) -> Availability:
        """Availability derived from the counter."""
        if self.quantity_available <= 0:
            return Availability.OUT_OF_STOCK
        if self.quantity_available <= self.low_stock_threshold:
            return Availability.LOW_STOCK
        return Availability.IN_STOCK


@dataclass(frozen=True, slots=True)
class ProductFilter:
    """Filters of a product listing; every given field must match."""

    category_id: str | None = None
    brand: str | None = None
    tags: tuple[str, ...] = ()
    min_price: int | None = None
    max_price: int | None = None
    statuses: tuple[ProductStatus, ...] = (ProductStatus.ACTIVE,)


@dataclass(frozen=True, slots=True)
class ProductPageRequest:
    """A page of products: filters, order, size and the keyset cursor to continue after."""

    filter: ProductFilter
    sort: ProductSort
    first: int
    after: str | None = None


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """A page of items in keyset order, with opaque cursors per item."""

    items: tuple[T, ...]
    cursors: tuple[str, ...]
    has_next_page: bool
    has_previous_page: bool
    total_count: int
