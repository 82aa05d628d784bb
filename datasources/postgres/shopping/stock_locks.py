"""The stock locking rule every stock writer follows (see ``inventory``'s module docs).

Lock the SKUs' stock rows in SKU order, then measure live reservations in a new statement,
then check every line before writing anything.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime

import sqlalchemy as sa

from datasources.errors import InsufficientStock, InvalidQuantity
from datasources.postgres.shopping.db import Tx
from datasources.shopping_records import StockLevel, StockRequest

NOW = "COALESCE(CAST(:now AS timestamptz), now())"
MAX_STOCK = 2**31 - 1

_LOCK_STOCK = sa.text(
    "SELECT sku, on_hand, allocated, version FROM stock_items "
    "WHERE sku = ANY(CAST(:skus AS text[])) ORDER BY sku FOR UPDATE"
)

_LIVE_RESERVED = sa.text(
    "SELECT sku, sum(quantity)::bigint AS reserved FROM stock_reservations "
    "WHERE sku = ANY(CAST(:skus AS text[])) AND released_at IS NULL "
    f"AND expires_at > {NOW} "
    "AND (CAST(:exclude_cart AS uuid) IS NULL OR cart_id <> CAST(:exclude_cart AS uuid)) "
    "GROUP BY sku"
)


def merge_requests(lines: Iterable[StockRequest]) -> dict[str, int]:
    """Quantities per SKU (duplicates added up), in SKU order; InvalidQuantity for q < 1."""
    merged: dict[str, int] = {}
    for line in lines:
        if line.quantity < 1:
            raise InvalidQuantity(line.sku, line.quantity, 1, MAX_STOCK)
        merged[line.sku] = merged.get(line.sku, 0) + line.quantity
    return dict(sorted(merged.items()))


async def lock_stock(
    tx: Tx, skus: Iterable[str], *, exclude_cart: uuid.UUID | None, now: datetime | None
) -> dict[str, StockLevel]:
    """Lock the stock rows of ``skus`` in SKU order, then measure them (see module docs).

    ``exclude_cart``'s own holds do not count as reserved (they are what it converts).
    """
    wanted = sorted(set(skus))
    if not wanted:
        return {}
    locked = await tx.rows("inventory.lock_stock", _LOCK_STOCK, {"skus": wanted})
    reserved_rows = await tx.rows(
        "inventory.live_reservations",
        _LIVE_RESERVED,
        {"skus": wanted, "exclude_cart": exclude_cart, "now": now},
    )
    reserved = {row.sku: int(row.reserved) for row in reserved_rows}
    return {
        row.sku: StockLevel(
            sku=row.sku,
            on_hand=row.on_hand,
            allocated=row.allocated,
            reserved=reserved.get(row.sku, 0),
            version=row.version,
        )
        for row in locked
    }


def ensure_available(levels: Mapping[str, StockLevel], wanted: Mapping[str, int]) -> None:
    """InsufficientStock for the first SKU (in SKU order) short of its wanted quantity."""
    for sku in sorted(wanted):
        level = levels.get(sku)
        available = level.available if level is not None else 0
        if wanted[sku] > available:
            raise InsufficientStock(sku, wanted[sku], available)
