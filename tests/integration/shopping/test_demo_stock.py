"""The demo seed puts every demo SKU's stock into PostgreSQL, with the DynamoDB counters'
quantities, once: stock that exists (perhaps sold from) is left alone."""

from __future__ import annotations

import pytest

from gateway.bootstrap import build_services
from gateway.seed import _stock_quantity, demo_stock, seed_shopping_stock
from tests.conftest import make_settings
from tests.support.moto_process import MotoProcess

pytestmark = pytest.mark.integration


async def test_demo_stock_is_seeded_once_with_the_counters_quantities(
    moto: MotoProcess, database_url: str
) -> None:
    # given services on an empty shopping database
    services = build_services(make_settings(moto.endpoint_url, DATABASE_URL=database_url))
    assert services.shopping is not None
    stock = demo_stock()
    skus = sorted(stock)

    try:
        # when the demo stock is seeded, a unit is sold elsewhere, and it is seeded again
        added = await seed_shopping_stock(services)
        first = await services.shopping.inventory.stock_levels(skus)
        await services.shopping.inventory.put_stock(skus[0], stock[skus[0]] + 7)
        again = await seed_shopping_stock(services)
        second = await services.shopping.inventory.stock_levels(skus[:1])
    finally:
        await services.close()

    # then every demo SKU got the DynamoDB counter's quantity, once
    assert added == len(stock) >= 30
    assert {level.sku: level.on_hand for level in first if level is not None} == {
        sku: _stock_quantity(sku) for sku in skus
    }
    assert again == 0
    assert second[0] is not None
    assert second[0].on_hand == stock[skus[0]] + 7
