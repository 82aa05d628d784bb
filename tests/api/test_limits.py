"""Limits, cost and hardening over HTTP: every limit refuses with its typed error before any
data-source call; the rate limit throttles and recovers; body size, headers, CORS."""

from __future__ import annotations

import asyncio
import dataclasses
import math
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from datasources.errors import DataSourceUnavailable
from datasources.ports import RateLimiter
from datasources.rate_limit import BucketConfig
from datasources.rate_limit.in_process import InProcessRateLimiter
from datasources.rate_limit.redis_limiter import RedisRateLimiter
from gateway.app import create_app
from gateway.bootstrap import Services
from gateway.settings import Settings
from tests.api.conftest import API_KEY
from tests.api.test_graphql_http import LISTING, post
from tests.support.profiles import PRODUCTION_API_KEY, SAFE_PRODUCTION

pytestmark = pytest.mark.integration

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
NO_CALLS = {"calls": {}, "total": 0}
PRODUCTION_KEY = PRODUCTION_API_KEY
PRODUCTION: dict[str, object] = SAFE_PRODUCTION


@asynccontextmanager
async def client_for(settings: Settings, services: Services) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, services, check_on_start=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
            yield client


def with_settings(base: Settings, **overrides: object) -> Settings:
    values: dict[str, Any] = {
        "VITRINE_PROFILE": base.profile.value,
        "AWS_ENDPOINT_URL": base.aws_endpoint_url,
        "REDIS_URL": None,
        "DATABASE_URL": None,
    }
    values.update(overrides)
    return Settings(**values)


def only_error(body: dict[str, Any]) -> dict[str, Any]:
    assert body["data"] is None
    assert len(body["errors"]) == 1, body["errors"]
    error: dict[str, Any] = body["errors"][0]
    return error


async def test_alias_overloading_is_refused_before_any_call(http: httpx.AsyncClient) -> None:
    # given 200 aliases of one field (graphql-cop's alias overloading)
    query = "{ " + " ".join(f"a{i}: __typename" for i in range(200)) + " }"
    # when it is sent
    body = (await post(http, query)).json()
    # then it is refused by name and value, and nothing was called
    error = only_error(body)
    assert error["extensions"] == {
        "errorType": "QueryTooComplex",
        "code": "ALIAS_LIMIT_EXCEEDED",
        "limit": "aliases",
        "maximum": 30,
        "actual": 200,
    }
    assert error["message"] == "Operation 'anonymous' has aliases 200, more than the maximum of 30."
    assert body["extensions"]["dataSources"]["calls"] == {}
    assert body["extensions"]["dataSources"]["total"] == 0


async def test_deep_query_is_refused(http: httpx.AsyncClient) -> None:
    # given categories nested 20 levels deep
    query = "query Deep { categories { " + "children { " * 19 + "name" + " }" * 19 + " } }"
    body = (await post(http, query)).json()
    error = only_error(body)
    assert error["extensions"]["code"] == "DEPTH_LIMIT_EXCEEDED"
    assert error["extensions"]["maximum"] == 15
    assert error["extensions"]["actual"] == 21
    assert body["extensions"]["dataSources"]["total"] == 0


async def test_huge_token_count_is_refused(http: httpx.AsyncClient) -> None:
    query = "{ " + "__typename " * 6000 + "}"
    body = (await post(http, query)).json()
    error = only_error(body)
    assert error["extensions"] == {
        "errorType": "QueryTooComplex",
        "code": "TOKEN_LIMIT_EXCEEDED",
        "limit": "tokens",
        "maximum": 5000,
    }
    assert error["message"] == "The document has more than the maximum of 5000 tokens."


async def test_too_many_fields_are_refused(http: httpx.AsyncClient) -> None:
    query = "{ " + "__typename " * 501 + "}"
    body = (await post(http, query)).json()
    error = only_error(body)
    assert error["extensions"]["code"] == "FIELD_LIMIT_EXCEEDED"
    assert error["extensions"]["actual"] == 501
    assert body["extensions"]["dataSources"]["total"] == 0


async def test_directive_overloading_is_refused(http: httpx.AsyncClient) -> None:
    query = "{ " + "__typename @skip(if: false) " * 31 + "}"
    body = (await post(http, query)).json()
    error = only_error(body)
    assert error["extensions"]["code"] == "DIRECTIVE_LIMIT_EXCEEDED"
    assert error["extensions"]["maximum"] == 30
    assert error["extensions"]["actual"] == 31


async def test_listing_cost_follows_the_documented_formula(http: httpx.AsyncClient) -> None:
    # when listing 24 products with category, variants and assets with sources
    body = (await post(http, LISTING, {"first": 24})).json()
    # then: 1 (connection) + 24 x (1 product + 1 category + 3 x 1 variant
    #       + 3 x (1 asset + 3 x 1 source)) = 1 + 24 x 17 = 409
    assert "errors" not in body
    cost = body["extensions"]["cost"]
    assert cost["requestedQueryCost"] == 1 + 24 * (1 + 1 + 3 * 1 + 3 * (1 + 3 * 1)) == 409
    assert cost["actualQueryCost"] == 409
    assert cost["throttleStatus"]["maximumAvailable"] == 2000
    assert cost["throttleStatus"]["restoreRate"] == 100
    assert 1591 <= cost["throttleStatus"]["currentlyAvailable"] <= 2000


async def test_query_over_the_maximum_cost_is_refused(http: httpx.AsyncClient) -> None:
    body = (await post(http, LISTING, {"first": 100})).json()
    error = only_error(body)
    assert error["extensions"] == {
        "errorType": "QueryTooComplex",
        "code": "MAX_COST_EXCEEDED",
        "limit": "cost",
        "maximum": 1000,
        "actual": 1701,
    }
    assert body["extensions"]["dataSources"]["total"] == 0
    assert body["extensions"]["cost"]["requestedQueryCost"] == 1701


