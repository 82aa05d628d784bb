"""The full-response cache over HTTP: hits skip execution, changes purge the answers that show
them, and a price change asks CloudFront (moto) for one invalidation."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from datasources.events.records import DomainEvent, Topic
from datasources.instrumentation import call_log
from gateway.app import create_app
from gateway.bootstrap import Services, build_services, provision
from gateway.response_cache import ResponseCache
from gateway.settings import Settings
from resolvers.global_ids import to_global_id
from tests.api.conftest import API_KEY, load_catalog
from tests.api.shopping.conftest import StaticTokens
from tests.conftest import make_settings
from tests.support.cloudfront import create_distribution, invalidation_paths
from tests.support.moto_process import MotoProcess

pytestmark = pytest.mark.integration

ADMIN = {"authorization": "Bearer test:merchant:admin"}
PRODUCT = """
query ProductPrice($id: ID!) {
  product(id: $id) { name variants { sku price { amount currency } quantityAvailable } }
}
"""
UPDATE_VARIANT = """
mutation Reprice($productId: ID!, $expectedVersion: Int!, $input: ProductVariantInput!) {
  updateProductVariant(productId: $productId, expectedVersion: $expectedVersion, input: $input) {
    __typename
    ... on UpdateProductVariantSuccess { product { version } }
    ... on UpdateProductVariantError { code message }
  }
}
"""


@dataclasses.dataclass
class Gateway:
    client: httpx.AsyncClient
    app: Any
    endpoint_url: str
    distribution_id: str
    services: Services

    @property
    def cache(self) -> ResponseCache:
        cache: ResponseCache = self.app.state.response_cache
        return cache


@pytest.fixture(scope="module")
async def gateway(moto: MotoProcess) -> AsyncIterator[Gateway]:
    distribution_id = create_distribution(moto.endpoint_url)
    settings: Settings = make_settings(
        moto.endpoint_url,
        VITRINE_CLOUDFRONT_DISTRIBUTION_ID=distribution_id,
        VITRINE_CDN_INVALIDATION_INTERVAL_SECONDS=0.2,
    )
    services: Services = dataclasses.replace(build_services(settings), tokens=StaticTokens())
    await provision(services)
    await load_catalog(services, 5)
    app = create_app(settings, services)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
            yield Gateway(client, app, moto.endpoint_url, distribution_id, services)


def product_params(index: int) -> dict[str, str]:
    variables = {"id": to_global_id("Product", f"prod-{index:03d}")}
    return {"query": PRODUCT, "variables": json.dumps(variables)}


async def eventually(condition: Callable[[], Any], attempts: int = 200) -> Any:
    """Poll ``condition`` (a background task's progress) until it holds."""
    for _ in range(attempts):
        value = condition()
        if value:
            return value
        await asyncio.sleep(0.05)
    raise AssertionError("condition never held")


async def test_a_second_identical_get_makes_no_data_source_call(gateway: Gateway) -> None:
    # given a catalog GET answered once (and stored)
    params = product_params(1)
    with call_log() as first_calls:
        first = await gateway.client.get("/graphql", params=params, headers=API_KEY)
    assert first.json().get("errors", []) == []
    assert first.headers["x-vitrine-cache"] == "miss"
    assert first_calls.total > 0
    # when the very same GET comes again
    with call_log() as second_calls:
        second = await gateway.client.get("/graphql", params=params, headers=API_KEY)
    # then it is served from the response cache without touching any data source
    assert second.json().get("errors", []) == []
    assert second.json()["data"] == first.json()["data"]
    assert second.headers["x-vitrine-cache"] == "hit"
    assert second.headers["etag"] == first.headers["etag"]
    assert second.headers["cache-control"] == first.headers["cache-control"]
    assert second_calls.total == 0
    assert dict(second_calls.calls) == {}


async def test_other_variables_and_other_auth_modes_are_other_entries(gateway: Gateway) -> None:
    await gateway.client.get("/graphql", params=product_params(2), headers=API_KEY)
    # when another product is asked for, then it is computed, not served from product 2's entry
    other = await gateway.client.get("/graphql", params=product_params(3), headers=API_KEY)
    assert other.json().get("errors", []) == []
    assert other.headers["x-vitrine-cache"] == "miss"
    assert other.json()["data"]["product"]["name"] == "Product 003"
    # when an anonymous caller sends product 2's URL, then it is not given the API-key answer
    anonymous = await gateway.client.get("/graphql", params=product_params(2))
    assert [e["extensions"]["code"] for e in anonymous.json()["errors"]] == ["UNAUTHENTICATED"]
    assert "x-vitrine-cache" not in anonymous.headers


async def test_a_price_change_purges_the_cached_answer_and_invalidates_cloudfront(
    gateway: Gateway,
) -> None:
    # given product 4's answer is cached
    params = product_params(4)
    await gateway.client.get("/graphql", params=params, headers=API_KEY)
    cached = await gateway.client.get("/graphql", params=params, headers=API_KEY)
    assert cached.headers["x-vitrine-cache"] == "hit"
    assert cached.json()["data"]["product"]["variants"][0]["price"]["amount"] == 10_400
    handled = gateway.app.state.cache_invalidation.handled
    # when an admin changes the price of its first variant
    changed = await gateway.client.post(
        "/graphql",
        json={
            "query": UPDATE_VARIANT,
            "variables": {
                "productId": to_global_id("Product", "prod-004"),
                "expectedVersion": 1,
                "input": {
                    "sku": "SKU-004-G",
                    "title": "Green",
                    "options": [{"name": "colour", "value": "Green"}],
                    "price": {"amount": 7_777, "currency": "EUR"},
                },
            },
        },
        headers=ADMIN,
    )
    assert changed.json().get("errors", []) == []
    assert changed.json()["data"]["updateProductVariant"]["__typename"] == (
        "UpdateProductVariantSuccess"
    )
    # (PRODUCT_CHANGED and PRICE_CHANGED handled by the background consumer)
    await eventually(lambda: gateway.app.state.cache_invalidation.handled >= handled + 2)
    # then the next GET is computed again and shows the new price
    after = await gateway.client.get("/graphql", params=params, headers=API_KEY)
    assert after.json().get("errors", []) == []
    assert after.headers["x-vitrine-cache"] == "miss"
    assert after.json()["data"]["product"]["variants"][0]["price"]["amount"] == 7_777
    assert after.headers["etag"] != cached.headers["etag"]
    # and both events were batched into one CloudFront invalidation of the GraphQL paths
    paths = await eventually(
        lambda: invalidation_paths(gateway.endpoint_url, gateway.distribution_id)
    )
    assert paths == [["/graphql*"]]


async def test_answers_of_other_products_survive_a_price_change(gateway: Gateway) -> None:
    # given products 0 and 1 are cached
    for index in (0, 1):
        await gateway.client.get("/graphql", params=product_params(index), headers=API_KEY)
    handled = gateway.app.state.cache_invalidation.handled
    # when product 0's inventory changes (an event for one of its SKUs)
    await gateway.services.events.publish(
        DomainEvent(Topic.AVAILABILITY_CHANGED, "SKU-000-B", {"available": 0})
    )
    await eventually(lambda: gateway.app.state.cache_invalidation.handled > handled)
    # then product 0 is computed again, product 1 still served from the cache
    zero = await gateway.client.get("/graphql", params=product_params(0), headers=API_KEY)
    one = await gateway.client.get("/graphql", params=product_params(1), headers=API_KEY)
    assert zero.json().get("errors", []) == []
    assert one.json().get("errors", []) == []
    assert zero.headers["x-vitrine-cache"] == "miss"
    assert one.headers["x-vitrine-cache"] == "hit"
