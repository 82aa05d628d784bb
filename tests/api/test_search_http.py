"""Search over HTTP on the real local services (moto DynamoDB and Cognito, tantivy in a
temporary directory): the gateway builds its first index at start-up, and an admin's rename
reaches search through the event bus and the background indexer."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.app import create_app
from gateway.bootstrap import Services, build_services, provision
from gateway.local_cognito import LocalCognito
from gateway.settings import LOCAL_API_KEY
from resolvers.global_ids import to_global_id
from tests.api.conftest import load_catalog
from tests.conftest import make_settings
from tests.support.demo_pool import bearer, demo_pool
from tests.support.moto_process import MotoProcess

pytestmark = pytest.mark.integration

OPERATIONS = Path(__file__).parents[2] / "client_examples" / "operations"
STOREFRONT = {"x-api-key": LOCAL_API_KEY}
CATALOG_SIZE = 12
POLLS = 200
"""Bounded polling: at most this many search requests, 20 ms apart."""


def _operation(name: str) -> str:
    return (OPERATIONS / f"{name}.graphql").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def pool(moto: MotoProcess) -> LocalCognito:
    return demo_pool(moto.endpoint_url, "srch")


@pytest.fixture
async def search_http(
    moto: MotoProcess, pool: LocalCognito
) -> AsyncIterator[tuple[httpx.AsyncClient, Services]]:
    """A fresh catalog, no search index yet, and the app trusting the moto pool's tokens."""
    # polling the search would drain the rate-limit bucket; it is not what this tests
    settings = make_settings(moto.endpoint_url, VITRINE_RATE_LIMIT=False, **pool.environment())
    services = build_services(settings)
    await provision(services)
    await load_catalog(services, CATALOG_SIZE)
    app = create_app(settings, services)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
            yield client, services


async def _post(
    http: httpx.AsyncClient, query: str, variables: dict[str, Any], headers: dict[str, str]
) -> dict[str, Any]:
    response = await http.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def _search_until(http: httpx.AsyncClient, query: str, done: Any) -> dict[str, Any]:
    """Search until ``done(result)`` holds (bounded); the last body otherwise."""
    body: dict[str, Any] = {}
    for _ in range(POLLS):
        body = await _post(http, _operation("SearchProducts"), {"query": query}, STOREFRONT)
        if body.get("data") and done(body["data"]["search"]):
            return body
        await asyncio.sleep(0.02)
    return body


async def test_the_gateway_indexes_at_start_and_follows_an_admin_rename(
    search_http: tuple[httpx.AsyncClient, Services], pool: LocalCognito
) -> None:
    http, services = search_http
    # given the gateway started on a catalog with no search index: it builds one
    built = await _search_until(http, "product", lambda r: r["totalCount"] == CATALOG_SIZE)
    assert "errors" not in built, built
    assert built["data"]["search"]["totalCount"] == CATALOG_SIZE
    assert services.search is not None
    live = await services.search.live_index()
    assert live is not None
    assert live.startswith("products-")
    before = await _post(http, _operation("SearchProducts"), {"query": "chesterfield"}, STOREFRONT)
    assert "errors" not in before, before
    assert before["data"]["search"]["totalCount"] == 0

    # when an admin renames a product over HTTP
    [product] = await services.catalog.products_by_ids(["prod-004"])
    assert product is not None
    renamed = await _post(
        http,
        _operation("AdminUpdateProduct"),
        {
            "id": to_global_id("Product", "prod-004"),
            "expectedVersion": product.version,
            "input": {"name": "Chesterfield Sofa"},
        },
        bearer(pool, "admin"),
    )
    assert "errors" not in renamed, renamed
    assert renamed["data"]["updateProduct"]["__typename"] == "UpdateProductSuccess"

    # then search finds it under its new name (and no longer under the old one)
    after = await _search_until(http, "chesterfield", lambda r: r["totalCount"] == 1)
    assert "errors" not in after, after
    [edge] = after["data"]["search"]["edges"]
    assert edge["node"]["name"] == "Chesterfield Sofa"
    assert edge["node"]["id"] == to_global_id("Product", "prod-004")
    old = await _post(http, _operation("SearchProducts"), {"query": "product 004"}, STOREFRONT)
    assert "errors" not in old, old
    assert "prod-004" not in {e["node"]["slug"] for e in old["data"]["search"]["edges"]}


async def test_bad_search_input_is_bad_user_input_over_http(
    search_http: tuple[httpx.AsyncClient, Services],
) -> None:
    http, _ = search_http
    body = await _post(
        http,
        _operation("SearchProducts"),
        {"query": "lamp", "filters": {"priceRange": {"min": 900, "max": 100}}},
        STOREFRONT,
    )
    assert body["data"] is None
    assert [(e["extensions"]["code"], e["extensions"]["errorType"]) for e in body["errors"]] == [
        ("BAD_USER_INPUT", "InvalidSearchQuery")
    ]
    assert "above" in body["errors"][0]["message"]
