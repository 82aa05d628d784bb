"""The HTTP Lambda handler: API Gateway HTTP API (payload 2.0) events through Mangum."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import Any, cast

import pytest

from datasources.cache.in_process import InProcessCache
from gateway.bootstrap import Services
from gateway.lambda_http import build_handler
from gateway.settings import LOCAL_API_KEY, Settings
from infra_cdk.bundle import EXCLUDED_DISTRIBUTIONS
from resolvers.global_ids import to_global_id
from tests import factories
from tests.fakes.blobs import FakeBlobStore
from tests.fakes.catalog import FakeAssetUrls, FakeCatalog

QUERY = "query Page($slug: String!) { product(slug: $slug) { id name brand } }"


def http_api_event(
    method: str,
    path: str,
    *,
    body: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    query: str = "",
    base64_body: bool = False,
) -> dict[str, Any]:
    """An HTTP API payload-2.0 event, as API Gateway documents it."""
    raw = "" if body is None else json.dumps(body)
    return {
        "version": "2.0",
        "routeKey": f"{method} {path}",
        "rawPath": path,
        "rawQueryString": query,
        "cookies": [],
        "headers": {
            "accept": "application/json",
            "content-type": "application/json",
            "host": "r3pmxmplak.execute-api.eu-west-1.amazonaws.com",
            "user-agent": "storefront/1.0",
            "x-forwarded-for": "203.0.113.7",
            "x-forwarded-port": "443",
            "x-forwarded-proto": "https",
            **(headers or {}),
        },
        "queryStringParameters": {},
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "r3pmxmplak",
            "domainName": "r3pmxmplak.execute-api.eu-west-1.amazonaws.com",
            "domainPrefix": "r3pmxmplak",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.7",
                "userAgent": "storefront/1.0",
            },
            "requestId": "JKJaXmPLvHcESHA=",
            "routeKey": f"{method} {path}",
            "stage": "$default",
            "time": "10/Mar/2026:21:16:30 +0000",
            "timeEpoch": 1773177390000,
        },
        "body": base64.b64encode(raw.encode()).decode() if base64_body else raw,
        "isBase64Encoded": base64_body,
    }


class LambdaContext:
    """The attributes Mangum reads from the Lambda context."""

    function_name = "vitrine-test-gateway"
    aws_request_id = "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"


@pytest.fixture
def invoke() -> Any:
    """Run events through a handler built on fakes, in a thread with its own event loop
    (as a Lambda container has), so pytest's loop is not involved."""
    catalog = FakeCatalog()
    for category in factories.categories():
        catalog.categories[category.id] = category
    for index in range(3):
        product = factories.product(index)
        catalog.products[product.id] = product
    services = Services(
        catalog=cast(Any, catalog),
        blobs=cast(Any, FakeBlobStore()),
        asset_urls=FakeAssetUrls(),
        cache=InProcessCache(),
    )
    settings = Settings(
        VITRINE_PROFILE="test",
        VITRINE_GRAPHIQL=False,
        REDIS_URL=None,
        DATABASE_URL=None,
        AWS_ENDPOINT_URL=None,
    )
    with ThreadPoolExecutor(max_workers=1) as worker:
        adapter = worker.submit(build_handler, settings, services, configure_logs=False).result()

        def call(event: dict[str, Any]) -> dict[str, Any]:
            return worker.submit(adapter, event, cast(Any, LambdaContext())).result()

        yield call


def test_graphql_post_returns_the_product(invoke: Any) -> None:
    # given a storefront POST with the API key
    event = http_api_event(
        "POST",
        "/graphql",
        body={"query": QUERY, "variables": {"slug": "product-001"}},
        headers={"x-api-key": LOCAL_API_KEY, "x-request-id": "req-42"},
    )
    # when API Gateway invokes the function
    response = invoke(event)
    # then the GraphQL response comes back as an HTTP API response
    assert response["statusCode"] == 200
    assert response["headers"]["content-type"] == "application/json"
    assert response["headers"]["x-request-id"] == "req-42"
    assert response["isBase64Encoded"] is False
    body = json.loads(response["body"])
    assert body.get("errors") is None
    assert body["data"] == {
        "product": {
            "id": to_global_id("Product", "prod-001"),
            "name": "Product 001",
            "brand": "Lumio",
        }
    }


