"""Every storefront and admin operation in client_examples/operations validates and runs."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    OperationDefinitionNode,
    parse,
    validate,
)

from gateway.contract import SCHEMA_DIR
from schema import build_schema
from tests import factories
from tests.fakes.blobs import FakeBlobStore
from tests.fakes.catalog import FakeAssetUrls, FakeCatalog
from tests.graphql_client import SchemaClient

OPERATIONS_DIR = SCHEMA_DIR.parent / "client_examples" / "operations"
OPERATION_FILES = sorted(OPERATIONS_DIR.glob("*.graphql"))
SCHEMA = build_schema()._schema


def _document(path: Path) -> DocumentNode:
    return parse(path.read_text(encoding="utf-8"))


def test_there_are_operations_for_the_storefront_and_admin() -> None:
    # given the operations folder
    # when listing its files
    names = {path.stem for path in OPERATION_FILES}
    # then the storefront and admin operations are all there
    assert {
        "ProductPage",
        "CategoryListing",
        "CategoryTree",
        "ProductsByFilter",
        "Node",
        "AdminCreateProduct",
        "AdminUpdateProduct",
        "AdminArchiveProduct",
        "AdminAttachAsset",
        "AdminUploadAsset",
        "AdminFinalizeAssetUpload",
        "AdminRequestRender",
        "MerchantUploadPage",
        "MerchantRenderJob",
        "OnRenderJobProgress",
        "AssetDetails",
    } <= names


@pytest.mark.parametrize("path", OPERATION_FILES, ids=lambda p: p.name)
def test_operation_validates_against_the_schema(path: Path) -> None:
    # given an operation file
    document = _document(path)
    # when validating it against the schema
    errors = validate(SCHEMA, document)
    # then it is valid
    assert [e.message for e in errors] == []


@pytest.mark.parametrize("path", OPERATION_FILES, ids=lambda p: p.name)
def test_operation_file_holds_one_operation_named_after_the_file(path: Path) -> None:
    # given an operation file
    document = _document(path)
    # when splitting its definitions
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    others = [
        d
        for d in document.definitions
        if not isinstance(d, OperationDefinitionNode | FragmentDefinitionNode)
    ]
    # then there is exactly one named operation (plus fragments), named like the file
    assert len(operations) == 1
    assert operations[0].name is not None
    assert operations[0].name.value == path.stem
    assert others == []


def _operation(name: str) -> str:
    return (OPERATIONS_DIR / f"{name}.graphql").read_text(encoding="utf-8")


def _client() -> tuple[SchemaClient, FakeCatalog]:
    catalog = FakeCatalog()
    for category in factories.categories():
        catalog.categories[category.id] = category
    for index in range(3):
        product = factories.product(index)
        catalog.products[product.id] = product
        catalog.assets[f"asset-{index:03d}"] = factories.asset(f"asset-{index:03d}", product.id)
        for variant in product.variants:
            catalog.stock[variant.sku] = factories.stock(variant.sku, 5)
    return SchemaClient(catalog, FakeBlobStore(), FakeAssetUrls()), catalog


async def test_storefront_operations_run_on_the_fake_catalog() -> None:
    # given the real schema over a fake catalog of three sofas
    client, catalog = _client()
    # when the storefront runs its read operations
    page, page_errors = await client.execute(_operation("ProductPage"), {"slug": "product-001"})
    listing, listing_errors = await client.execute(
        _operation("CategoryListing"), {"slug": "furniture", "filter": {"brand": "Nordhem"}}
    )
    tree, tree_errors = await client.execute(_operation("CategoryTree"))
    found, found_errors = await client.execute(
        _operation("ProductsByFilter"), {"filter": {"tags": ["oak"]}, "sort": "PRICE_DESC"}
    )
    assert page is not None
    node, node_errors = await client.execute(_operation("Node"), {"id": page["product"]["id"]})
    # then every operation succeeds with the data the pages render
    assert [page_errors, listing_errors, tree_errors, found_errors, node_errors] == [[]] * 5
    product = page["product"]
    assert product["name"] == "Product 001"
    assert [c["slug"] for c in product["category"]["ancestors"]] == ["furniture"]
    assert product["assets"][0]["sources"][0]["lod"] == 0
    assert [v["quantityAvailable"] for v in product["variants"]] == [5, 5]
    assert listing is not None
    assert listing["category"]["products"]["totalCount"] == 2
    assert tree is not None
    assert [c["slug"] for c in tree["categories"]] == ["furniture", "lighting"]
    assert [c["slug"] for c in tree["categories"][0]["children"]] == ["sofas", "chairs"]
    assert found is not None
    assert [p["slug"] for p in found["products"]["nodes"]] == ["product-002", "product-001"]
    assert node is not None
    assert node["node"] == {
        "__typename": "Product",
        "id": product["id"],
        "slug": "product-001",
        "name": "Product 001",
        "version": catalog.products["prod-001"].version,
        "status": "ACTIVE",
    }
