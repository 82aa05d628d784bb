"""Merchant-admin catalog mutations; expected failures are typed union members."""

from __future__ import annotations

from typing import Annotated

import strawberry

from datasources import records
from resolvers import catalog_admin
from resolvers.catalog_admin import (
    AssetAttachment,
    ProductDraft,
    ProductPatch,
    VariantChange,
    VariantDraft,
    VersionedProductRef,
)
from resolvers.errors import MutationError
from resolvers.global_ids import expect_global_id
from resolvers.kit import Pipeline
from schema.backing import backed_by
from schema.catalog.inputs import DimensionsInput, MoneyInput, VariantOptionInput
from schema.catalog.types import Product
from schema.permissions import ADMIN_DIRECTIVES, merchant_admin

CreateProductErrorCode = strawberry.enum(catalog_admin.CreateProductErrorCode)
UpdateProductErrorCode = strawberry.enum(catalog_admin.UpdateProductErrorCode)
ArchiveProductErrorCode = strawberry.enum(catalog_admin.ArchiveProductErrorCode)
ProductVariantErrorCode = strawberry.enum(catalog_admin.ProductVariantErrorCode)
AttachProductAssetErrorCode = strawberry.enum(catalog_admin.AttachProductAssetErrorCode)


def _error_type(name: str, code_enum: type, description: str) -> type:
    cls = type(
        name,
        (),
        {
            "__annotations__": {"code": code_enum, "message": str, "field": str | None},
            "is_type_of": backed_by(MutationError),
        },
    )
    return strawberry.type(cls, description=description)


def _success_type(name: str, description: str) -> type:
    cls = type(
        name,
        (),
        {
            "__annotations__": {"product": Product},
            "is_type_of": backed_by(catalog_admin.ProductMutationSuccess),
        },
    )
    return strawberry.type(cls, description=description)


def _result(name: str, code_enum: type, action: str) -> object:
    success = _success_type(f"{name}Success", f"{action} succeeded.")
    error = _error_type(f"{name}Error", code_enum, f"Why {action} failed.")
    return Annotated[success | error, strawberry.union(f"{name}Result")]


CreateProductResult = _result("CreateProduct", CreateProductErrorCode, "createProduct")
UpdateProductResult = _result("UpdateProduct", UpdateProductErrorCode, "updateProduct")
ArchiveProductResult = _result("ArchiveProduct", ArchiveProductErrorCode, "archiveProduct")
CreateProductVariantResult = _result(
    "CreateProductVariant", ProductVariantErrorCode, "createProductVariant"
)
UpdateProductVariantResult = _result(
    "UpdateProductVariant", ProductVariantErrorCode, "updateProductVariant"
)
AttachProductAssetResult = _result(
    "AttachProductAsset", AttachProductAssetErrorCode, "attachProductAsset"
)


@strawberry.input(description="A variant of a new or existing product.")
class ProductVariantInput:
    sku: str
    title: str
    options: list[VariantOptionInput]
    price: MoneyInput
    compare_at_price: MoneyInput | None = None

    def to_draft(self) -> VariantDraft:
        """The resolver's variant draft."""
        return VariantDraft(
            sku=self.sku,
            title=self.title,
            options=tuple(records.VariantOption(o.name, o.value) for o in self.options),
            price=self.price.to_record(),
            compare_at_price=None
            if self.compare_at_price is None
            else self.compare_at_price.to_record(),
        )


@strawberry.input(description="A new product.")
class CreateProductInput:
    slug: str
    name: str
    description: str
    brand: str
    category_id: strawberry.ID
    dimensions: DimensionsInput
    variants: list[ProductVariantInput]
    tags: list[str] = strawberry.field(default_factory=list)
    status: records.ProductStatus = records.ProductStatus.DRAFT


