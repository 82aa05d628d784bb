"""GET queries: Cache-Control by scope, ETag and 304, Vary, and mutations refused over GET."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.api.conftest import API_KEY

pytestmark = pytest.mark.integration

CATALOG = "query Top { products(first: 3) { totalCount nodes { name } } }"
JSON = {"accept": "application/json"}


async def test_catalog_get_is_public_with_etag_and_304(http: httpx.AsyncClient) -> None:
    # when an API-key storefront reads the catalog over GET
    first = await http.get("/graphql", params={"query": CATALOG}, headers=API_KEY)
    # then shared caches may keep it, revalidating by ETag
    body = first.json()
    assert body.get("errors", []) == []
    assert body["data"]["products"]["totalCount"] == 30
    assert first.headers["cache-control"] == "public, max-age=60, stale-while-revalidate=300"
    assert first.headers["vary"] == "Accept-Encoding, authorization, x-api-key, x-cart-token"
    etag = first.headers["etag"]
    assert etag.startswith('"')
    # when it asks again with the ETag
    again = await http.get(
        "/graphql", params={"query": CATALOG}, headers={**API_KEY, "if-none-match": etag}
    )
    # then it is told nothing changed, with no body
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    assert again.headers["cache-control"] == first.headers["cache-control"]


async def test_unauthenticated_get_is_private(http: httpx.AsyncClient) -> None:
    # when a caller with no API key reads the catalog over GET
    response = await http.get("/graphql", params={"query": "{ categories { name } }"}, headers=JSON)
    # then it is refused, and the refusal is not kept by any shared cache
    errors = response.json()["errors"]
    assert [e["extensions"]["code"] for e in errors] == ["UNAUTHENTICATED"]
    assert response.headers["cache-control"] == "private, no-store"


async def test_stale_etag_gets_the_full_answer(http: httpx.AsyncClient) -> None:
    response = await http.get(
        "/graphql", params={"query": CATALOG}, headers={**API_KEY, "if-none-match": '"stale"'}
    )
    assert response.status_code == 200
    assert response.json().get("errors", []) == []
    assert response.json()["data"]["products"]["totalCount"] == 30


@pytest.mark.parametrize(
    "query",
    [
        '{ node(id: "UHJvZHVjdDpwcm9kLTAwMQ==") { id } }',
        '{ products(first: 1) { totalCount } cart(id: "Q2FydDp4") { id } }',
        'query { ...Root } fragment Root on Query { cart(id: "Q2FydDp4") { id } }',
    ],
    ids=["node", "catalog-and-cart", "cart-in-fragment"],
)
async def test_gets_naming_non_catalog_fields_are_private(
    http: httpx.AsyncClient, query: str
) -> None:
    response = await http.get("/graphql", params={"query": query}, headers=API_KEY)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "private, no-store"
    assert "etag" not in response.headers


async def test_answers_with_errors_are_private(http: httpx.AsyncClient) -> None:
    response = await http.get("/graphql", params={"query": "{ nope }"}, headers=API_KEY)
    body = response.json()
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert response.headers["cache-control"] == "private, no-store"


async def test_post_is_never_cacheable(http: httpx.AsyncClient) -> None:
    response = await http.post("/graphql", json={"query": CATALOG}, headers=API_KEY)
    assert response.json().get("errors", []) == []
    assert response.headers["cache-control"] == "private, no-store"
    assert "etag" not in response.headers


async def test_mutation_over_get_is_405(http: httpx.AsyncClient) -> None:
    # when a mutation arrives as a GET (a link, an image tag, a cache warming crawler)
    mutation = 'mutation { cartCreate(input: {currency: "EUR"}) { __typename } }'
    response = await http.get(
        "/graphql", params={"query": mutation, "variables": json.dumps({})}, headers=API_KEY
    )
    # then it is refused as the GraphQL-over-HTTP spec says, and nothing ran
    assert response.status_code == 405
    assert response.text == "mutations are not allowed when using GET"
