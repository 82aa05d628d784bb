"""Admin mutations: typed failures, optimistic locking and the admin group."""

from __future__ import annotations

from typing import Any

from datasources.events import Topic
from resolvers.global_ids import to_global_id
from tests import factories
from tests.fakes.catalog import FakeCatalog
from tests.graphql_client import ADMIN, API_KEY_CALLER, SHOPPER, SchemaClient

CREATE = """
mutation Create($input: CreateProductInput!) {
  createProduct(input: $input) {
    __typename
    ... on CreateProductSuccess { product { id slug name version status priceRange { min { amount } } category { name } } }
    ... on CreateProductError { code message field }
  }
}
"""

UPDATE = """
mutation Update($id: ID!, $version: Int!, $input: UpdateProductInput!) {
  updateProduct(id: $id, expectedVersion: $version, input: $input) {
    __typename
    ... on UpdateProductSuccess { product { name version slug } }
    ... on UpdateProductError { code message field }
  }
}
"""


def new_product(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "slug": "aria-lounge-chair",
        "name": "Aria Lounge Chair",
        "description": "Curved oak lounge chair",
        "brand": "Nordhem",
        "categoryId": to_global_id("Category", "chairs"),
        "dimensions": {"width": 0.8, "depth": 0.85, "height": 0.9},
        "variants": [
            {
                "sku": "ARIA-OAK",
                "title": "Oak",
                "options": [{"name": "material", "value": "Oak"}],
                "price": {"amount": 49_900, "currency": "eur"},
            },
            {
                "sku": "ARIA-WAL",
                "title": "Walnut",
                "options": [{"name": "material", "value": "Walnut"}],
                "price": {"amount": 54_900, "currency": "EUR"},
            },
        ],
        "tags": ["oak"],
        "status": "ACTIVE",
    }
    values.update(overrides)
    return values


async def test_admin_creates_a_product(client: SchemaClient, catalog: FakeCatalog) -> None:
    data, errors = await client.execute(CREATE, {"input": new_product()}, identity=ADMIN)
    assert errors == []
    result = data["createProduct"]
    assert result["__typename"] == "CreateProductSuccess"
    assert result["product"]["slug"] == "aria-lounge-chair"
    assert result["product"]["version"] == 1
    assert result["product"]["priceRange"] == {"min": {"amount": 49_900}}
    assert result["product"]["category"] == {"name": "Chairs"}
    stored = next(p for p in catalog.products.values() if p.slug == "aria-lounge-chair")
    assert stored.category_path == ("furniture", "chairs")


async def test_create_failures_are_typed(client: SchemaClient) -> None:
    cases = [
        (new_product(slug="product-001"), "SLUG_TAKEN", "slug"),
        (new_product(slug="Not A Slug"), "INVALID", "slug"),
        (
            new_product(categoryId=to_global_id("Category", "ghost")),
            "CATEGORY_NOT_FOUND",
            "categoryId",
        ),
        (new_product(dimensions={"width": 0, "depth": 1, "height": 1}), "INVALID", "dimensions"),
    ]
    duplicate = new_product()
    duplicate["variants"][1]["sku"] = "ARIA-OAK"
    cases.append((duplicate, "DUPLICATE_SKU", "sku"))
    negative = new_product()
    negative["variants"][0]["price"]["amount"] = -1
    cases.append((negative, "INVALID_PRICE", "price"))
    mixed = new_product()
    mixed["variants"][1]["price"]["currency"] = "USD"
    cases.append((mixed, "INVALID_PRICE", "price"))
    for given, code, field in cases:
        data, errors = await client.execute(CREATE, {"input": given}, identity=ADMIN)
        assert errors == []
        assert data["createProduct"]["__typename"] == "CreateProductError"
        assert (data["createProduct"]["code"], data["createProduct"]["field"]) == (code, field)


async def test_only_admins_may_mutate(client: SchemaClient, catalog: FakeCatalog) -> None:
    before = dict(catalog.products)
    for identity, error_type in ((API_KEY_CALLER, "UnauthorizedException"), (SHOPPER, "Forbidden")):
        data, errors = await client.execute(CREATE, {"input": new_product()}, identity=identity)
        assert data is None
        assert errors[0]["extensions"]["errorType"] == error_type
    assert catalog.products == before


async def test_concurrent_edits_never_overwrite(client: SchemaClient) -> None:
    # given two admins read version 1 of the same product
    product_id = to_global_id("Product", "prod-004")
    first = {"id": product_id, "version": 1, "input": {"name": "Renamed by Ana"}}
    second = {"id": product_id, "version": 1, "input": {"name": "Renamed by Ben"}}
    # when both save
    data1, errors1 = await client.execute(UPDATE, first, identity=ADMIN)
    data2, errors2 = await client.execute(UPDATE, second, identity=ADMIN)
    # then the first wins and the second gets a VERSION_CONFLICT naming both versions
    assert errors1 == []
    assert errors2 == []
    assert data1["updateProduct"]["product"] == {
        "name": "Renamed by Ana",
        "version": 2,
        "slug": "product-004",
    }
    assert data2["updateProduct"]["code"] == "VERSION_CONFLICT"
    assert "version 2, not the expected version 1" in data2["updateProduct"]["message"]


async def test_update_unknown_product(client: SchemaClient) -> None:
    variables = {"id": to_global_id("Product", "ghost"), "version": 1, "input": {"name": "x"}}
    data, errors = await client.execute(UPDATE, variables, identity=ADMIN)
    assert errors == []
    assert data["updateProduct"]["code"] == "NOT_FOUND"