@strawberry.input(description="Changes to a product; omitted fields stay as they are.")
class UpdateProductInput:
    slug: str | None = None
    name: str | None = None
    description: str | None = None
    brand: str | None = None
    category_id: strawberry.ID | None = None
    tags: list[str] | None = None
    dimensions: DimensionsInput | None = None
    status: records.ProductStatus | None = None


def _ref(product_id: strawberry.ID, expected_version: int) -> VersionedProductRef:
    return VersionedProductRef(expect_global_id(product_id, "Product"), expected_version)


@strawberry.type
class CatalogMutation:
    """Merchant-admin catalog edits (Cognito admin group)."""

    @strawberry.mutation(
        graphql_type=CreateProductResult,
        description="Create a product (DRAFT unless a status is given).",
        extensions=[Pipeline(catalog_admin.create_product), merchant_admin()],
        directives=ADMIN_DIRECTIVES,
    )
    def create_product(self, input: CreateProductInput) -> ProductDraft:
        return ProductDraft(
            slug=input.slug,
            name=input.name,
            description=input.description,
            brand=input.brand,
            category_id=expect_global_id(input.category_id, "Category"),
            tags=tuple(input.tags),
            dimensions=input.dimensions.to_record(),
            variants=tuple(v.to_draft() for v in input.variants),
            status=input.status,
        )

    @strawberry.mutation(
        graphql_type=UpdateProductResult,
        description="Edit a product if it is still at expectedVersion.",
        extensions=[Pipeline(catalog_admin.update_product), merchant_admin()],
        directives=ADMIN_DIRECTIVES,
    )
    def update_product(
        self, id: strawberry.ID, expected_version: int, input: UpdateProductInput
    ) -> ProductPatch:
        return ProductPatch(
            product_id=expect_global_id(id, "Product"),
            expected_version=expected_version,
            slug=input.slug,
            name=input.name,
            description=input.description,
            brand=input.brand,
            category_id=(
                None
                if input.category_id is None
                else expect_global_id(input.category_id, "Category")
            ),
            tags=None if input.tags is None else tuple(input.tags),
            dimensions=None if input.dimensions is None else input.dimensions.to_record(),
            status=input.status,
        )

    @strawberry.mutation(
        graphql_type=ArchiveProductResult,
        description="Hide a product from shoppers.",
        extensions=[Pipeline(catalog_admin.archive_product), merchant_admin()],
        directives=ADMIN_DIRECTIVES,
    )
    def archive_product(self, id: strawberry.ID, expected_version: int) -> VersionedProductRef:
        return _ref(id, expected_version)

    @strawberry.mutation(
        graphql_type=CreateProductVariantResult,
        description="Add a variant (SKU) to a product.",
        extensions=[Pipeline(catalog_admin.create_product_variant), merchant_admin()],
        directives=ADMIN_DIRECTIVES,
    )
    def create_product_variant(
        self, product_id: strawberry.ID, expected_version: int, input: ProductVariantInput
    ) -> VariantChange:
        return VariantChange(_ref(product_id, expected_version), input.to_draft())

    @strawberry.mutation(
        graphql_type=UpdateProductVariantResult,
        description="Replace the variant with the same SKU.",
        extensions=[Pipeline(catalog_admin.update_product_variant), merchant_admin()],
        directives=ADMIN_DIRECTIVES,
    )
    def update_product_variant(
        self, product_id: strawberry.ID, expected_version: int, input: ProductVariantInput
    ) -> VariantChange:
        return VariantChange(_ref(product_id, expected_version), input.to_draft())

    @strawberry.mutation(
        graphql_type=AttachProductAssetResult,
        description="Show a 3D asset on a product.",
        extensions=[Pipeline(catalog_admin.attach_product_asset), merchant_admin()],
        directives=ADMIN_DIRECTIVES,
    )
    def attach_product_asset(
        self, product_id: strawberry.ID, expected_version: int, asset_id: strawberry.ID
    ) -> AssetAttachment:
        return AssetAttachment(
            _ref(product_id, expected_version), expect_global_id(asset_id, "Asset3D")
        )
