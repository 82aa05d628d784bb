"""Orders on PostgreSQL: reads, keyset-paginated history, the state machine and its audit trail.

A transition is one transaction: lock the order (and its cart) row, check the move against
``ORDER_TRANSITIONS``, apply its side effects, set the status and append an ``order_events``
row. Side effects by target state:

- PAID: the cart becomes COMPLETED.
- CANCELLED (from PENDING_PAYMENT): the allocation is released, the discount code's use is
  given back, the cart is ACTIVE again (the shopper may pay another way).
- REFUNDED: the allocation is released.
- FULFILLED: the units leave the warehouse: ``on_hand`` and ``allocated`` both drop.

Stock rows are locked in SKU order before they are updated, like every other stock writer.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from datasources.errors import IllegalTransition, InvalidCursor, OrderNotFound
from datasources.postgres.shopping.db import Database, Tx, as_uuid, now_param
from datasources.postgres.shopping.tables import order_events, order_lines, orders, payments
from datasources.records import Money, Page
from datasources.shopping_records import (
    RELEASES_ALLOCATION,
    CartStatus,
    CoPurchase,
    OrderEventRecord,
    OrderFilter,
    OrderLineRecord,
    OrderRecord,
    OrderStatus,
    PaymentRecord,
    PaymentStatus,
    can_transition,
)

NOW = "COALESCE(CAST(:now AS timestamptz), now())"
MAX_PAGE_SIZE = 100
_BAD_CURSOR = "The cursor is not valid: pass an endCursor from this listing"

_LOCK_ORDER = sa.text(
    "SELECT o.id, o.status, o.cart_id, o.discount_code, o.total, o.currency "
    "FROM orders o JOIN carts c ON c.id = o.cart_id WHERE o.id = :id FOR UPDATE"
)

_LOCK_ORDER_STOCK = sa.text(
    "SELECT s.sku FROM stock_items s JOIN order_lines l ON l.sku = s.sku "
    "WHERE l.order_id = :id ORDER BY s.sku FOR UPDATE OF s"
)

_TRANSITION = sa.text(
    "WITH stock AS (UPDATE stock_items s SET allocated = s.allocated - l.quantity, "
    "on_hand = s.on_hand - CASE WHEN CAST(:ship AS boolean) THEN l.quantity ELSE 0 END, "
    "version = s.version + 1, updated_at = now() "
    "FROM order_lines l WHERE CAST(:touch_stock AS boolean) AND l.order_id = :id "
    "AND l.sku = s.sku RETURNING s.sku), "
    "discount AS (UPDATE discount_codes SET times_used = times_used - 1 "
    "WHERE CAST(:give_back AS boolean) AND code = CAST(:code AS text) AND times_used > 0 "
    "RETURNING code), "
    "cart AS (UPDATE carts SET status = CAST(:cart_status AS text), version = version + 1, "
    "updated_at = now() WHERE CAST(:cart_status AS text) IS NOT NULL AND id = :cart_id "
    "AND status = 'CHECKING_OUT' RETURNING id), "
    "event AS (INSERT INTO order_events (order_id, from_status, to_status, actor, at, note) "
    f"VALUES (:id, :from_status, :to_status, :actor, {NOW}, CAST(:note AS text)) RETURNING id) "
    f"UPDATE orders SET status = :to_status, updated_at = {NOW} WHERE id = :id"
)

_CART_AFTER: dict[OrderStatus, CartStatus] = {
    OrderStatus.PAID: CartStatus.COMPLETED,
    OrderStatus.CANCELLED: CartStatus.ACTIVE,
}


async def lock_order(tx: Tx, order: uuid.UUID) -> Any:
    """Lock an order and its cart; the order's row (None when absent)."""
    return await tx.row("order.lock", _LOCK_ORDER, {"id": order})


