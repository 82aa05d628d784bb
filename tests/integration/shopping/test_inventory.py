"""Inventory on PostgreSQL: available = on hand - allocated - live reservations."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from datasources.errors import (
    CartNotFound,
    DataSourceUnavailable,
    InsufficientStock,
    InvalidQuantity,
)
from datasources.instrumentation import call_log
from datasources.postgres.engine import create_engine
from datasources.postgres.shopping import shopping_stores
from datasources.shopping_records import CheckoutRequest, StockRequest
from tests.integration.shopping.support import eur, fetch, owned_cart, stocked, unique
from tests.support.moto_process import free_port

pytestmark = pytest.mark.integration

T0 = datetime(2031, 5, 4, 12, 0, tzinfo=UTC)
TEN_MINUTES = timedelta(minutes=10)


async def _cart(stores, name: str = "shopper") -> str:
    return (await stores.carts.open_cart(unique(name), "EUR")).id


async def test_available_is_on_hand_minus_allocated_minus_live_reservations(stores):
    # given 10 units, holds of 3 and 2 from two carts, and an order allocating 4
    skus = await stocked(stores, A=10)
    sku = skus["A"]
    now = datetime.now(UTC)
    first, second = await _cart(stores), await _cart(stores)
    await stores.inventory.reserve(first, [StockRequest(sku, 3)], TEN_MINUTES, now=now)
    await stores.inventory.reserve(second, [StockRequest(sku, 2)], TEN_MINUTES, now=now)
    buyer = unique("buyer")
    cart = await owned_cart(stores, buyer, {sku: 4})
    await stores.checkout.place_order(CheckoutRequest(cart.id, buyer, {sku: eur(500)}, now=now))

    # when the stock is read now, and after the holds expired
    [level] = await stores.inventory.stock_levels([sku], now=now)
    later = await stores.inventory.available([sku], now=now + TEN_MINUTES)

    # then the live holds count until they expire, the allocation until it is released
    assert level is not None
    assert (level.on_hand, level.allocated, level.reserved, level.available) == (10, 4, 5, 1)
    assert await stores.inventory.available([sku], now=now) == {sku: 1}
    assert later == {sku: 6}


async def test_reserve_is_all_or_nothing(stores):
    # given 5 of A and 1 of B
    skus = await stocked(stores, A=5, B=1)
    cart = await _cart(stores)

    # when a cart asks for 2 of each
    with pytest.raises(InsufficientStock) as short:
        await stores.inventory.reserve(
            cart, [StockRequest(skus["A"], 2), StockRequest(skus["B"], 2)], TEN_MINUTES
        )

    # then it is told which SKU is short by how much, and nothing was held
    assert (short.value.sku, short.value.requested, short.value.available) == (skus["B"], 2, 1)
    assert short.value.code == "INSUFFICIENT_STOCK"
    assert await stores.inventory.reservations(cart) == ()
    assert await stores.inventory.available([skus["A"], skus["B"]]) == {skus["A"]: 5, skus["B"]: 1}


async def test_a_carts_new_hold_replaces_its_old_one_and_its_own_hold_does_not_count(stores):
    # given 5 units, 4 of them held by one cart
    sku = (await stocked(stores, A=5))["A"]
    cart, other = await _cart(stores), await _cart(stores)
    await stores.inventory.reserve(cart, [StockRequest(sku, 4)], TEN_MINUTES, now=T0)

    # when the same cart asks for all 5 (its own 4 do not stand in its way)
    holds = await stores.inventory.reserve(cart, [StockRequest(sku, 5)], TEN_MINUTES, now=T0)

    # then it holds 5, once, and another cart finds nothing left
    assert [(h.sku, h.quantity, h.expires_at) for h in holds] == [(sku, 5, T0 + TEN_MINUTES)]
    assert [(h.sku, h.quantity) for h in await stores.inventory.reservations(cart, now=T0)] == [
        (sku, 5)
    ]
    with pytest.raises(InsufficientStock) as short:
        await stores.inventory.reserve(other, [StockRequest(sku, 1)], TEN_MINUTES, now=T0)
    assert (short.value.requested, short.value.available) == (1, 0)


async def test_release_gives_the_units_back(stores):
    # given a cart holding 3 of 4 units
    sku = (await stocked(stores, A=4))["A"]
    cart = await _cart(stores)
    await stores.inventory.reserve(cart, [StockRequest(sku, 3)], TEN_MINUTES)

    # when the cart releases its holds (twice)
    released = await stores.inventory.release(cart)
    again = await stores.inventory.release(cart)

    # then the units are available again, and the second release had nothing to do
    assert (released, again) == (1, 0)
    assert await stores.inventory.available([sku]) == {sku: 4}
    assert await stores.inventory.reservations(cart) == ()


async def test_expired_holds_stop_counting_and_are_swept(stores, database_url):
    # given a hold of 2 made for ten minutes, later than any other hold of this module
    start = datetime(2040, 1, 1, tzinfo=UTC)
    sku = (await stocked(stores, A=2))["A"]
    cart, other = await _cart(stores), await _cart(stores)
    await stores.inventory.reserve(cart, [StockRequest(sku, 2)], TEN_MINUTES, now=start)
    just_before, at_expiry = start + TEN_MINUTES - timedelta(seconds=1), start + TEN_MINUTES

    # when another cart asks before and after the expiry, with sweeps at both times
    with pytest.raises(InsufficientStock):
        await stores.inventory.reserve(other, [StockRequest(sku, 1)], TEN_MINUTES, now=just_before)
    await stores.inventory.expire_reservations(now=just_before)
    still_held = await stores.inventory.reservations(cart, now=just_before)
    taken = await stores.inventory.reserve(
        other, [StockRequest(sku, 2)], TEN_MINUTES, now=at_expiry
    )
    swept = await stores.inventory.expire_reservations(now=at_expiry)

    # then the hold counted until its expiry only, and only the second sweep released it
    assert [(h.sku, h.quantity) for h in still_held] == [(sku, 2)]
    assert [(h.sku, h.quantity) for h in taken] == [(sku, 2)]
    assert swept == 1
    assert await stores.inventory.reservations(cart, now=at_expiry) == ()
    assert await stores.inventory.available([sku], now=at_expiry) == {sku: 0}
    rows = await fetch(
        database_url,
        "SELECT release_reason, released_at = expires_at AS on_time FROM stock_reservations "
        "WHERE cart_id = $1",
        uuid.UUID(cart),
    )
    assert [tuple(row) for row in rows] == [("EXPIRED", True)]


async def test_concurrent_holds_never_exceed_the_stock(stores):
    # given 7 units and 20 carts
    sku = (await stocked(stores, A=7))["A"]
    carts = [await _cart(stores) for _ in range(20)]

    # when every cart asks for one unit at once
    results = await asyncio.gather(
        *(stores.inventory.reserve(c, [StockRequest(sku, 1)], TEN_MINUTES) for c in carts),
        return_exceptions=True,
    )

    # then exactly 7 got one, the rest were told the stock is short
    held = [r for r in results if isinstance(r, tuple)]
    refused = [r for r in results if isinstance(r, InsufficientStock)]
    assert (len(held), len(refused)) == (7, 13)
    assert all(r.available == 0 and r.requested == 1 for r in refused)
    [level] = await stores.inventory.stock_levels([sku])
    assert level is not None
    assert (level.reserved, level.available) == (7, 0)


async def test_stock_cannot_be_set_below_what_orders_were_promised(stores):
    # given 5 units, 3 of them allocated to an order
    sku = (await stocked(stores, A=5))["A"]
    buyer = unique("buyer")
    cart = await owned_cart(stores, buyer, {sku: 3})
    await stores.checkout.place_order(CheckoutRequest(cart.id, buyer, {sku: eur(100)}))

    # when a stock count says 2, then 3, then -1
    with pytest.raises(InsufficientStock) as refused:
        await stores.inventory.put_stock(sku, 2)
    level = await stores.inventory.put_stock(sku, 3)
    with pytest.raises(InvalidQuantity) as negative:
        await stores.inventory.put_stock(sku, -1)

    # then 2 is refused (3 are promised), 3 is accepted, -1 is not a quantity
    assert (refused.value.requested, refused.value.available) == (3, 2)
    assert (level.on_hand, level.allocated, level.available, level.version) == (3, 3, 0, 3)
    assert negative.value.quantity == -1


async def test_holds_need_a_real_cart_and_positive_quantities(stores):
    # given stock
    sku = (await stocked(stores, A=5))["A"]

    # when a hold names no cart, an unknown cart, or a bad quantity
    with pytest.raises(CartNotFound):
        await stores.inventory.reserve("not-a-uuid", [StockRequest(sku, 1)], TEN_MINUTES)
    with pytest.raises(CartNotFound) as unknown:
        await stores.inventory.reserve(
            "00000000-0000-0000-0000-000000000000", [StockRequest(sku, 1)], TEN_MINUTES
        )
    with pytest.raises(InvalidQuantity) as zero:
        await stores.inventory.reserve(await _cart(stores), [StockRequest(sku, 0)], TEN_MINUTES)

    # then each is a typed error and nothing is held
    assert unknown.value.code == "NOT_FOUND"
    assert (zero.value.sku, zero.value.quantity) == (sku, 0)
    assert await stores.inventory.available([sku, "NO-SUCH-SKU"]) == {sku: 5, "NO-SUCH-SKU": 0}


async def test_every_round_trip_is_counted(stores):
    # given stock and a cart
    sku = (await stocked(stores, A=5))["A"]
    cart = await _cart(stores)

    # when a hold is made inside a call log
    with call_log() as log:
        await stores.inventory.reserve(cart, [StockRequest(sku, 1)], TEN_MINUTES)

    # then each statement and the commit were recorded as postgres calls
    assert dict(log.calls) == {
        "postgres.inventory.lock_stock": 1,
        "postgres.inventory.live_reservations": 1,
        "postgres.inventory.release_holds": 1,
        "postgres.inventory.insert_holds": 1,
        "postgres.inventory.reserve.commit": 1,
    }


async def test_a_dead_database_is_a_typed_error_naming_the_host_but_not_the_password():
    # given stores on a port where no PostgreSQL listens
    port = free_port()
    engine = create_engine(
        f"postgresql://shop:s3cret-pw@127.0.0.1:{port}/shop", pool_timeout=2, pool_pre_ping=False
    )
    stores = shopping_stores(engine)
    try:
        # when the inventory, the carts and the checkout are used
        with pytest.raises(DataSourceUnavailable) as inventory:
            await stores.inventory.available(["A"])
        with pytest.raises(DataSourceUnavailable) as carts:
            await stores.carts.open_cart("someone", "EUR")
        with pytest.raises(DataSourceUnavailable) as checkout:
            await stores.checkout.place_order(
                CheckoutRequest("00000000-0000-0000-0000-000000000001", "someone", {})
            )
    finally:
        await engine.dispose()

    # then each says which database (from DATABASE_URL) did not answer, without the password
    for error in (inventory.value, carts.value, checkout.value):
        assert error.code == "SERVICE_UNAVAILABLE"
        assert f"PostgreSQL at 127.0.0.1:{port}/shop (DATABASE_URL) is unavailable" in str(error)
        assert "s3cret" not in str(error)
