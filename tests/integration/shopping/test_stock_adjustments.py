"""Merchants' stock adjustments on PostgreSQL: audited, locked like every stock writer, never
below what orders and live cart reservations hold."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import asyncpg
import pytest

from datasources.errors import InvalidQuantity, StockBelowCommitted, StockNotTracked
from datasources.shopping_records import (
    CheckoutRequest,
    StockAdjustment,
    StockAdjustmentReason,
    StockRequest,
)
from tests.integration.shopping.support import eur, fetch, owned_cart, stocked, unique

pytestmark = pytest.mark.integration

TEN_MINUTES = timedelta(minutes=10)


def _adjust(sku: str, delta: int, reason=StockAdjustmentReason.COUNT_CORRECTION, **extra):
    return StockAdjustment(sku=sku, delta=delta, reason=reason, actor="admin:m-1", **extra)


async def test_an_adjustment_changes_on_hand_and_writes_its_audit_row(stores, database_url):
    # given 5 units
    sku = (await stocked(stores, A=5))["A"]

    # when a delivery of 12 arrives, then 2 are found broken
    delivery, after_delivery = await stores.inventory.adjust_stock(
        _adjust(sku, 12, StockAdjustmentReason.RECEIVED, note="PO-1")
    )
    broken, after_broken = await stores.inventory.adjust_stock(
        _adjust(sku, -2, StockAdjustmentReason.DAMAGED)
    )

    # then the level moves and each change is a row naming who, why, before and after
    assert (after_delivery.on_hand, after_broken.on_hand, after_broken.available) == (17, 15, 15)
    assert (delivery.on_hand_before, delivery.on_hand_after, delivery.note) == (5, 17, "PO-1")
    assert (broken.on_hand_before, broken.on_hand_after) == (17, 15)
    rows = await fetch(
        database_url,
        "SELECT delta, reason, actor FROM stock_adjustments WHERE sku = $1 ORDER BY id",
        sku,
    )
    assert [tuple(row) for row in rows] == [
        (12, "RECEIVED", "admin:m-1"),
        (-2, "DAMAGED", "admin:m-1"),
    ]
    assert [a.delta for a in await stores.inventory.stock_adjustments(sku)] == [-2, 12]
    [level] = await stores.inventory.stock_levels([sku])
    assert level is not None
    assert level.version == after_broken.version


async def test_units_promised_to_orders_and_held_by_carts_stay(stores):
    # given 10 units: 3 allocated to an order, 4 held by a cart
    sku = (await stocked(stores, A=10))["A"]
    buyer = unique("buyer")
    cart = await owned_cart(stores, buyer, {sku: 3})
    await stores.checkout.place_order(CheckoutRequest(cart.id, buyer, {sku: eur(100)}))
    holder = (await stores.carts.open_cart(unique("holder"), "EUR")).id
    await stores.inventory.reserve(holder, [StockRequest(sku, 4)], TEN_MINUTES)

    # when a merchant takes off 4, then 3
    with pytest.raises(StockBelowCommitted) as refused:
        await stores.inventory.adjust_stock(_adjust(sku, -4, StockAdjustmentReason.LOST))
    _, level = await stores.inventory.adjust_stock(_adjust(sku, -3, StockAdjustmentReason.LOST))

    # then 4 would cut into the 7 held (3 could go) and nothing changed; 3 goes
    assert (refused.value.committed, refused.value.removable) == (7, 3)
    assert (level.on_hand, level.allocated, level.reserved, level.available) == (7, 3, 4, 0)
    assert len(await stores.inventory.stock_adjustments(sku)) == 1


async def test_write_offs_racing_checkouts_never_oversell(stores):
    # given 20 units, 20 shoppers with one unit each in their carts, 20 one-unit write-offs
    sku = (await stocked(stores, A=20))["A"]
    buyers = [unique("buyer") for _ in range(20)]
    carts = [await owned_cart(stores, buyer, {sku: 1}) for buyer in buyers]

    # when every checkout and every write-off runs at once
    results = await asyncio.gather(
        *(
            stores.checkout.place_order(CheckoutRequest(c.id, b, {sku: eur(100)}))
            for c, b in zip(carts, buyers, strict=True)
        ),
        *(stores.inventory.adjust_stock(_adjust(sku, -1)) for _ in range(20)),
        return_exceptions=True,
    )

    # then orders plus write-offs are exactly the 20 units, and none is negative
    orders = [r for r in results[:20] if not isinstance(r, BaseException)]
    write_offs = [r for r in results[20:] if not isinstance(r, BaseException)]
    failures = [r for r in results if isinstance(r, BaseException)]
    assert len(orders) + len(write_offs) == 20
    assert all(type(f).__name__ in {"InsufficientStock", "StockBelowCommitted"} for f in failures)
    [level] = await stores.inventory.stock_levels([sku])
    assert level is not None
    assert (level.on_hand, level.allocated) == (20 - len(write_offs), len(orders))
    assert level.available == 0


async def test_bad_adjustments_change_nothing(stores):
    sku = (await stocked(stores, A=5))["A"]
    with pytest.raises(InvalidQuantity):
        await stores.inventory.adjust_stock(_adjust(sku, 0))
    with pytest.raises(InvalidQuantity):
        await stores.inventory.adjust_stock(_adjust(sku, 2**31 - 1))
    with pytest.raises(StockBelowCommitted):
        await stores.inventory.adjust_stock(_adjust(sku, -6))
    with pytest.raises(StockNotTracked):
        await stores.inventory.adjust_stock(_adjust(unique("SKU-NONE"), 1))
    [level] = await stores.inventory.stock_levels([sku])
    assert level is not None
    assert (level.on_hand, level.version) == (5, 1)
    assert await stores.inventory.stock_adjustments(sku) == ()


async def test_the_table_refuses_an_inconsistent_audit_row(stores, database_url):
    sku = (await stocked(stores, A=5))["A"]
    connection = await asyncpg.connect(database_url)
    try:
        with pytest.raises(asyncpg.CheckViolationError) as refused:
            await connection.execute(
                "INSERT INTO stock_adjustments (sku, delta, on_hand_before, on_hand_after, "
                "reason, actor) VALUES ($1, 3, 5, 9, 'RECEIVED', 'x')",
                sku,
            )
    finally:
        await connection.close()
    assert refused.value.constraint_name == "ck_stock_adjustments_levels"
