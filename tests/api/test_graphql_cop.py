"""The checks of graphql-cop (dolevf/graphql-cop), as tests against the production profile.

graphql-cop's GET-query check is answered by design: queries over GET are allowed (they have
no side effects and make catalog pages cacheable at the edge); mutations over GET are not.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from datasources.records import ProductRecord
from gateway.bootstrap import Services
from gateway.settings import Settings
from tests.api.test_limits import PRODUCTION, PRODUCTION_KEY, client_for

pytestmark = pytest.mark.integration

KEY = {"x-api-key": PRODUCTION_KEY}


class BrokenCatalog:
    """The real catalog, except that slug lookups fail with an unexpected error whose text
    must never reach a client."""

    def __init__(self, catalog: Any) -> None:
        self._catalog = catalog

    def __getattr__(self, name: str) -> Any:
        return getattr(self._catalog, name)

    async def product_by_slug(self, slug: str) -> ProductRecord | None:
        raise RuntimeError("secret connection string postgres://admin:hunter2@db")


@pytest.fixture
async def prod(api_services: tuple[Settings, Services]) -> AsyncIterator[httpx.AsyncClient]:
    _, services = api_services
    settings = Settings(**PRODUCTION)  # type: ignore[arg-type]
    broken = dataclasses.replace(services, catalog=BrokenCatalog(services.catalog))
    async with client_for(settings, broken) as client:
        yield client


async def graphql(client: httpx.AsyncClient, query: str) -> dict[str, Any]:
    response = await client.post("/graphql", json={"query": query}, headers=KEY)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def codes(body: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in body["errors"]]


async def test_alias_overloading(prod: httpx.AsyncClient) -> None:
    body = await graphql(prod, "{ " + " ".join(f"a{i}: __typename" for i in range(101)) + " }")
    assert body["data"] is None
    assert codes(body) == ["ALIAS_LIMIT_EXCEEDED"]


async def test_batch_queries_are_refused(prod: httpx.AsyncClient) -> None:
    response = await prod.post("/graphql", json=[{"query": "{ __typename }"}] * 10, headers=KEY)
    assert response.status_code == 400
    assert "Batching is not enabled" in response.text


async def test_directive_overloading(prod: httpx.AsyncClient) -> None:
    body = await graphql(prod, "{ __typename " + "@include(if: true)" * 100 + " }")
    # then the limit alone refuses it: graphql-core's rules, which would name each of the
    # 99 repeated directives, never run on a document over the limits
    assert body["data"] is None
    assert codes(body) == ["DIRECTIVE_LIMIT_EXCEEDED"]


async def test_introspection_is_off(prod: httpx.AsyncClient) -> None:
    body = await graphql(prod, "{ __schema { queryType { name } } }")
    assert body["data"] is None
    assert set(codes(body)) == {"GRAPHQL_VALIDATION_FAILED"}
    assert [e["message"] for e in body["errors"]] == [
        "GraphQL introspection has been disabled, but the requested query contained the "
        f"field '{name}'."
        for name in ("__schema", "queryType")
    ]


async def test_circular_introspection_is_refused(prod: httpx.AsyncClient) -> None:
    nested = "name"
    for _ in range(8):
        nested = f"fields {{ type {{ {nested} }} }}"
    body = await graphql(prod, f"{{ __schema {{ types {{ {nested} }} }} }}")
    assert body["data"] is None
    assert "GRAPHQL_VALIDATION_FAILED" in codes(body) or "DEPTH_LIMIT_EXCEEDED" in codes(body)
    assert all(e["extensions"]["errorType"] for e in body["errors"])


async def test_graphiql_is_not_served(prod: httpx.AsyncClient) -> None:
    for accept in ("text/html", "*/*"):
        response = await prod.get("/graphql", headers={"accept": accept})
        assert response.status_code == 404
        assert "graphiql" not in response.text.lower()


async def test_field_suggestions_are_off(prod: httpx.AsyncClient) -> None:
    body = await graphql(prod, "{ productz { id } }")
    assert body["data"] is None
    assert [e["message"] for e in body["errors"]] == [
        "Cannot query field 'productz' on type 'Query'."
    ]


async def test_get_queries_run_and_get_mutations_are_refused(prod: httpx.AsyncClient) -> None:
    query = await prod.get(
        "/graphql",
        params={"query": "{ __typename }"},
        headers={**KEY, "accept": "application/json"},
    )
    mutation = await prod.get(
        "/graphql",
        params={"query": 'mutation { cartCreate(input: {currency: "EUR"}) { __typename } }'},
        headers={**KEY, "accept": "application/json"},
    )
    assert query.json() == {
        "data": {"__typename": "Query"},
        "extensions": query.json()["extensions"],
    }
    assert mutation.status_code == 405


@pytest.mark.parametrize(
    ("content_type", "content"),
    [
        ("application/x-www-form-urlencoded", "query=mutation+%7B+__typename+%7D"),
        ("text/plain", json.dumps({"query": "mutation { __typename }"})),
        (
            "multipart/form-data; boundary=xyz",
            '--xyz\r\nContent-Disposition: form-data; name="operations"\r\n\r\n'
            '{"query": "mutation { __typename }"}\r\n--xyz--\r\n',
        ),
    ],
    ids=["form-urlencoded", "text-plain", "multipart"],
)
async def test_simple_request_posts_are_refused_csrf(
    prod: httpx.AsyncClient, content_type: str, content: str
) -> None:
    # given a POST a browser sends cross-site without a CORS preflight
    response = await prod.post(
        "/graphql", content=content, headers={**KEY, "content-type": content_type}
    )
    # then it is refused before anything runs
    assert response.status_code == 400
    assert response.text == "Unsupported content type"


async def test_no_tracing_or_call_details_exposed(prod: httpx.AsyncClient) -> None:
    body = await graphql(prod, "{ categories { name } }")
    assert body.get("errors", []) == []
    assert set(body.get("extensions", {})) <= {"cost"}


async def test_unhandled_errors_are_masked(prod: httpx.AsyncClient) -> None:
    body = await graphql(prod, '{ product(slug: "product-001") { id } }')
    assert body["data"] == {"product": None}
    assert len(body["errors"]) == 1
    error = body["errors"][0]
    assert error["message"] == "Internal server error"
    assert error["extensions"]["errorType"] == "InternalFailure"
    assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert "hunter2" not in json.dumps(body)
    assert "Traceback" not in json.dumps(body)
