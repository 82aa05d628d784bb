"""The gateway over HTTP on real PostgreSQL (a fresh migrated database per module) and moto.

Identities come from ``StaticTokens`` (``Bearer test:<sub>[:group,...]``) so that tests can
be many shoppers cheaply; tests/api/shopping/test_storefront_journey.py uses real tokens of
moto's Cognito instead.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from datasources.records import Money, ProductStatus, VariantOption, VariantRecord
from gateway.app import create_app
from gateway.bootstrap import Services, build_services, provision
from gateway.local_stack.scratch_databases import scratch_database
from gateway.settings import LOCAL_API_KEY, Settings
from resolvers.context import AuthMode, Identity
from resolvers.errors import Unauthorized
from tests import factories
from tests.api.conftest import load_catalog
from tests.conftest import make_settings
from tests.support.moto_process import MotoProcess
from tests.support.shopping_api import Result

WEBHOOK_SECRET = "whsec-vitrine-tests"
STOCK_PER_SKU = 5
CATALOG_SIZE = 12


class StaticTokens:
    """A TokenVerifier for tests: ``test:<sub>[:<group>,...]`` is that Cognito user."""

    async def verify(self, token: str) -> Identity:
        kind, _, rest = token.partition(":")
        if kind != "test" or not rest:
            raise Unauthorized("not a test token")
        sub, _, groups = rest.partition(":")
        return Identity(
            mode=AuthMode.AMAZON_COGNITO_USER_POOLS,
            subject=sub,
            username=sub,
            groups=frozenset(g for g in groups.split(",") if g),
        )


def headers_for(identity: Identity, cart_token: str | None = None) -> dict[str, str]:
    """The HTTP headers that make the gateway see ``identity`` (and the cart token)."""
    headers: dict[str, str] = {}
    if identity.mode is AuthMode.API_KEY:
        headers["x-api-key"] = LOCAL_API_KEY
    elif identity.mode is AuthMode.AMAZON_COGNITO_USER_POOLS:
        groups = ",".join(sorted(identity.groups))
        headers["authorization"] = f"Bearer test:{identity.subject}:{groups}"
    if cart_token is not None:
        headers["x-cart-token"] = cart_token
    return headers


def shopper(name: str) -> Identity:
    """A signed-in shopper nobody else in this database is."""
    return Identity(
        mode=AuthMode.AMAZON_COGNITO_USER_POOLS, subject=f"{name}-{uuid.uuid4().hex[:8]}"
    )


@pytest.fixture(scope="module")
def services(shop_services: tuple[Settings, Services]) -> Services:
    """The module's services (catalog loaded and stocked)."""
    return shop_services[1]


@pytest.fixture(scope="module")
async def shop_database(shopping_server_url: str) -> AsyncIterator[str]:
    """A database migrated to head, for this module only."""
    async with scratch_database(shopping_server_url, "vitrine_api") as url:
        yield url


async def stock_catalog(services: Services, on_hand: int = STOCK_PER_SKU) -> None:
    """The test catalog in DynamoDB (plus an archived product and one priced in USD) and
    ``on_hand`` units of every SKU in PostgreSQL."""
    await load_catalog(services, CATALOG_SIZE)
    archived = factories.product(20, status=ProductStatus.ARCHIVED)
    usd = factories.product(
        21,
        variants=(
            VariantRecord(
                "SKU-021-USD", "Brass", (VariantOption("finish", "Brass"),), Money(9_900, "USD")
            ),
        ),
    )
    for product in (archived, usd):
        await services.catalog.create_product(product)
    assert services.shopping is not None
    for index in [*range(CATALOG_SIZE), 20, 21]:
        for variant in factories.product(index).variants:
            await services.shopping.inventory.put_stock(variant.sku, on_hand)
    await services.shopping.inventory.put_stock("SKU-021-USD", on_hand)


@pytest.fixture(scope="module")
async def shop_services(
    request: pytest.FixtureRequest, moto: MotoProcess, shop_database: str
) -> AsyncIterator[tuple[Settings, Services]]:
    """Settings and services on the module's database, catalog loaded and stocked; a test
    module's ``SHOP_SETTINGS`` dict adds settings of its own."""
    settings = make_settings(
        moto.endpoint_url,
        DATABASE_URL=shop_database,
        VITRINE_PAYMENT_WEBHOOK_SECRET=WEBHOOK_SECRET,
        VITRINE_DB_POOL_SIZE=20,
        **getattr(request.module, "SHOP_SETTINGS", {}),
    )
    services = dataclasses.replace(build_services(settings), tokens=StaticTokens())
    await provision(services)
    await stock_catalog(services)
    yield settings, services
    await services.close()


@pytest.fixture(scope="module")
async def http(shop_services: tuple[Settings, Services]) -> AsyncIterator[httpx.AsyncClient]:
    settings, services = shop_services
    app = create_app(settings, services)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
            yield client


@pytest.fixture(scope="module")
def execute(http: httpx.AsyncClient) -> Any:
    """The ``Execute`` of tests.support.shopping_api over HTTP."""
    return executor(http)


def executor(http: httpx.AsyncClient) -> Any:
    """The ``Execute`` of tests.support.shopping_api over ``http``."""

    async def run(
        query: str,
        variables: dict[str, Any] | None = None,
        identity: Identity = Identity(mode=AuthMode.API_KEY),
        *,
        cart_token: str | None = None,
    ) -> Result:
        response = await http.post(
            "/graphql",
            json={"query": query, "variables": variables or {}},
            headers=headers_for(identity, cart_token),
        )
        assert response.status_code == 200, response.text
        body = response.json()
        return body.get("data"), body.get("errors", [])

    return run
