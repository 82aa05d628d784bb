"""Helpers of the shopping integration tests."""

from __future__ import annotations

import uuid
from collections.abc import Mapping

import asyncpg

from datasources.postgres.shopping import ShoppingStores
from datasources.records import Money
from datasources.shopping_records import CartAccess, CartRecord


def unique(prefix: str) -> str:
    """A name nobody else in this database uses."""
    return f"{prefix}-{uuid.uuid4().hex[:8].upper()}"


def eur(amount: int) -> Money:
    return Money(amount, "EUR")


async def stocked(stores: ShoppingStores, **units: int) -> dict[str, str]:
    """Fresh SKUs with the given units on hand: ``stocked(stores, A=5)`` -> {"A": "A-1F2E..."}."""
    skus = {}
    for name, on_hand in units.items():
        sku = unique(f"SKU-{name}")
        await stores.inventory.put_stock(sku, on_hand)
        skus[name] = sku
    return skus


async def owned_cart(
    stores: ShoppingStores, owner: str, lines: Mapping[str, int], currency: str = "EUR"
) -> CartRecord:
    """The shopper's open cart holding ``lines`` (SKU -> quantity)."""
    cart = await stores.carts.open_cart(owner, currency)
    for sku, quantity in lines.items():
        cart = await stores.carts.add_line(
            cart.id,
            CartAccess.owner(owner),
            sku=sku,
            product_id=f"product-{sku}",
            quantity=quantity,
        )
    return cart


async def fetch(url: str, sql: str, *args: object) -> list[asyncpg.Record]:
    """Rows of ``sql`` read on a connection of its own."""
    connection = await asyncpg.connect(url)
    try:
        rows: list[asyncpg.Record] = await connection.fetch(sql, *args)
        return rows
    finally:
        await connection.close()


async def fetchval(url: str, sql: str, *args: object) -> object:
    rows = await fetch(url, sql, *args)
    return rows[0][0] if rows else None
