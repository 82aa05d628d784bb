"""The reference storefront's routes: the page with its own CSP, its config, the published
operations and vendor files, and nothing else from node_modules."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from pydantic import ValidationError

from gateway.app import create_app
from gateway.bootstrap import Services
from gateway.settings import LOCAL_API_KEY, Settings
from tests.conftest import make_settings

pytestmark = pytest.mark.integration

POOL = {
    "COGNITO_USER_POOL_ID": "us-east-1_abc123",
    "COGNITO_APP_CLIENT_IDS": "storefront-client",
    "COGNITO_JWKS_URL": "http://127.0.0.1:1/us-east-1_abc123/.well-known/jwks.json",
}


@pytest.fixture
async def storefront(
    api_services: tuple[Settings, Services],
) -> AsyncIterator[tuple[Settings, httpx.AsyncClient]]:
    base, services = api_services
    settings = make_settings(
        str(base.aws_endpoint_url),
        VITRINE_CATALOG_TABLE=base.catalog_table,
        VITRINE_ASSET_BUCKET=base.asset_bucket,
        VITRINE_STOREFRONT="true",
        **POOL,
    )
    app = create_app(settings, services)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
            yield settings, client


async def test_page_is_served_with_its_own_csp(
    storefront: tuple[Settings, httpx.AsyncClient],
) -> None:
    settings, http = storefront
    # when the storefront page and one of its modules are fetched
    page = await http.get("/storefront")
    module = await http.get("/storefront/app/main.js")
    # then both carry the storefront's CSP: own scripts, WebAssembly, blob:, the asset store
    assert page.status_code == 200
    assert '<script type="module" src="/storefront/app/main.js">' in page.text
    assert module.status_code == 200
    csp = page.headers["content-security-policy"]
    assert module.headers["content-security-policy"] == csp
    assert "script-src 'self' 'wasm-unsafe-eval'" in csp
    assert "worker-src 'self' blob:" in csp
    assert f"connect-src 'self' data: blob: {settings.aws_endpoint_url}" in csp
    assert "frame-ancestors 'none'" in csp
    assert "'unsafe-eval'" not in csp.replace("'wasm-unsafe-eval'", "")


async def test_config_names_the_api_key_and_the_user_pool_client(
    storefront: tuple[Settings, httpx.AsyncClient],
) -> None:
    settings, http = storefront
    response = await http.get("/storefront/config.json")
    assert response.status_code == 200
    config = response.json()
    assert config["apiKey"] == LOCAL_API_KEY
    assert config["graphqlUrl"] == "/graphql"
    assert config["cognito"] == {
        "endpoint": settings.aws_endpoint_url,
        "region": "us-east-1",
        "clientId": "storefront-client",
    }
    assert [m["token"] for m in config["paymentMethods"]] == [
        "pm_card_visa",
        "pm_card_chargeDeclined",
    ]


async def test_only_published_operations_and_vendor_files_are_served(
    storefront: tuple[Settings, httpx.AsyncClient],
) -> None:
    _, http = storefront
    operation = await http.get("/storefront/operations/CartCreate.graphql")
    unknown = await http.get("/storefront/operations/DropTables.graphql")
    viewer = await http.get("/storefront/vendor/model-viewer.min.js")
    decoder = await http.get("/storefront/vendor/meshopt_decoder.js")
    live = await http.get("/storefront/vendor/graphql-ws.js")
    unpublished = await http.get("/storefront/vendor/three/package.json")
    escape = await http.get("/storefront/vendor/..%2F..%2Fpackage.json")
    assert operation.status_code == 200
    assert operation.text.startswith("# The first")
    assert "mutation CartCreate(" in operation.text
    assert unknown.status_code == 404
    assert viewer.status_code == 200
    assert viewer.headers["content-type"].startswith("text/javascript")
    assert "ModelViewerElement" in viewer.text
    assert decoder.status_code == 200
    assert "MeshoptDecoder" in decoder.text
    assert live.status_code == 200
    assert "graphql-transport-ws" in live.text
    assert unpublished.status_code == 404
    assert escape.status_code == 404


async def test_storefront_is_off_outside_the_local_profile(
    http: httpx.AsyncClient,
) -> None:
    # given the test profile's app, which did not ask for the storefront
    response = await http.get("/storefront")
    assert response.status_code == 404


def test_production_refuses_the_storefront() -> None:
    with pytest.raises(ValidationError) as error:
        Settings(VITRINE_PROFILE="production", VITRINE_STOREFRONT="true")  # type: ignore[call-arg]
    assert "VITRINE_STOREFRONT must not be true in production" in str(error.value)


def test_storefront_defaults_to_the_local_profile_only() -> None:
    assert Settings(VITRINE_PROFILE="local").storefront_enabled() is True  # type: ignore[call-arg]
    assert Settings(VITRINE_PROFILE="test").storefront_enabled() is False  # type: ignore[call-arg]
