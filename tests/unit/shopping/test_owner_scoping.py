"""Owner scoping on fakes: shopper B gets NOT_FOUND (null for reads) for every one of shopper
A's carts and orders, exactly as for IDs that never existed (see tests/support/owner_scoping)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.owner_scoping import SCOPED, Scoped, arrange_world, call_as_b, ids
from tests.support.shopping_api import CART_QUERY, ORDER_QUERY, SHOPPER_A, STOREFRONT, line


@pytest.mark.parametrize("row", SCOPED, ids=ids())
async def test_shopper_b_cannot_reach_shopper_as_carts_and_orders(
    execute: Any, row: Scoped
) -> None:
    # given shopper A's signed-in cart, anonymous cart and paid order
    world = await arrange_world(execute, line("prod-001", "SKU-001-G", 1))
    before = await _a_view(execute, world)

    # when shopper B (or a storefront holding B's cart token) names A's object, and a fresh ID
    answer = await call_as_b(execute, row, world, getattr(world, row.target))
    fresh = await call_as_b(execute, row, world, row.fresh_id())

    # then B gets NOT_FOUND (null for reads), exactly as for an ID that never existed
    assert answer == row.expect
    assert answer == fresh
    # and A's objects are unchanged
    assert await _a_view(execute, world) == before


async def _a_view(execute: Any, world: Any) -> list[Any]:
    cart, _ = await execute(CART_QUERY, {"id": world.a_cart}, SHOPPER_A)
    anonymous, _ = await execute(
        CART_QUERY, {"id": world.a_anonymous_cart}, STOREFRONT, cart_token=world.a_token
    )
    order, _ = await execute(ORDER_QUERY, {"id": world.a_order}, SHOPPER_A)
    assert cart is not None
    assert cart["cart"] is not None
    assert anonymous is not None
    assert anonymous["cart"] is not None
    assert order is not None
    assert order["order"] is not None
    return [cart, anonymous, order]