@pytest.fixture(params=["in_process", "redis"])
async def limiter(request: pytest.FixtureRequest) -> AsyncIterator[RateLimiter]:
    bucket = BucketConfig(capacity=450, restore_rate=200)
    if request.param == "in_process":
        yield InProcessRateLimiter(bucket)
        return
    redis = RedisRateLimiter(REDIS_URL, bucket, namespace=f"test-{uuid.uuid4().hex[:8]}")
    try:
        await redis.check()
    except DataSourceUnavailable as error:
        pytest.skip(f"no Redis at {REDIS_URL}: {error}")
    yield redis
    await redis.close()


async def test_rate_limit_throttles_then_recovers(
    api_services: tuple[Settings, Services], limiter: RateLimiter
) -> None:
    # given a bucket of 450 points refilled at 200 a second, and a 409-point listing
    settings, services = api_services
    settings = with_settings(
        settings,
        VITRINE_MAX_QUERY_COST=450,
        VITRINE_RATE_LIMIT_BUCKET=450,
        VITRINE_RATE_LIMIT_RESTORE_RATE=200,
    )
    async with client_for(settings, dataclasses.replace(services, rate_limiter=limiter)) as http:
        # when the listing is sent twice in a row
        first = await post(http, LISTING, {"first": 24})
        second = await post(http, LISTING, {"first": 24})
        # then the first passes and the second is throttled with a retry hint, calling nothing
        assert first.status_code == 200
        assert "errors" not in first.json()
        assert second.status_code == 429
        throttled = second.json()
        error = only_error(throttled)
        assert error["extensions"]["errorType"] == "Throttled"
        assert error["extensions"]["code"] == "THROTTLED"
        retry_after = error["extensions"]["retryAfterSeconds"]
        # at most (409 - 41 points left) / 200 points a second
        assert 0 < retry_after <= 1.9
        assert second.headers["retry-after"] == str(math.ceil(retry_after))
        assert error["extensions"]["throttleStatus"]["maximumAvailable"] == 450
        assert throttled["extensions"]["dataSources"]["total"] == 0
        # and after the restore time it passes again
        await asyncio.sleep(retry_after + 0.05)
        third = await post(http, LISTING, {"first": 24})
        assert third.status_code == 200
        assert "errors" not in third.json()


async def test_oversized_body_is_a_413(http: httpx.AsyncClient) -> None:
    query = "{ __typename }" + " " * 300_000
    response = await post(http, query)
    assert response.status_code == 413
    error = only_error(response.json())
    assert error["extensions"] == {
        "errorType": "PayloadTooLarge",
        "code": "PAYLOAD_TOO_LARGE",
        "limit": "bodyBytes",
        "maximum": 262_144,
    }


async def test_batches_are_refused(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/graphql",
        json=[{"query": "{ __typename }"}, {"query": "{ __typename }"}],
        headers=API_KEY,
    )
    assert response.status_code == 400
    assert "Batching is not enabled" in response.text


async def test_security_headers_on_api_and_graphiql(http: httpx.AsyncClient) -> None:
    api = await post(http, "{ __typename }")
    page = await http.get("/graphql", headers={"accept": "text/html"})
    for response in (api, page):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert response.headers["x-frame-options"] == "DENY"
    assert api.headers["content-security-policy"] == (
        "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
    )
    csp = page.headers["content-security-policy"]
    assert csp.startswith("default-src 'self'; script-src 'self' 'sha256-")
    assert "connect-src 'self'" in csp
    assert "https:" not in csp


async def test_cors_preflight_follows_the_allowlist(
    api_services: tuple[Settings, Services],
) -> None:
    settings, services = api_services
    settings = with_settings(settings, VITRINE_CORS_ORIGINS="https://shop.example.com")
    preflight = {
        "access-control-request-method": "POST",
        "access-control-request-headers": "x-api-key",
    }
    async with client_for(settings, services) as http:
        allowed = await http.options(
            "/graphql", headers={"origin": "https://shop.example.com", **preflight}
        )
        refused = await http.options(
            "/graphql", headers={"origin": "https://evil.example.net", **preflight}
        )
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://shop.example.com"
    assert refused.status_code == 400
    assert "access-control-allow-origin" not in refused.headers


async def test_no_cors_headers_by_default(http: httpx.AsyncClient) -> None:
    response = await http.options(
        "/graphql",
        headers={"origin": "https://shop.example.com", "access-control-request-method": "POST"},
    )
    assert "access-control-allow-origin" not in response.headers


async def test_production_messages_have_no_suggestions(
    api_services: tuple[Settings, Services], http: httpx.AsyncClient
) -> None:
    # given the production profile and the local one
    _, services = api_services
    production = Settings(**PRODUCTION)  # type: ignore[arg-type]
    query = "{ products(frist: 2) { nodes { nme } } }"
    local = (await post(http, query)).json()
    async with client_for(production, services) as prod_http:
        response = await prod_http.post(
            "/graphql", json={"query": query}, headers={"x-api-key": PRODUCTION_KEY}
        )
    # then the local messages suggest, the production ones do not
    assert [e["message"] for e in local["errors"]] == [
        "Unknown argument 'frist' on field 'Query.products'. Did you mean 'first'?",
        "Cannot query field 'nme' on type 'Product'. Did you mean 'name'?",
    ]
    body = response.json()
    assert [e["message"] for e in body["errors"]] == [
        "Unknown argument 'frist' on field 'Query.products'.",
        "Cannot query field 'nme' on type 'Product'.",
    ]
    assert all(e["extensions"]["errorType"] == "ValidationError" for e in body["errors"])
    assert "dataSources" not in body.get("extensions", {})
