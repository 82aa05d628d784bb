"""Catalog and 3D asset object types (backed by ``datasources.records``)."""

from __future__ import annotations

from typing import Annotated

import strawberry

from datasources import records
from datasources.records import AssetFormat, Availability, ProductSort, ProductStatus
from resolvers import asset_details, catalog
from resolvers.connections import DEFAULT_PAGE_SIZE
from resolvers.kit import Pipeline
from schema.backing import backed_by
from schema.catalog.asset_details import AssetLod, BudgetReport, RenderedImage, Turntable
from schema.catalog.inputs import ProductFilterInput, product_page_request
from schema.node import Node, global_id_resolver
from schema.scalars import AWSURL, AWSDateTime

VARIANT_ARGUMENT = "A KHR_materials_variants name; null: the default look."

strawberry.enum(ProductStatus, description="Lifecycle of a product.")
strawberry.enum(Availability, description="Stock status of a variant.")
strawberry.enum(AssetFormat, description="3D file formats.")
strawberry.enum(ProductSort, description="Orderings of product lists.")


@strawberry.type(description="An amount of money in integer minor units (cents).")
class Money:
    amount: int = strawberry.field(description="Minor units, e.g. 1999 for 19.99.")
    currency: str = strawberry.field(description="ISO 4217 currency code.")


@strawberry.type(description="Cheapest and dearest variant price.")
class PriceRange:
    min: Money
    max: Money


@strawberry.type(description="Real-world bounding size in metres.")
class Dimensions:
    width: float = strawberry.field(description="Metres along X.")
    depth: float = strawberry.field(description="Metres along Z.")
    height: float = strawberry.field(description="Metres along Y (up).")


@strawberry.type(description="A chosen option of a variant, such as colour = Green.")
class VariantOption:
    name: str
    value: str


@strawberry.type(description="A purchasable SKU of a product.")
class ProductVariant:
    sku: str
    title: str
    options: list[VariantOption]
    price: Money
    compare_at_price: Money | None
    availability: Availability = strawberry.field(
        extensions=[Pipeline(catalog.variant_availability)]
    )
    quantity_available: int = strawberry.field(extensions=[Pipeline(catalog.variant_quantity)])


@strawberry.type(description="An image of a product.")
class Media:
    alt: str
    width: int
    height: int
    content_type: str
    url: AWSURL = strawberry.field(extensions=[Pipeline(catalog.source_url)])


@strawberry.type(description="Axis-aligned bounds in metres.")
class Bounds:
    min: list[float]
    max: list[float]


@strawberry.type(description="One deliverable file of a 3D asset: a format at a level of detail.")
class AssetSource:
    format: AssetFormat
    lod: int = strawberry.field(description="Level of detail: 0 is the full model.")
    byte_size: int
    triangle_count: int
    content_type: str
    url: AWSURL = strawberry.field(extensions=[Pipeline(catalog.source_url)])


@strawberry.type(description="A glTF KHR_materials_variants name and the variant option it shows.")
class MaterialVariant:
    variant_name: str
    option_name: str
    option_value: str


@strawberry.type(description="A 3D model of a product.")
class Asset3D(Node):
    is_type_of = backed_by(records.AssetRecord)

    id: strawberry.ID = strawberry.field(resolver=global_id_resolver("Asset3D"))
    format: AssetFormat
    triangle_count: int
    vertex_count: int
    draw_calls: int
    material_count: int
    texture_count: int
    byte_size: int
    bounds: Bounds
    sha256: str
    material_variants: list[MaterialVariant]
    created_at: AWSDateTime
    poster_url: AWSURL | None = strawberry.field(extensions=[Pipeline(catalog.poster_url)])
    lods: list[AssetLod] = strawberry.field(
        description="The delivered GLB per level of detail, LOD 0 (finest) first.",
        extensions=[Pipeline(asset_details.asset_lods)],
    )
    budget_report: BudgetReport | None = strawberry.field(
        description="Performance budgets measured at ingest; null for assets not ingested "
        "from an upload.",
        extensions=[Pipeline(asset_details.asset_budget_report)],
    )

    @strawberry.field(
        graphql_type=list[AssetSource],
        description="Deliverable files in stored order (GLB per LOD, then USDZ), of one "
        "format or all.",
        extensions=[Pipeline(asset_details.asset_sources)],
    )
    def sources(
        self,
        format: Annotated[
            AssetFormat | None, strawberry.argument(description="Only files of this format.")
        ] = None,
    ) -> AssetFormat | None:
        return format

    @strawberry.field(
        graphql_type=RenderedImage | None,
        description="The latest poster of a material variant (the default look when null); "
        "null until one is rendered.",
        extensions=[Pipeline(asset_details.asset_poster)],
    )
    def poster(
        self,
        variant: Annotated[str | None, strawberry.argument(description=VARIANT_ARGUMENT)] = None,
    ) -> str | None:
        return variant

    @strawberry.field(
        graphql_type=Turntable | None,
        description="The latest turntable of a material variant (the default look when "
        "null); null until one is rendered.",
        extensions=[Pipeline(asset_details.asset_turntable)],
    )
    def turntable(
        self,
        variant: Annotated[str | None, strawberry.argument(description=VARIANT_ARGUMENT)] = None,
    ) -> str | None:
        return variant


@strawberry.type(description="A product with variants, 3D assets and images.")
class Product(Node):
    is_type_of = backed_by(records.ProductRecord)

    id: strawberry.ID = strawberry.field(resolver=global_id_resolver("Product"))
    slug: str
    name: str
    description: str
    brand: str
    tags: list[str]
    status: ProductStatus
    version: int = strawberry.field(description="Pass as expectedVersion when you edit.")
    dimensions: Dimensions
    price_range: PriceRange | None
    variants: list[ProductVariant]
    media: list[Media]
    created_at: AWSDateTime
    updated_at: AWSDateTime
    category: Category | None = strawberry.field(extensions=[Pipeline(catalog.product_category)])
    assets: list[Asset3D] = strawberry.field(extensions=[Pipeline(catalog.product_assets)])


@strawberry.type(description="Relay page info.")
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type(description="A product and its cursor.")
class ProductEdge:
    node: Product
    cursor: str


@strawberry.type(description="A page of products (at most 100).")
class ProductConnection:
    edges: list[ProductEdge]
    nodes: list[Product]
    page_info: PageInfo
    total_count: int = strawberry.field(description="Matches across all pages.")


@strawberry.type(description="A node of the category tree.")
class Category(Node):
    is_type_of = backed_by(records.CategoryRecord)

    id: strawberry.ID = strawberry.field(resolver=global_id_resolver("Category"))
    slug: str
    name: str
    description: str
    position: int
    parent: Category | None = strawberry.field(extensions=[Pipeline(catalog.category_parent)])
    children: list[Category] = strawberry.field(
        extensions=[Pipeline(catalog.all_categories, catalog.category_children)]
    )
    ancestors: list[Category] = strawberry.field(
        description="From the root down to the parent, for breadcrumbs.",
        extensions=[Pipeline(catalog.category_ancestors)],
    )

    @strawberry.field(
        graphql_type=ProductConnection,
        description="Products in this category and its descendants.",
        extensions=[Pipeline(catalog.products)],
    )
    def products(
        self,
        first: int | None = DEFAULT_PAGE_SIZE,
        after: str | None = None,
        filter: ProductFilterInput | None = None,
        sort: ProductSort = ProductSort.NAME_ASC,
    ) -> records.ProductPageRequest:
        return product_page_request(first, after, filter, sort)
