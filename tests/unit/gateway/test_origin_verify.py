"""Origin verification: with a secret configured, only CloudFront's requests are served."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, cast

import httpx
import pytest

from datasources.cache.in_process import InProcessCache
from gateway.app import create_app
from gateway.bootstrap import Services
from gateway.origin_verify import ORIGIN_VERIFY_HEADER, OriginVerify
from gateway.settings import LOCAL_API_KEY, Settings
from tests.fakes.blobs import FakeBlobStore
from tests.fakes.catalog import FakeAssetUrls, FakeCatalog

SECRET = "cf-7Qm2x9LwZp4T"
QUERY = {"query": "{ categories { name } }"}


def gateway(**overrides: object) -> Any:
    services = Services(
        catalog=cast(Any, FakeCatalog()),
        blobs=cast(Any, FakeBlobStore()),
        asset_urls=FakeAssetUrls(),
        cache=InProcessCache(),
    )
    values: dict[str, object] = {
        "VITRINE_PROFILE": "test",
        "REDIS_URL": None,
        "DATABASE_URL": None,
        "AWS_ENDPOINT_URL": None,
        **overrides,
    }
    return create_app(Settings(**values), services, check_on_start=False)  # type: ignore[arg-type]


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    app = gateway(VITRINE_ORIGIN_VERIFY_SECRET=SECRET)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://origin") as http:
        yield http


async def test_request_through_cloudfront_is_served(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/graphql", json=QUERY, headers={"x-api-key": LOCAL_API_KEY, ORIGIN_VERIFY_HEADER: SECRET}
    )
    assert response.status_code == 200
    body = response.json()
    assert body.get("errors") is None
    assert body["data"] == {"categories": []}


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {ORIGIN_VERIFY_HEADER: "wrong"},
        {ORIGIN_VERIFY_HEADER: SECRET[:-1]},
        {ORIGIN_VERIFY_HEADER: ""},
    ],
)
async def test_request_around_cloudfront_is_refused(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    # when a caller reaches the origin directly, even with a valid API key
    response = await client.post(
        "/graphql", json=QUERY, headers={"x-api-key": LOCAL_API_KEY, **headers}
    )
    # then it is refused in AppSync's error shape, with the security headers still on
    assert response.status_code == 403
    assert response.json() == {
        "data": None,
        "errors": [
            {
                "message": "Requests must come through the API's CloudFront distribution",
                "extensions": {"errorType": "Forbidden", "code": "FORBIDDEN"},
            }
        ],
    }
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_readyz_needs_the_header_and_healthz_does_not(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    assert (await client.get("/readyz")).status_code == 403


async def test_without_a_secret_nothing_is_checked() -> None:
    transport = httpx.ASGITransport(app=gateway())
    async with httpx.AsyncClient(transport=transport, base_url="http://origin") as http:
        response = await http.post("/graphql", json=QUERY, headers={"x-api-key": LOCAL_API_KEY})
    assert response.status_code == 200
    assert response.json().get("errors") is None


def test_an_empty_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="must not be empty"):
        OriginVerify(cast(Any, None), "")
