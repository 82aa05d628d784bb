"""The transactional store on PostgreSQL: inventory, carts, discount codes, orders,
payments, idempotency keys and the checkout unit of work (revision 0002_shopping).

``shopping_stores(engine)`` builds every adapter on one engine, typed as the ports.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from datasources.ports import (
    CartStore,
    CheckoutService,
    DiscountCodes,
    IdempotencyStore,
    Inventory,
    OrderStore,
    ShippingCalculator,
    TaxCalculator,
)
from datasources.postgres.shopping.carts import PostgresCartStore
from datasources.postgres.shopping.checkout import PostgresCheckout
from datasources.postgres.shopping.discounts import PostgresDiscountCodes
from datasources.postgres.shopping.idempotency import PostgresIdempotencyStore
from datasources.postgres.shopping.inventory import PostgresInventory
from datasources.postgres.shopping.orders import PostgresOrderStore


@dataclass(frozen=True)
class ShoppingStores:
    """Every shopping adapter on one engine."""

    inventory: Inventory
    carts: CartStore
    discounts: DiscountCodes
    orders: OrderStore
    checkout: CheckoutService
    idempotency: IdempotencyStore


def shopping_stores(
    engine: AsyncEngine,
    *,
    tax: TaxCalculator | None = None,
    shipping: ShippingCalculator | None = None,
) -> ShoppingStores:
    """The shopping adapters on ``engine`` (no I/O); tax and shipping default to none."""
    return ShoppingStores(
        inventory=PostgresInventory(engine),
        carts=PostgresCartStore(engine),
        discounts=PostgresDiscountCodes(engine),
        orders=PostgresOrderStore(engine),
        checkout=PostgresCheckout(engine, tax=tax, shipping=shipping),
        idempotency=PostgresIdempotencyStore(engine),
    )


__all__ = [
    "PostgresCartStore",
    "PostgresCheckout",
    "PostgresDiscountCodes",
    "PostgresIdempotencyStore",
    "PostgresInventory",
    "PostgresOrderStore",
    "ShoppingStores",
    "shopping_stores",
]
