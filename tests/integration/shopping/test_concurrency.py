"""The oversell proof: hundreds of concurrent checkouts against 50 of A and 30 of B."""

from __future__ import annotations

import pytest

from datasources.postgres.shopping.concurrency import UNITS_A, UNITS_B, run_concurrent_checkouts
from tests.integration.shopping.support import fetch

pytestmark = pytest.mark.integration


async def test_200_concurrent_checkouts_sell_exactly_the_units_that_exist(engine, database_url):
    # given 50 of A, 30 of B and 200 shoppers with mixed carts, each on its own connection
    # when they all check out at once
    report = await run_concurrent_checkouts(engine, shoppers=200, seed=20260523, cleanup=False)

    # then the run found no violation, and every failure is a typed shortage
    assert report.violations == ()
    assert report.expected_sell_out is True
    assert report.orders + sum(report.failures.values()) == 200
    assert set(report.failures) == {"INSUFFICIENT_STOCK"}
    assert report.orders >= 1

    # and, read back independently: exactly the stock was sold, none went negative
    sku_a, sku_b = sorted(report.units_stocked)
    stock = await fetch(
        database_url,
        "SELECT sku, on_hand, allocated FROM stock_items WHERE sku = ANY($1) ORDER BY sku",
        [sku_a, sku_b],
    )
    assert [tuple(row) for row in stock] == [(sku_a, UNITS_A, UNITS_A), (sku_b, UNITS_B, UNITS_B)]
    sold = await fetch(
        database_url,
        "SELECT l.sku, sum(l.quantity) AS units, count(DISTINCT o.id) AS orders "
        "FROM order_lines l JOIN orders o ON o.id = l.order_id "
        "WHERE l.sku = ANY($1) AND o.status = 'PAID' GROUP BY l.sku ORDER BY l.sku",
        [sku_a, sku_b],
    )
    assert [(row["sku"], row["units"]) for row in sold] == [(sku_a, UNITS_A), (sku_b, UNITS_B)]
    orders = await fetch(
        database_url,
        "SELECT count(DISTINCT o.id) AS n FROM orders o JOIN order_lines l ON l.order_id = o.id "
        "WHERE l.sku = ANY($1)",
        [sku_a, sku_b],
    )
    assert orders[0]["n"] == report.orders
    assert report.units_sold == {sku_a: UNITS_A, sku_b: UNITS_B}


async def test_repeated_runs_with_other_seeds_find_no_violation(engine):
    # given three more crowds of shoppers, each with its own seed and SKUs
    # when each checks out at once
    reports = [
        await run_concurrent_checkouts(engine, shoppers=120, seed=seed) for seed in (1, 2, 3)
    ]

    # then none oversold, undersold or failed for another reason
    assert [r.violations for r in reports] == [(), (), ()]
    assert [set(r.failures) for r in reports] == [{"INSUFFICIENT_STOCK"}] * 3
    assert [sorted(r.units_sold.values()) for r in reports] == [[UNITS_B, UNITS_A]] * 3
    assert all(r.checkouts_per_second > 0 for r in reports)
