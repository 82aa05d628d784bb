"""Inventory on PostgreSQL: stock rows, expiring cart reservations, allocation to orders.

available = on_hand - allocated - live reservations (unreleased, ``expires_at`` after now).

How it never oversells, under READ COMMITTED:

1. Every writer that *takes* stock (``reserve``, the checkout's ``allocate_for_order``) first
   locks the stock rows of its SKUs with ``SELECT ... ORDER BY sku FOR UPDATE``, so writers of
   one SKU run one at a time and, locking in SKU order, never deadlock each other.
2. Only then, in a *new statement*, it sums the live reservations. A new statement takes a new
   snapshot, which sees every reservation committed by the lock's previous holders. (Reading
   the sum in the locking statement itself would be wrong: a row lock re-reads the locked row,
   but a subquery keeps the statement's older snapshot and could miss a reservation.)
3. It checks every line, then writes: all or nothing, inside the same transaction.
4. The table's ``CHECK (allocated <= on_hand)`` stops any oversell of allocations that a bug
   might still attempt.

Giving stock back (release, expiry, cancelled orders) only raises availability and needs no
ordering beyond the SKU-sorted locks that multi-row updates take.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncEngine

from datasources.errors import CartNotFound, InsufficientStock, InvalidQuantity
from datasources.postgres.shopping.adjustments import adjust_stock, adjustment_history
from datasources.postgres.shopping.db import Database, Tx, as_uuid, now_param
from datasources.postgres.shopping.stock_locks import (
    MAX_STOCK,
    NOW,
    ensure_available,
    lock_stock,
    merge_requests,
)
from datasources.shopping_records import (
    MAX_LINE_QUANTITY,
    ReservationRecord,
    StockAdjustment,
    StockAdjustmentRecord,
    StockLevel,
    StockRequest,
)

_STOCK_LEVELS = sa.text(
    "SELECT s.sku, s.on_hand, s.allocated, s.version, "
    "COALESCE((SELECT sum(r.quantity) FROM stock_reservations r WHERE r.sku = s.sku "
    f"AND r.released_at IS NULL AND r.expires_at > {NOW}), 0)::bigint AS reserved "
    "FROM stock_items s WHERE s.sku = ANY(CAST(:skus AS text[]))"
)

_PUT_STOCK = sa.text(
    "INSERT INTO stock_items (sku, on_hand, allocated) VALUES (:sku, :on_hand, 0) "
    "ON CONFLICT (sku) DO UPDATE SET on_hand = EXCLUDED.on_hand, "
    "version = stock_items.version + 1, updated_at = now() "
    "WHERE stock_items.allocated <= EXCLUDED.on_hand "
    "RETURNING sku, on_hand, allocated, version, "
    "COALESCE((SELECT sum(r.quantity) FROM stock_reservations r WHERE r.sku = stock_items.sku "
    "AND r.released_at IS NULL AND r.expires_at > now()), 0)::bigint AS reserved"
)

_ALLOCATE = sa.text(
    "WITH wanted AS (SELECT * FROM unnest(CAST(:skus AS text[]), CAST(:quantities AS int[])) "
    "AS w(sku, quantity)), "
    "taken AS (UPDATE stock_items s SET allocated = s.allocated + wanted.quantity, "
    "version = s.version + 1, updated_at = now() FROM wanted WHERE s.sku = wanted.sku "
    "RETURNING s.sku), "
    "converted AS (UPDATE stock_reservations SET released_at = "
    f"{NOW}, release_reason = 'ALLOCATED' "
    "WHERE cart_id = :cart_id AND released_at IS NULL RETURNING id) "
    "SELECT (SELECT count(*) FROM taken) AS skus, (SELECT count(*) FROM converted) AS holds"
)

_RELEASE_HOLDS = sa.text(
    f"UPDATE stock_reservations SET released_at = {NOW}, release_reason = :reason "
    "WHERE cart_id = :cart_id AND released_at IS NULL"
)

_INSERT_HOLDS = sa.text(
    "INSERT INTO stock_reservations (sku, cart_id, quantity, created_at, expires_at) "
    "SELECT w.sku, :cart_id, w.quantity, t.at, t.at + CAST(:ttl AS interval) "
    "FROM unnest(CAST(:skus AS text[]), CAST(:quantities AS int[])) AS w(sku, quantity), "
    f"(SELECT {NOW} AS at) AS t "
    "RETURNING id, cart_id, sku, quantity, created_at, expires_at"
)

_LIVE_HOLDS_OF_CART = sa.text(
    "SELECT id, cart_id, sku, quantity, created_at, expires_at FROM stock_reservations "
    f"WHERE cart_id = :cart_id AND released_at IS NULL AND expires_at > {NOW} ORDER BY sku"
)

_EXPIRE = sa.text(
    "UPDATE stock_reservations SET released_at = expires_at, release_reason = 'EXPIRED' "
    f"WHERE released_at IS NULL AND expires_at <= {NOW}"
)


async def allocate_for_order(
    tx: Tx, cart_id: uuid.UUID, lines: Sequence[StockRequest], *, now: datetime | None
) -> dict[str, StockLevel]:
    """Inside the caller's transaction: promise ``lines`` to an order made from ``cart_id``.

    Locks and measures the SKUs, raises InsufficientStock when short (the caller's
    transaction then rolls back), raises ``allocated`` and turns the cart's holds into the
    allocation (released as ALLOCATED). Returns the levels measured before allocating.
    """
    wanted = merge_requests(lines)
    levels = await lock_stock(tx, wanted, exclude_cart=cart_id, now=now)
    ensure_available(levels, wanted)
    await tx.execute(
        "inventory.allocate",
        _ALLOCATE,
        {
            "skus": list(wanted),
            "quantities": list(wanted.values()),
            "cart_id": cart_id,
            "now": now,
        },
    )
    return levels


def _stock_level(row: Any) -> StockLevel:
    return StockLevel(
        sku=row.sku,
        on_hand=row.on_hand,
        allocated=row.allocated,
        reserved=int(row.reserved),
        version=row.version,
    )


def _reservation(row: Any) -> ReservationRecord:
    return ReservationRecord(
        id=str(row.id),
        cart_id=str(row.cart_id),
        sku=row.sku,
        quantity=row.quantity,
        created_at=row.created_at,
        expires_at=row.expires_at,
    )


class PostgresInventory:
    """The Inventory port on PostgreSQL (see the module docstring for the locking rules)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._db = Database(engine)

    async def put_stock(self, sku: str, on_hand: int) -> StockLevel:
        """Set the units on hand of ``sku``, creating it; never below what is allocated."""
        if not 0 <= on_hand <= MAX_STOCK:
            raise InvalidQuantity(sku, on_hand, 0, MAX_STOCK)
        async with self._db.transaction("inventory.put_stock") as tx:
            row = await tx.row("inventory.put_stock", _PUT_STOCK, {"sku": sku, "on_hand": on_hand})
            if row is None:
                current = await tx.row(
                    "inventory.get_stock",
                    sa.text("SELECT allocated FROM stock_items WHERE sku = :sku"),
                    {"sku": sku},
                )
                allocated = current.allocated if current is not None else 0
                raise InsufficientStock(sku, allocated, on_hand)
            return _stock_level(row)

    async def stock_levels(
        self, skus: Sequence[str], *, now: datetime | None = None
    ) -> list[StockLevel | None]:
        """Stock of ``skus`` in order, None for SKUs without stock."""
        if not skus:
            return []
        async with self._db.autocommit() as tx:
            rows = await tx.rows(
                "inventory.stock_levels",
                _STOCK_LEVELS,
                {"skus": sorted(set(skus)), "now": now_param(now)},
            )
        found = {row.sku: _stock_level(row) for row in rows}
        return [found.get(sku) for sku in skus]

    async def available(
        self, skus: Sequence[str], *, now: datetime | None = None
    ) -> dict[str, int]:
        """Units available per SKU (0 for SKUs without stock)."""
        levels = await self.stock_levels(skus, now=now)
        return {
            sku: (level.available if level is not None else 0)
            for sku, level in zip(skus, levels, strict=True)
        }

    async def reserve(
        self,
        cart_id: str,
        lines: Sequence[StockRequest],
        ttl: timedelta,
        *,
        now: datetime | None = None,
    ) -> tuple[ReservationRecord, ...]:
        """Hold ``lines`` for the cart until ``now + ttl``, all or nothing, replacing its holds."""
        if ttl <= timedelta(0):
            raise ValueError(f"a reservation needs a positive time to live, got {ttl}")
        cart = as_uuid(cart_id)
        if cart is None:
            raise CartNotFound(cart_id)
        wanted = merge_requests(lines)
        for sku, quantity in wanted.items():
            if quantity > MAX_LINE_QUANTITY:
                raise InvalidQuantity(sku, quantity, 1, MAX_LINE_QUANTITY)
        at = now_param(now)
        try:
            async with self._db.transaction("inventory.reserve") as tx:
                levels = await lock_stock(tx, wanted, exclude_cart=cart, now=at)
                ensure_available(levels, wanted)
                await tx.execute(
                    "inventory.release_holds",
                    _RELEASE_HOLDS,
                    {"cart_id": cart, "reason": "REPLACED", "now": at},
                )
                if not wanted:
                    return ()
                rows = await tx.rows(
                    "inventory.insert_holds",
                    _INSERT_HOLDS,
                    {
                        "cart_id": cart,
                        "skus": list(wanted),
                        "quantities": list(wanted.values()),
                        "ttl": ttl,
                        "now": at,
                    },
                )
        except sa_exc.IntegrityError as error:
            if "fk_stock_reservations_cart_id" in str(error.orig):
                raise CartNotFound(cart_id) from error
            raise
        return tuple(sorted((_reservation(row) for row in rows), key=lambda r: r.sku))

    async def reservations(
        self, cart_id: str, *, now: datetime | None = None
    ) -> tuple[ReservationRecord, ...]:
        """The cart's live holds, by SKU."""
        cart = as_uuid(cart_id)
        if cart is None:
            return ()
        async with self._db.autocommit() as tx:
            rows = await tx.rows(
                "inventory.cart_holds",
                _LIVE_HOLDS_OF_CART,
                {"cart_id": cart, "now": now_param(now)},
            )
        return tuple(_reservation(row) for row in rows)

    async def release(self, cart_id: str) -> int:
        """Drop the cart's holds; the number released."""
        cart = as_uuid(cart_id)
        if cart is None:
            return 0
        async with self._db.autocommit() as tx:
            result = await tx.execute(
                "inventory.release_holds",
                _RELEASE_HOLDS,
                {"cart_id": cart, "reason": "RELEASED", "now": None},
            )
        return int(result.rowcount)

    async def expire_reservations(self, now: datetime | None = None) -> int:
        """Mark holds whose time is up as released (EXPIRED); the number marked."""
        async with self._db.autocommit() as tx:
            result = await tx.execute("inventory.expire_holds", _EXPIRE, {"now": now_param(now)})
        return int(result.rowcount)

    async def adjust_stock(
        self, adjustment: StockAdjustment
    ) -> tuple[StockAdjustmentRecord, StockLevel]:
        """Change the units on hand by ``adjustment.delta``, audited; StockBelowCommitted when
        fewer would remain than orders and carts hold, StockNotTracked for an unknown SKU."""
        async with self._db.transaction("inventory.adjust_stock") as tx:
            return await adjust_stock(tx, adjustment)

    async def stock_adjustments(
        self, sku: str, *, limit: int = 50
    ) -> tuple[StockAdjustmentRecord, ...]:
        """The newest ``limit`` adjustments of ``sku``, newest first."""
        async with self._db.autocommit() as tx:
            return await adjustment_history(tx, sku, limit)

    async def check(self) -> None:
        """Raise DataSourceUnavailable unless the database answers."""
        await self._db.check()