async def test_archive_then_archive_again(client: SchemaClient, catalog: FakeCatalog) -> None:
    archive = """mutation($id: ID!, $v: Int!) { archiveProduct(id: $id, expectedVersion: $v) {
      __typename ... on ArchiveProductSuccess { product { status version } }
      ... on ArchiveProductError { code } } }"""
    product_id = to_global_id("Product", "prod-002")
    data, errors = await client.execute(archive, {"id": product_id, "v": 1}, identity=ADMIN)
    again, _ = await client.execute(archive, {"id": product_id, "v": 2}, identity=ADMIN)
    listing, _ = await client.execute("{ products(first: 100) { totalCount } }")
    assert errors == []
    assert data["archiveProduct"]["product"] == {"status": "ARCHIVED", "version": 2}
    assert again["archiveProduct"] == {
        "__typename": "ArchiveProductError",
        "code": "ALREADY_ARCHIVED",
    }
    assert listing["products"]["totalCount"] == 29


async def test_variants_added_and_replaced(client: SchemaClient, catalog: FakeCatalog) -> None:
    create = """mutation($p: ID!, $v: Int!, $input: ProductVariantInput!) {
      createProductVariant(productId: $p, expectedVersion: $v, input: $input) {
        __typename ... on CreateProductVariantSuccess { product { version variants { sku } } }
        ... on CreateProductVariantError { code } } }"""
    update = create.replace("createProductVariant", "updateProductVariant").replace(
        "CreateProductVariant", "UpdateProductVariant"
    )
    product_id = to_global_id("Product", "prod-005")
    red = {
        "sku": "SKU-005-R",
        "title": "Red",
        "options": [{"name": "colour", "value": "Red"}],
        "price": {"amount": 13_000, "currency": "EUR"},
    }
    added, e1 = await client.execute(
        create, {"p": product_id, "v": 1, "input": red}, identity=ADMIN
    )
    twice, e2 = await client.execute(
        create, {"p": product_id, "v": 2, "input": red}, identity=ADMIN
    )
    red["price"] = {"amount": 9_900, "currency": "EUR"}
    changed, e3 = await client.execute(
        update, {"p": product_id, "v": 2, "input": red}, identity=ADMIN
    )
    assert e1 == e2 == e3 == []
    assert added["createProductVariant"]["product"]["variants"][-1] == {"sku": "SKU-005-R"}
    assert twice["createProductVariant"] == {
        "__typename": "CreateProductVariantError",
        "code": "DUPLICATE_SKU",
    }
    assert changed["updateProductVariant"]["product"]["version"] == 3
    assert catalog.products["prod-005"].variants[-1].price.amount == 9_900


async def test_attach_asset(client: SchemaClient, catalog: FakeCatalog) -> None:
    attach = """mutation($p: ID!, $v: Int!, $a: ID!) {
      attachProductAsset(productId: $p, expectedVersion: $v, assetId: $a) {
        __typename ... on AttachProductAssetSuccess { product { assets { id } } }
        ... on AttachProductAssetError { code } } }"""
    product_id = to_global_id("Product", "prod-006")
    other_asset = to_global_id("Asset3D", "asset-007")
    data, errors = await client.execute(
        attach, {"p": product_id, "v": 1, "a": other_asset}, identity=ADMIN
    )
    missing, _ = await client.execute(
        attach, {"p": product_id, "v": 2, "a": to_global_id("Asset3D", "ghost")}, identity=ADMIN
    )
    assert errors == []
    assert data["attachProductAsset"]["product"]["assets"][-1] == {"id": other_asset}
    assert missing["attachProductAsset"]["code"] == "ASSET_NOT_FOUND"


async def test_catalog_mutations_publish_product_and_price_events(client: SchemaClient) -> None:
    update = """mutation($p: ID!, $v: Int!, $input: ProductVariantInput!) {
      updateProductVariant(productId: $p, expectedVersion: $v, input: $input) {
        __typename ... on UpdateProductVariantError { code } } }"""
    rename = """mutation($p: ID!) { updateProduct(id: $p, expectedVersion: 2, input: {name: "Renamed"})
      { __typename } }"""
    product_id = to_global_id("Product", "prod-005")
    variant = factories.product(5).variants[0]
    new_price = {
        "sku": variant.sku,
        "title": variant.title,
        "options": [{"name": o.name, "value": o.value} for o in variant.options],
        "price": {"amount": variant.price.amount + 500, "currency": variant.price.currency},
    }
    events = client.sources.events
    topics = [Topic.PRODUCT_CHANGED, Topic.PRICE_CHANGED]
    async with events.subscribe(topics) as stream:
        _, e1 = await client.execute(update, {"p": product_id, "v": 1, "input": new_price}, ADMIN)
        _, e2 = await client.execute(rename, {"p": product_id}, ADMIN)
        _, e3 = await client.execute(update, {"p": product_id, "v": 1, "input": new_price}, ADMIN)
        received = [await anext(stream) for _ in range(3)]
    assert e1 == e2 == e3 == []
    assert [(e.topic, e.key) for e in received] == [
        (Topic.PRODUCT_CHANGED, "prod-005"),
        (Topic.PRICE_CHANGED, "prod-005"),
        (Topic.PRODUCT_CHANGED, "prod-005"),
    ]
    assert received[1].payload == {
        "variants": [
            {
                "sku": variant.sku,
                "oldAmount": variant.price.amount,
                "amount": variant.price.amount + 500,
                "currency": variant.price.currency,
            }
        ]
    }
    assert received[2].payload["version"] == 3
    assert events.published == 3  # the stale third update published nothing
