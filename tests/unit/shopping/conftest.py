"""The real schema over the fake catalog and the in-memory shopping store."""

from __future__ import annotations

from typing import Any

import pytest

from datasources.records import Money, ProductStatus, VariantOption, VariantRecord
from resolvers.context import Identity
from tests import factories
from tests.fakes.blobs import FakeBlobStore
from tests.fakes.catalog import FakeAssetUrls, FakeCatalog
from tests.fakes.shopping import FakeShop, fake_shopping
from tests.graphql_client import SchemaClient
from tests.support.shopping_api import STOREFRONT, Result

STOCK_PER_SKU = 5


@pytest.fixture
def catalog() -> FakeCatalog:
    """Ten sofas (SKU-00n-G at 100.n0 EUR, SKU-00n-B), an archived one, one priced in USD."""
    fake = FakeCatalog()
    for category in factories.categories():
        fake.categories[category.id] = category
    for index in range(10):
        product = factories.product(index)
        fake.products[product.id] = product
    archived = factories.product(20, status=ProductStatus.ARCHIVED)
    fake.products[archived.id] = archived
    usd = factories.product(
        21,
        variants=(
            VariantRecord(
                "SKU-021-USD", "Brass", (VariantOption("finish", "Brass"),), Money(9_900, "USD")
            ),
        ),
    )
    fake.products[usd.id] = usd
    return fake


@pytest.fixture
def shop(catalog: FakeCatalog) -> FakeShop:
    """The in-memory store with 5 units of every SKU in the catalog."""
    store = FakeShop()
    for product in catalog.products.values():
        for variant in product.variants:
            store.put_stock(variant.sku, STOCK_PER_SKU)
    return store


@pytest.fixture
def client(catalog: FakeCatalog, shop: FakeShop) -> SchemaClient:
    sources, _ = fake_shopping(shop)
    return SchemaClient(catalog, FakeBlobStore(), FakeAssetUrls(), shopping=sources)


@pytest.fixture
def execute(client: SchemaClient) -> Any:
    """The ``Execute`` of tests.support.shopping_api over the SchemaClient."""

    async def run(
        query: str,
        variables: dict[str, Any] | None = None,
        identity: Identity = STOREFRONT,
        *,
        cart_token: str | None = None,
    ) -> Result:
        return await client.execute(query, variables, identity, cart_token=cart_token)

    return run
