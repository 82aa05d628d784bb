"""Cart holds (VITRINE_CART_HOLD_MINUTES, Saleor's checkout stock reservation) over HTTP on
real PostgreSQL: what a cart holds no other cart can take until the hold lapses, and the
checkout turns the hold into the order's allocation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from gateway.bootstrap import Services
from resolvers.global_ids import from_global_id
from tests.api.shopping.conftest import STOCK_PER_SKU, shopper
from tests.support.shopping_api import (
    CART_LINE_REMOVE,
    CART_LINE_UPDATE,
    CART_MERGE,
    STOREFRONT,
    add,
    anonymous_cart,
    checkout,
    line,
    result_of,
    shopper_cart,
)

pytestmark = pytest.mark.integration

HOLD_MINUTES = 15
SHOP_SETTINGS = {"VITRINE_CART_HOLD_MINUTES": HOLD_MINUTES}
"""Read by tests/api/shopping/conftest.py's shop_services for this module."""

RESERVED_UNTIL = "query Held($id: ID!) { cart(id: $id) { reservedUntil } }"


async def _level(services: Services, sku: str) -> tuple[int, int, int]:
    assert services.shopping is not None
    [level] = await services.shopping.inventory.stock_levels([sku])
    assert level is not None
    return level.reserved, level.allocated, level.available


async def test_what_one_cart_holds_another_cannot_take(execute: Any, services: Services) -> None:
    # given shopper A holding 4 of the 5 units of SKU-004-G in their cart
    a, b = shopper("hold-a"), shopper("hold-b")
    cart_a, cart_b = await shopper_cart(execute, a), await shopper_cart(execute, b)
    held = await add(execute, a, cart_a, line("prod-004", "SKU-004-G", 4))
    assert held["__typename"] == "CartLinesAddSuccess", held
    assert await _level(services, "SKU-004-G") == (4, 0, STOCK_PER_SKU - 4)

    # when B asks for 2
    refused = await add(execute, b, cart_b, line("prod-004", "SKU-004-G", 2))

    # then only the 1 unit nobody holds is offered
    assert (refused["code"], refused["requested"], refused["available"]) == (
        "INSUFFICIENT_STOCK",
        2,
        1,
    )

    # when A lowers their line to 2, B can take 2; when A removes it, only B's hold is left
    data, errors = await execute(
        CART_LINE_UPDATE, {"cartId": cart_a, "sku": "SKU-004-G", "quantity": 2}, a
    )
    assert errors == []
    assert result_of(data, "cartLineUpdate")["__typename"] == "CartLineUpdateSuccess"
    taken = await add(execute, b, cart_b, line("prod-004", "SKU-004-G", 2))
    assert taken["__typename"] == "CartLinesAddSuccess", taken
    data, errors = await execute(CART_LINE_REMOVE, {"cartId": cart_a, "sku": "SKU-004-G"}, a)
    assert errors == []
    assert await _level(services, "SKU-004-G") == (2, 0, STOCK_PER_SKU - 2)

    # when B checks out, the hold becomes the order's allocation
    paid = await checkout(execute, b, cart_b)
    assert paid["__typename"] == "CheckoutCompleteSuccess", paid
    assert await _level(services, "SKU-004-G") == (0, 2, STOCK_PER_SKU - 2)


async def test_a_hold_lapses_when_its_time_is_up(execute: Any, services: Services) -> None:
    # given a cart holding 3 units
    c = shopper("lapse")
    cart_id = await shopper_cart(execute, c)
    before = datetime.now(UTC)
    await add(execute, c, cart_id, line("prod-005", "SKU-005-B", 3))

    # when the cart is read, and the stock is measured just after its hold ends
    data, errors = await execute(RESERVED_UNTIL, {"id": cart_id}, c)
    assert errors == []
    until = datetime.fromisoformat(result_of(data, "cart")["reservedUntil"])
    assert services.shopping is not None
    inventory = services.shopping.inventory
    during = await inventory.available(["SKU-005-B"], now=until - timedelta(seconds=1))
    after = await inventory.available(["SKU-005-B"], now=until + timedelta(seconds=1))

    # then the cart shows when the hold ends, and after that the units are free again
    assert before + timedelta(minutes=HOLD_MINUTES) <= until
    assert until <= datetime.now(UTC) + timedelta(minutes=HOLD_MINUTES)
    assert (during, after) == ({"SKU-005-B": STOCK_PER_SKU - 3}, {"SKU-005-B": STOCK_PER_SKU})


async def test_a_merged_anonymous_cart_hands_its_hold_to_the_shoppers_cart(
    execute: Any, services: Services
) -> None:
    # given a visitor's anonymous cart holding 2 units
    anonymous, token = await anonymous_cart(execute)
    held = await add(
        execute, STOREFRONT, anonymous, line("prod-006", "SKU-006-G", 2), cart_token=token
    )
    assert held["__typename"] == "CartLinesAddSuccess", held

    # when they sign in and the cart is merged into theirs
    member = shopper("merge")
    data, errors = await execute(CART_MERGE, {"cartId": anonymous}, member, cart_token=token)
    assert errors == []
    merged = result_of(data, "cartMerge")["cart"]

    # then the 2 units are held once, by the shopper's cart
    assert services.shopping is not None
    inventory = services.shopping.inventory
    _, anonymous_id = from_global_id(anonymous)
    _, merged_id = from_global_id(merged["id"])
    assert await inventory.reservations(anonymous_id) == ()
    assert [(h.sku, h.quantity) for h in await inventory.reservations(merged_id)] == [
        ("SKU-006-G", 2)
    ]
    assert await _level(services, "SKU-006-G") == (2, 0, STOCK_PER_SKU - 2)
