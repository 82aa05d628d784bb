"""Merchants' stock adjustments: change a SKU's units on hand, audited, never below what
orders and carts hold.

An adjustment locks the SKU's stock row like every other stock writer (``lock_stock``), so
it is ordered with the checkouts and reservations of that SKU: a reduction that would leave
fewer units on hand than are allocated to orders plus held by live cart reservations is
refused (``StockBelowCommitted``) and nothing changes. The new level and its audit row are
written by one statement in the same transaction.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from datasources.errors import InvalidQuantity, StockBelowCommitted, StockNotTracked
from datasources.postgres.shopping.db import Tx
from datasources.postgres.shopping.stock_locks import MAX_STOCK, lock_stock
from datasources.shopping_records import (
    StockAdjustment,
    StockAdjustmentReason,
    StockAdjustmentRecord,
    StockLevel,
    check_adjustment,
)

_ADJUST = sa.text(
    "WITH changed AS (UPDATE stock_items SET on_hand = :after, version = version + 1, "
    "updated_at = now() WHERE sku = :sku RETURNING sku, on_hand, allocated, version) "
    "INSERT INTO stock_adjustments (sku, delta, on_hand_before, on_hand_after, reason, note, "
    "actor) SELECT sku, :delta, :before, on_hand, :reason, CAST(:note AS text), :actor "
    "FROM changed RETURNING id, sku, delta, on_hand_before, on_hand_after, reason, note, actor, "
    "created_at"
)

_HISTORY = sa.text(
    "SELECT id, sku, delta, on_hand_before, on_hand_after, reason, note, actor, created_at "
    "FROM stock_adjustments WHERE sku = :sku ORDER BY id DESC LIMIT :limit"
)


async def adjust_stock(
    tx: Tx, adjustment: StockAdjustment
) -> tuple[StockAdjustmentRecord, StockLevel]:
    """Inside the caller's transaction: apply ``adjustment`` and record it (module docs);
    the audit record and the stock level it left."""
    check_adjustment(adjustment)
    levels = await lock_stock(tx, [adjustment.sku], exclude_cart=None, now=None)
    level = levels.get(adjustment.sku)
    if level is None:
        raise StockNotTracked(adjustment.sku)
    after = level.on_hand + adjustment.delta
    committed = level.allocated + level.reserved
    if after < committed:
        raise StockBelowCommitted(adjustment.sku, level.on_hand, adjustment.delta, committed)
    if after > MAX_STOCK:
        raise InvalidQuantity(adjustment.sku, after, committed, MAX_STOCK)
    row = await tx.row(
        "inventory.adjust_stock",
        _ADJUST,
        {
            "sku": adjustment.sku,
            "after": after,
            "before": level.on_hand,
            "delta": adjustment.delta,
            "reason": adjustment.reason.value,
            "note": adjustment.note,
            "actor": adjustment.actor,
        },
    )
    assert row is not None  # the row is locked above, so the update finds it
    after_level = StockLevel(
        sku=level.sku,
        on_hand=after,
        allocated=level.allocated,
        reserved=level.reserved,
        version=level.version + 1,
    )
    return adjustment_from_row(row), after_level


async def adjustment_history(tx: Tx, sku: str, limit: int) -> tuple[StockAdjustmentRecord, ...]:
    """The newest ``limit`` adjustments of ``sku``, newest first."""
    rows = await tx.rows("inventory.adjustment_history", _HISTORY, {"sku": sku, "limit": limit})
    return tuple(adjustment_from_row(row) for row in rows)


def adjustment_from_row(row: Any) -> StockAdjustmentRecord:
    """A ``stock_adjustments`` row as a record."""
    return StockAdjustmentRecord(
        id=row.id,
        sku=row.sku,
        delta=row.delta,
        on_hand_before=row.on_hand_before,
        on_hand_after=row.on_hand_after,
        reason=StockAdjustmentReason(row.reason),
        note=row.note,
        actor=row.actor,
        created_at=row.created_at,
    )
