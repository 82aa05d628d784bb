from __future__ import annotations

import pytest

from tests import factories
from tests.fakes.blobs import FakeBlobStore
from tests.fakes.catalog import FakeAssetUrls, FakeCatalog
from tests.graphql_client import SchemaClient


@pytest.fixture
def catalog() -> FakeCatalog:
    fake = FakeCatalog()
    for category in factories.categories():
        fake.categories[category.id] = category
    for index in range(30):
        product = factories.product(index)
        fake.products[product.id] = product
        fake.assets[f"asset-{index:03d}"] = factories.asset(f"asset-{index:03d}", product.id)
        for variant in product.variants:
            fake.stock[variant.sku] = factories.stock(variant.sku, index % 7)
    return fake


@pytest.fixture
def client(catalog: FakeCatalog) -> SchemaClient:
    return SchemaClient(catalog, FakeBlobStore(), FakeAssetUrls())