async def apply_transition(
    tx: Tx,
    locked: Any,
    to: OrderStatus,
    *,
    actor: str,
    note: str | None,
    now: datetime | None = None,
) -> None:
    """Move a locked order (``lock_order``'s row) to ``to`` with its side effects and event."""
    current = OrderStatus(locked.status)
    if not can_transition(current, to):
        raise IllegalTransition(str(locked.id), current.value, to.value)
    touch_stock = to in RELEASES_ALLOCATION or to is OrderStatus.FULFILLED
    if touch_stock:
        await tx.execute("order.lock_stock", _LOCK_ORDER_STOCK, {"id": locked.id})
    give_back = (
        current is OrderStatus.PENDING_PAYMENT
        and to is OrderStatus.CANCELLED
        and locked.discount_code is not None
    )
    cart_after = _CART_AFTER.get(to)
    await tx.execute(
        "order.transition",
        _TRANSITION,
        {
            "id": locked.id,
            "cart_id": locked.cart_id,
            "ship": to is OrderStatus.FULFILLED,
            "touch_stock": touch_stock,
            "give_back": give_back,
            "code": locked.discount_code,
            "cart_status": cart_after.value if cart_after is not None else None,
            "from_status": current.value,
            "to_status": to.value,
            "actor": actor,
            "note": note,
            "now": now,
        },
    )


def encode_cursor(number: int) -> str:
    """An opaque cursor just after the order numbered ``number`` (newest-first listings)."""
    return base64.urlsafe_b64encode(orjson.dumps({"order": number})).decode()


def decode_cursor(cursor: str) -> int:
    """The order number inside ``cursor``; InvalidCursor if it is not one of ours."""
    try:
        payload = orjson.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (binascii.Error, ValueError, orjson.JSONDecodeError) as error:
        raise InvalidCursor(
            "The cursor is not valid: pass an endCursor from this listing"
        ) from error
    number = payload.get("order") if isinstance(payload, dict) else None
    if not isinstance(number, int) or isinstance(number, bool) or number < 1:
        raise InvalidCursor(_BAD_CURSOR)
    return number


def _money(amount: int, currency: str) -> Money:
    return Money(int(amount), currency)