def test_graphql_get_query(invoke: Any) -> None:
    # given a cacheable GET (what CloudFront caches when the gateway allows it)
    event = http_api_event(
        "GET",
        "/graphql",
        query="query=%7B%20categories%20%7B%20name%20%7D%20%7D",
        headers={"x-api-key": LOCAL_API_KEY},
    )
    response = invoke(event)
    body = json.loads(response["body"])
    assert response["statusCode"] == 200
    assert body.get("errors") is None
    assert body["data"] == {"categories": [{"name": "Furniture"}, {"name": "Lighting"}]}


def test_wrong_api_key_is_refused_with_appsync_error(invoke: Any) -> None:
    event = http_api_event(
        "POST", "/graphql", body={"query": "{ categories { name } }"}, headers={"x-api-key": "nope"}
    )
    response = invoke(event)
    assert response["statusCode"] == 401
    body = json.loads(response["body"])
    assert body["data"] is None
    assert body["errors"] == [
        {
            "message": "The x-api-key header does not hold a valid API key",
            "extensions": {"errorType": "UnauthorizedException", "code": "UNAUTHENTICATED"},
        }
    ]


def test_base64_encoded_body_and_health(invoke: Any) -> None:
    posted = invoke(
        http_api_event(
            "POST",
            "/graphql",
            body={"query": QUERY, "variables": {"slug": "product-002"}},
            headers={"x-api-key": LOCAL_API_KEY},
            base64_body=True,
        )
    )
    health = invoke(http_api_event("GET", "/healthz"))
    assert json.loads(posted["body"])["data"]["product"]["name"] == "Product 002"
    assert health["statusCode"] == 200
    assert json.loads(health["body"]) == {"status": "ok"}


def test_handler_import_path_stays_light() -> None:
    # given the modules the Lambda bundle leaves out, and local-only or heavy ones
    left_out = [
        module
        for distribution, modules in EXCLUDED_DISTRIBUTIONS.items()
        if distribution != "rich"  # structlog imports it only when present
        for module in modules
    ]
    heavy = [
        *left_out,
        "render_jobs",
        "aws_cdk",
        "jsii",
        "infra_cdk",
        "playwright",
        "gateway.cli",
        "gateway.seed",
        "gateway.local_stack",
        "gateway.runtime",
        "gateway.lambda_appsync",
        "moderngl",
        "pxr",
    ]
    # and the optional or first-use services, loaded only when configured or first called
    lazy = [
        "sqlalchemy",  # DATABASE_URL
        "asyncpg",
        "redis",  # REDIS_URL
        "aioboto3",  # first upload or queue call
        "aiobotocore",
        "aiohttp",
        "jwt",  # first bearer token
        "cryptography",
        "httpx",  # first JWKS fetch
    ]
    heavy += lazy
    # when a fresh interpreter imports only the handler module
    code = (
        f"import sys, gateway.lambda_http; print(sorted(m for m in {heavy!r} if m in sys.modules))"
    )
    # when
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    # then no heavy, local-only or not-yet-needed package is imported on the cold-start path
    assert loaded.stdout.strip() == "[]"


def test_optional_services_load_only_when_configured() -> None:
    # given settings with PostgreSQL and Redis configured (no connection is opened)
    code = (
        "import sys\n"
        "from gateway.bootstrap import build_services\n"
        "from gateway.settings import Settings\n"
        "before = sorted(m for m in ('sqlalchemy', 'redis') if m in sys.modules)\n"
        "services = build_services(Settings(DATABASE_URL='postgresql+asyncpg://u@127.0.0.1:1/x',"
        " REDIS_URL='redis://127.0.0.1:1/0'))\n"
        "after = sorted(m for m in ('sqlalchemy', 'asyncpg', 'redis') if m in sys.modules)\n"
        "print(before, after, type(services.cache).__name__, services.shopping is not None)"
    )
    # when a fresh interpreter builds the services
    built = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    # then the adapters are imported by build_services, not before, and are the real ones
    assert built.stdout.strip() == "[] ['asyncpg', 'redis', 'sqlalchemy'] RedisCache True"
