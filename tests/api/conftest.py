from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from gateway.app import create_app
from gateway.bootstrap import Services, build_services, provision
from gateway.settings import LOCAL_API_KEY, Settings
from tests import factories
from tests.conftest import make_settings
from tests.support.moto_process import MotoProcess

API_KEY = {"x-api-key": LOCAL_API_KEY}


async def load_catalog(services: Services, count: int) -> None:
    """Categories, ``count`` products with assets and stock."""
    for category in factories.categories():
        await services.catalog.put_category(category)
    for index in range(count):
        product = factories.product(index)
        await services.catalog.create_product(product)
        await services.catalog.put_asset(factories.asset(f"asset-{index:03d}", product.id))
        for variant in product.variants:
            await services.catalog.put_stock(factories.stock(variant.sku, index))


@pytest.fixture(scope="module")
async def api_services(moto: MotoProcess) -> tuple[Settings, Services]:
    """One table per test module, loaded once (the tests here only read)."""
    settings = make_settings(moto.endpoint_url)
    services = build_services(settings)
    await provision(services)
    await load_catalog(services, 30)
    return settings, services


@pytest.fixture
async def http(api_services: tuple[Settings, Services]) -> AsyncIterator[httpx.AsyncClient]:
    settings, services = api_services
    app = create_app(settings, services)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
            yield client
