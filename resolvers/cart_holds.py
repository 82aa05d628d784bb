"""Cart holds: with ``VITRINE_CART_HOLD_MINUTES`` set, a cart's units are held for it (as
Saleor reserves checkout stock) from the moment they are added until the hold lapses, the
line goes, or the checkout turns the hold into the order's allocation.

A change that asks for more units holds the cart's new quantities first, all or nothing
(``Inventory.reserve`` replaces the cart's holds and does not count them against it), so two
carts never hold the same unit. A change that needs no more units re-holds what is left; a
hold that can no longer be had is dropped, and the checkout re-checks under row locks.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import Enum
from typing import Any

from datasources.errors import InsufficientStock
from datasources.shopping_records import CartRecord, StockRequest
from resolvers.kit import DataSource, Run, uses
from resolvers.shopping import ShoppingError, insufficient_stock, shopping_of


def holding(run: Run[Any, Any]) -> bool:
    """Whether carts hold their units (a hold time is configured)."""
    return shopping_of(run).cart_hold is not None


async def hold_more(
    run: Run[Any, Any], code: type[Enum], cart: CartRecord, changed: Mapping[str, int]
) -> ShoppingError | None:
    """Hold ``cart``'s quantities with ``changed`` applied (SKU -> new quantity, 0 drops
    it); INSUFFICIENT_STOCK for the first short SKU, and then nothing new is held."""
    shopping = shopping_of(run)
    assert shopping.cart_hold is not None
    target = {line.sku: line.quantity for line in cart.lines} | dict(changed)
    wanted = [StockRequest(sku, quantity) for sku, quantity in target.items() if quantity > 0]
    try:
        await shopping.inventory.reserve(cart.id, wanted, shopping.cart_hold)
    except InsufficientStock as short:
        return insufficient_stock(code, short.sku, short.requested, short.available)
    return None


async def hold_what_remains(run: Run[Any, Any], cart: CartRecord) -> None:
    """Re-hold ``cart``'s lines as stored now; drop its holds when they cannot all be had."""
    shopping = shopping_of(run)
    if shopping.cart_hold is None:
        return
    wanted = [StockRequest(line.sku, line.quantity) for line in cart.lines]
    try:
        await shopping.inventory.reserve(cart.id, wanted, shopping.cart_hold)
    except InsufficientStock:
        await shopping.inventory.release(cart.id)


async def release_holds(run: Run[Any, Any], cart_id: str) -> None:
    """Give back everything ``cart_id`` holds (a cart merged into another)."""
    if holding(run):
        await shopping_of(run).inventory.release(cart_id)


@uses(DataSource.SHOPPING_DB)
async def reserved_until(run: Run[CartRecord, None]) -> datetime | None:
    """``Cart.reservedUntil``: when the cart's earliest live hold lapses; null without one."""
    holds = await shopping_of(run).inventory.reservations(run.source.id)
    return min((hold.expires_at for hold in holds), default=None)