def order_from_rows(row: Any, lines: Sequence[Any]) -> OrderRecord:
    """An order record from its ``orders`` row and its ``order_lines`` rows."""
    currency = row.currency
    return OrderRecord(
        id=str(row.id),
        number=row.number,
        owner_sub=row.owner_sub,
        cart_id=str(row.cart_id),
        status=OrderStatus(row.status),
        currency=currency,
        lines=tuple(
            OrderLineRecord(
                sku=line.sku,
                product_id=line.product_id,
                quantity=line.quantity,
                unit_price=_money(line.unit_price, line.currency),
                total=_money(line.line_total, line.currency),
            )
            for line in lines
        ),
        subtotal=_money(row.subtotal, currency),
        discount_total=_money(row.discount_total, currency),
        tax_total=_money(row.tax_total, currency),
        shipping_total=_money(row.shipping_total, currency),
        total=_money(row.total, currency),
        discount_code=row.discount_code,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


async def attach_lines(tx: Tx, rows: Sequence[Any]) -> list[OrderRecord]:
    """Orders for ``orders`` rows, their lines read in one round trip."""
    if not rows:
        return []
    line_rows = await tx.rows(
        "order.lines",
        sa.select(order_lines)
        .where(order_lines.c.order_id.in_([row.id for row in rows]))
        .order_by(order_lines.c.order_id, order_lines.c.position),
    )
    by_order: dict[uuid.UUID, list[Any]] = {}
    for line in line_rows:
        by_order.setdefault(line.order_id, []).append(line)
    return [order_from_rows(row, by_order.get(row.id, [])) for row in rows]


async def load_order(tx: Tx, order: uuid.UUID) -> OrderRecord | None:
    """One order with its lines, if it exists."""
    rows = await tx.rows("order.get", sa.select(orders).where(orders.c.id == order))
    found = await attach_lines(tx, rows)
    return found[0] if found else None


def payment_from_row(row: Any) -> PaymentRecord:
    """A payment record from a ``payments`` row."""
    return PaymentRecord(
        id=str(row.id),
        order_id=str(row.order_id),
        provider=row.provider,
        provider_ref=row.provider_ref,
        status=PaymentStatus(row.status),
        amount=_money(row.amount, row.currency),
        failure_code=row.failure_code,
        next_action_url=row.next_action_url,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


BOUGHT_TOGETHER_SQL = (
    "SELECT other.product_id, count(DISTINCT other.order_id) AS orders "
    "FROM order_lines mine "
    "JOIN orders o ON o.id = mine.order_id AND o.status IN ('PAID', 'FULFILLED') "
    "JOIN order_lines other ON other.order_id = mine.order_id "
    "AND other.product_id <> mine.product_id "
    "WHERE mine.product_id = :product "
    "GROUP BY other.product_id ORDER BY orders DESC, other.product_id LIMIT :first"
)
"""Products co-purchased with ``:product``; ``mine`` is found through ix_order_lines_product."""


class PostgresOrderStore:
    """The OrderStore port on PostgreSQL."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._db = Database(engine)

    async def order(self, order_id: str, owner_sub: str) -> OrderRecord | None:
        """The shopper's order, or None when absent or someone else's."""
        order = as_uuid(order_id)
        if order is None:
            return None
        async with self._db.autocommit() as tx:
            rows = await tx.rows(
                "order.get",
                sa.select(orders).where(orders.c.id == order, orders.c.owner_sub == owner_sub),
            )
            found = await attach_lines(tx, rows)
        return found[0] if found else None

    async def orders_by_ids(self, order_ids: Sequence[str]) -> list[OrderRecord | None]:
        """Orders in the order of ``order_ids`` (unscoped: for merchants and loaders)."""
        wanted = [order for order in (as_uuid(i) for i in order_ids) if order is not None]
        if not wanted:
            return [None] * len(order_ids)
        async with self._db.autocommit() as tx:
            rows = await tx.rows("order.get_many", sa.select(orders).where(orders.c.id.in_(wanted)))
            found = {order.id: order for order in await attach_lines(tx, rows)}
        return [found.get(str(as_uuid(i))) if as_uuid(i) else None for i in order_ids]

    async def order_history(
        self, owner_sub: str, *, first: int, after: str | None = None
    ) -> Page[OrderRecord]:
        """The shopper's orders, newest first, keyset-paginated."""
        return await self._page(orders.c.owner_sub == owner_sub, first, after)

    async def list_orders(
        self, order_filter: OrderFilter, *, first: int, after: str | None = None
    ) -> Page[OrderRecord]:
        """Every order matching the filter, newest first, for merchants."""
        conditions: list[sa.ColumnElement[bool]] = []
        if order_filter.statuses:
            conditions.append(orders.c.status.in_([s.value for s in order_filter.statuses]))
        if order_filter.owner_sub is not None:
            conditions.append(orders.c.owner_sub == order_filter.owner_sub)
        return await self._page(sa.and_(sa.true(), *conditions), first, after)

    async def _page(
        self, where: sa.ColumnElement[bool], first: int, after: str | None
    ) -> Page[OrderRecord]:
        if not 1 <= first <= MAX_PAGE_SIZE:
            raise ValueError(f"first must be within 1..{MAX_PAGE_SIZE}, got {first}")
        condition = where
        if after is not None:
            condition = sa.and_(where, orders.c.number < decode_cursor(after))
        total = (
            sa.select(sa.func.count()).select_from(orders).where(where).scalar_subquery()
        ).label("total_count")
        async with self._db.autocommit() as tx:
            rows = await tx.rows(
                "order.page",
                sa.select(orders, total)
                .where(condition)
                .order_by(orders.c.number.desc())
                .limit(first + 1),
            )
            if rows:
                total_count = int(rows[0].total_count)
            else:
                counted = await tx.row(
                    "order.count", sa.select(sa.func.count()).select_from(orders).where(where)
                )
                total_count = int(counted[0]) if counted is not None else 0
            page = await attach_lines(tx, rows[:first])
        return Page(
            items=tuple(page),
            cursors=tuple(encode_cursor(order.number) for order in page),
            has_next_page=len(rows) > first,
            has_previous_page=after is not None,
            total_count=total_count,
        )

    async def order_events(self, order_id: str) -> tuple[OrderEventRecord, ...]:
        """The order's audit trail, oldest first."""
        return (await self.events_by_order_ids([order_id]))[0]

    async def events_by_order_ids(
        self, order_ids: Sequence[str]
    ) -> list[tuple[OrderEventRecord, ...]]:
        """The audit trails of ``order_ids`` in one query, each oldest first."""
        wanted = _uuids(order_ids)
        if not wanted:
            return [() for _ in order_ids]
        async with self._db.autocommit() as tx:
            rows = await tx.rows(
                "order.events",
                sa.select(order_events)
                .where(order_events.c.order_id.in_(wanted))
                .order_by(order_events.c.id),
            )
        grouped: dict[str, list[OrderEventRecord]] = {}
        for row in rows:
            grouped.setdefault(str(row.order_id), []).append(
                OrderEventRecord(
                    id=row.id,
                    order_id=str(row.order_id),
                    from_status=OrderStatus(row.from_status) if row.from_status else None,
                    to_status=OrderStatus(row.to_status),
                    actor=row.actor,
                    at=row.at,
                    note=row.note,
                )
            )
        return [tuple(grouped.get(_canonical(i), ())) for i in order_ids]

    async def payments(self, order_id: str) -> tuple[PaymentRecord, ...]:
        """The order's payment attempts, oldest first."""
        return (await self.payments_by_order_ids([order_id]))[0]

    async def payments_by_order_ids(
        self, order_ids: Sequence[str]
    ) -> list[tuple[PaymentRecord, ...]]:
        """The payment attempts of ``order_ids`` in one query, each oldest first."""
        wanted = _uuids(order_ids)
        if not wanted:
            return [() for _ in order_ids]
        async with self._db.autocommit() as tx:
            rows = await tx.rows(
                "order.payments",
                sa.select(payments)
                .where(payments.c.order_id.in_(wanted))
                .order_by(payments.c.created_at, payments.c.id),
            )
        grouped: dict[str, list[PaymentRecord]] = {}
        for row in rows:
            grouped.setdefault(str(row.order_id), []).append(payment_from_row(row))
        return [tuple(grouped.get(_canonical(i), ())) for i in order_ids]

    async def transition(
        self,
        order_id: str,
        to: OrderStatus,
        *,
        actor: str,
        note: str | None = None,
        now: datetime | None = None,
    ) -> OrderRecord:
        """Move the order to ``to`` with its side effects, appending an order event."""
        order = as_uuid(order_id)
        if order is None:
            raise OrderNotFound(order_id)
        at = now_param(now)
        async with self._db.transaction("order.transition") as tx:
            locked = await lock_order(tx, order)
            if locked is None:
                raise OrderNotFound(order_id)
            await apply_transition(tx, locked, to, actor=actor, note=note, now=at)
            updated = await load_order(tx, order)
        assert updated is not None
        return updated

    async def bought_together(self, product_id: str, first: int) -> tuple[CoPurchase, ...]:
        """Products on the same PAID or FULFILLED orders as ``product_id``, with how many
        such orders hold both, most first (ties by product id)."""
        async with self._db.autocommit() as tx:
            rows = await tx.rows(
                "order.bought_together",
                sa.text(BOUGHT_TOGETHER_SQL),
                {"product": product_id, "first": first},
            )
        return tuple(CoPurchase(product_id=str(r.product_id), orders=int(r.orders)) for r in rows)

    async def cancel_abandoned(
        self, placed_before: datetime, *, actor: str = "system:reaper"
    ) -> tuple[str, ...]:
        """Cancel PENDING_PAYMENT orders placed before ``placed_before``; their ids.

        Orders with an AUTHORIZED or CAPTURED payment are left alone (money may have moved:
        settle them from the provider's records instead).
        """
        async with self._db.autocommit() as tx:
            rows = await tx.rows(
                "order.abandoned",
                sa.text(
                    "SELECT o.id FROM orders o WHERE o.status = 'PENDING_PAYMENT' "
                    "AND o.created_at < :before AND NOT EXISTS (SELECT 1 FROM payments p "
                    "WHERE p.order_id = o.id AND p.status IN ('AUTHORIZED', 'CAPTURED')) "
                    "ORDER BY o.number"
                ),
                {"before": now_param(placed_before)},
            )
        cancelled: list[str] = []
        for row in rows:
            try:
                await self.transition(
                    str(row.id), OrderStatus.CANCELLED, actor=actor, note="payment abandoned"
                )
            except IllegalTransition:
                continue  # settled meanwhile
            cancelled.append(str(row.id))
        return tuple(cancelled)


def _uuids(order_ids: Sequence[str]) -> list[uuid.UUID]:
    """The distinct well-formed UUIDs of ``order_ids`` (junk ids simply match nothing)."""
    return list({u for u in (as_uuid(i) for i in order_ids) if u is not None})


def _canonical(order_id: str) -> str:
    parsed = as_uuid(order_id)
    return "" if parsed is None else str(parsed)
