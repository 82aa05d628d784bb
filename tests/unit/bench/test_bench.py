"""The benchmark's own logic: the hand-written pages answer what GraphQL answers; load stats."""

from __future__ import annotations

import httpx
import pytest

from bench.checks import first_difference, normalize
from bench.handwritten import Pages
from bench.load import is_error, percentile
from bench.scenarios import BENCH_OPERATIONS, CLIENT_OPERATIONS
from datasources.instrumentation import call_log
from tests import factories
from tests.fakes.blobs import FakeBlobStore
from tests.fakes.catalog import FakeAssetUrls, FakeCatalog
from tests.graphql_client import SchemaClient

PRODUCT_PAGE = (CLIENT_OPERATIONS / "ProductPage.graphql").read_text()
LISTING = (CLIENT_OPERATIONS / "CategoryListing.graphql").read_text()
LISTING_FULL = (BENCH_OPERATIONS / "CategoryListingFull.graphql").read_text()


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
def pages(catalog: FakeCatalog) -> Pages:
    return Pages(catalog, FakeAssetUrls())


@pytest.fixture
def client(catalog: FakeCatalog) -> SchemaClient:
    return SchemaClient(catalog, FakeBlobStore(), FakeAssetUrls())


async def test_handwritten_product_page_equals_the_graphql_answer(
    pages: Pages, client: SchemaClient
) -> None:
    # given the ProductPage operation answered by the schema
    data, errors = await client.execute(PRODUCT_PAGE, {"slug": "product-003"})
    # when the hand-written page is built for the same slug
    page = await pages.product_page("product-003")
    # then both hold the same JSON, breadcrumbs included
    assert errors == []
    assert first_difference(data, page) is None
    assert [a["slug"] for a in page["product"]["category"]["ancestors"]] == ["furniture"]


async def test_handwritten_listing_equals_the_graphql_answer(
    pages: Pages, client: SchemaClient
) -> None:
    data, errors = await client.execute(LISTING, {"slug": "furniture"})
    page = await pages.category_listing("furniture", full_cards=False)
    assert errors == []
    assert first_difference(data, page) is None
    assert len(page["category"]["products"]["edges"]) == 24
    assert "variants" not in page["category"]["products"]["edges"][0]["node"]


async def test_handwritten_full_listing_equals_the_graphql_answer_in_as_many_round_trips(
    pages: Pages, client: SchemaClient
) -> None:
    # given the full-card listing answered by the schema, with its round trips counted
    data, errors = await client.execute(LISTING_FULL, {"slug": "furniture"})
    # when the hand-written page is built under a call log
    with call_log() as log:
        page = await pages.category_listing("furniture", full_cards=True)
    # then the JSON is the same and so is the number of round trips
    assert errors == []
    assert first_difference(data, page) is None
    assert log.total == client.last_calls.total == 4
    node = page["category"]["products"]["edges"][0]["node"]
    assert node["variants"][0]["availability"] == "OUT_OF_STOCK"
    assert node["category"]["slug"] == "sofas"


async def test_unknown_slugs_give_null_like_graphql(pages: Pages, client: SchemaClient) -> None:
    data, errors = await client.execute(PRODUCT_PAGE, {"slug": "no-such-product"})
    assert errors == []
    assert data == await pages.product_page("no-such-product") == {"product": None}
    assert await pages.category_listing("nowhere", full_cards=False) == {"category": None}


def test_first_difference_names_the_path() -> None:
    left = {"a": [{"b": 1}, {"b": 2}]}
    assert first_difference(left, {"a": [{"b": 1}, {"b": 3}]}) == ".a[1].b: 2 != 3"
    assert first_difference(left, {"a": [{"b": 1}]}) == ".a: 2 items != 1"
    assert first_difference(left, {"a": [{"b": 1}, {"b": 2}]}) is None


def test_normalize_drops_url_query_strings_only() -> None:
    value = {"url": "https://s3/key?X-Amz-Date=1", "alt": "a?b", "n": [1]}
    assert normalize(value) == {"url": "https://s3/key", "alt": "a?b", "n": [1]}


def test_percentile_interpolates() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == pytest.approx(50.5)
    assert percentile(values, 99) == pytest.approx(99.01)
    assert percentile([7.0], 99) == 7.0


def test_graphql_errors_in_a_200_count_as_errors() -> None:
    assert is_error(httpx.Response(200, content=b'{"data":null,"errors":[{}]}'))
    assert is_error(httpx.Response(500, content=b"{}"))
    assert not is_error(httpx.Response(200, content=b'{"data":{"product":null}}'))
