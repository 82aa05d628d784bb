"""Carts on PostgreSQL: anonymous (bearer token) and owned, optimistic versions, merging.

Every write is one transaction that starts with a conditional ``UPDATE carts SET version =
version + 1 WHERE id = ... AND <caller may see it> AND status = 'ACTIVE' [AND version =
expected]``. That statement takes the cart's row lock, so concurrent writes to one cart run
one after the other (no lost update even without an expected version), and a write whose
expected version is stale changes nothing and raises CartVersionConflict.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncEngine

from datasources.errors import (
    CartNotActive,
    CartNotFound,
    CartVersionConflict,
    InvalidQuantity,
    NotFound,
)
from datasources.postgres.shopping.db import Database, Tx, as_uuid, now_param
from datasources.postgres.shopping.discounts import usable_discount
from datasources.postgres.shopping.tables import cart_lines, carts
from datasources.shopping_records import (
    MAX_LINE_QUANTITY,
    MIN_LINE_QUANTITY,
    AnonymousCart,
    CartAccess,
    CartLineRecord,
    CartRecord,
    CartStatus,
)

CURRENCY_PATTERN = re.compile(r"^[A-Z]{3}$")
OPEN_STATUSES = (CartStatus.ACTIVE.value, CartStatus.CHECKING_OUT.value)


def hash_token(token: str) -> str:
    """What is stored for an anonymous cart token (SHA-256, hex)."""
    return hashlib.sha256(token.encode()).hexdigest()


def access_clause(access: CartAccess) -> sa.ColumnElement[bool]:
    """SQL condition: the caller may see the cart (its owner, or the anonymous token's bearer)."""
    conditions: list[sa.ColumnElement[bool]] = []
    if access.owner_sub:
        conditions.append(carts.c.owner_sub == access.owner_sub)
    if access.anonymous_token:
        conditions.append(
            sa.and_(
                carts.c.owner_sub.is_(None),
                carts.c.anonymous_token_hash == hash_token(access.anonymous_token),
            )
        )
    if not conditions:
        return sa.false()
    return sa.or_(*conditions)


_CART_COLUMNS = (
    carts.c.id,
    carts.c.owner_sub,
    carts.c.currency,
    carts.c.status,
    carts.c.version,
    carts.c.discount_code,
    carts.c.created_at,
    carts.c.updated_at,
)


def cart_query(where: sa.ColumnElement[bool]) -> sa.Select[Any]:
    """A cart with its lines, one row per line (one row with null line columns when empty)."""
    return (
        sa.select(
            *_CART_COLUMNS,
            cart_lines.c.sku,
            cart_lines.c.product_id,
            cart_lines.c.quantity,
            cart_lines.c.added_at,
        )
        .select_from(carts.outerjoin(cart_lines, cart_lines.c.cart_id == carts.c.id))
        .where(where)
        .order_by(cart_lines.c.added_at, cart_lines.c.sku)
    )


def cart_from_rows(rows: Sequence[Row[Any]]) -> CartRecord | None:
    """The cart of ``cart_query``'s rows, or None when there are none."""
    if not rows:
        return None
    head = rows[0]
    return CartRecord(
        id=str(head.id),
        owner_sub=head.owner_sub,
        currency=head.currency,
        status=CartStatus(head.status),
        version=head.version,
        lines=tuple(
            CartLineRecord(
                sku=row.sku, product_id=row.product_id, quantity=row.quantity, added_at=row.added_at
            )
            for row in rows
            if row.sku is not None
        ),
        discount_code=head.discount_code,
        created_at=head.created_at,
        updated_at=head.updated_at,
    )


def _check_quantity(sku: str, quantity: int) -> None:
    if not MIN_LINE_QUANTITY <= quantity <= MAX_LINE_QUANTITY:
        raise InvalidQuantity(sku, quantity, MIN_LINE_QUANTITY, MAX_LINE_QUANTITY)


def _check_currency(currency: str) -> None:
    if not CURRENCY_PATTERN.match(currency):
        raise ValueError(f"currency must be an ISO 4217 code such as EUR, got {currency!r}")


class PostgresCartStore:
    """The CartStore port on PostgreSQL."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._db = Database(engine)

    async def create_anonymous_cart(self, currency: str) -> AnonymousCart:
        """A new anonymous cart and its token (only the token's hash is stored)."""
        _check_currency(currency)
        token = secrets.token_urlsafe(32)
        statement = (
            carts.insert()
            .values(currency=currency, anonymous_token_hash=hash_token(token))
            .returning(*_CART_COLUMNS)
        )
        async with self._db.autocommit() as tx:
            row = await tx.row("cart.create", statement)
        assert row is not None
        return AnonymousCart(cart=_empty_cart(row), token=token)

    async def open_cart(self, owner_sub: str, currency: str) -> CartRecord:
        """The shopper's open cart (ACTIVE or CHECKING_OUT), created ACTIVE if there is none."""
        _check_currency(currency)
        async with self._db.transaction("cart.open") as tx:
            return await _open_cart(tx, owner_sub, currency)

    async def cart(self, cart_id: str, access: CartAccess) -> CartRecord | None:
        """The cart if ``access`` may see it, else None."""
        cart = as_uuid(cart_id)
        if cart is None:
            return None
        async with self._db.autocommit() as tx:
            rows = await tx.rows(
                "cart.get", cart_query(sa.and_(carts.c.id == cart, access_clause(access)))
            )
        return cart_from_rows(rows)

    async def add_line(
        self,
        cart_id: str,
        access: CartAccess,
        *,
        sku: str,
        product_id: str,
        quantity: int,
        expected_version: int | None = None,
    ) -> CartRecord:
        """Add ``quantity`` units of ``sku`` (to its line if present; at most 99 per line)."""
        _check_quantity(sku, quantity)
        async with self._db.transaction("cart.add_line") as tx:
            cart = await _bump(tx, cart_id, access, expected_version)
            insert = pg_insert(cart_lines).values(
                cart_id=cart, sku=sku, product_id=product_id, quantity=quantity
            )
            upsert = insert.on_conflict_do_update(
                index_elements=[cart_lines.c.cart_id, cart_lines.c.sku],
                set_={
                    "quantity": cart_lines.c.quantity + insert.excluded.quantity,
                    "product_id": insert.excluded.product_id,
                },
                where=cart_lines.c.quantity + insert.excluded.quantity <= MAX_LINE_QUANTITY,
            ).returning(cart_lines.c.quantity)
            if await tx.row("cart.upsert_line", upsert) is None:
                existing = await tx.row(
                    "cart.get_line",
                    sa.select(cart_lines.c.quantity).where(
                        cart_lines.c.cart_id == cart, cart_lines.c.sku == sku
                    ),
                )
                total = quantity + (existing.quantity if existing is not None else 0)
                raise InvalidQuantity(sku, total, MIN_LINE_QUANTITY, MAX_LINE_QUANTITY)
            return await _load(tx, cart)

    async def set_line_quantity(
        self,
        cart_id: str,
        access: CartAccess,
        *,
        sku: str,
        quantity: int,
        expected_version: int | None = None,
    ) -> CartRecord:
        """Set the quantity of ``sku``'s line (0 removes it); NotFound without such a line."""
        if quantity != 0:
            _check_quantity(sku, quantity)
        async with self._db.transaction("cart.set_line_quantity") as tx:
            cart = await _bump(tx, cart_id, access, expected_version)
            where = sa.and_(cart_lines.c.cart_id == cart, cart_lines.c.sku == sku)
            statement: sa.Delete | sa.Update = (
                cart_lines.delete().where(where)
                if quantity == 0
                else cart_lines.update().where(where).values(quantity=quantity)
            )
            result = await tx.execute("cart.set_line", statement)
            if result.rowcount == 0:
                raise NotFound(f"cart {cart_id} has no line for {sku}")
            return await _load(tx, cart)

    async def remove_line(
        self, cart_id: str, access: CartAccess, *, sku: str, expected_version: int | None = None
    ) -> CartRecord:
        """Remove ``sku``'s line if present."""
        async with self._db.transaction("cart.remove_line") as tx:
            cart = await _bump(tx, cart_id, access, expected_version)
            await tx.execute(
                "cart.delete_line",
                cart_lines.delete().where(cart_lines.c.cart_id == cart, cart_lines.c.sku == sku),
            )
            return await _load(tx, cart)

    async def merge_anonymous(
        self, anonymous_cart_id: str, anonymous_token: str, owner_sub: str
    ) -> CartRecord:
        """Move an anonymous cart's lines into the shopper's open cart (at sign-in).

        Signing in twice with the same anonymous cart returns the shopper's cart unchanged.
        """
        anonymous = as_uuid(anonymous_cart_id)
        if anonymous is None:
            raise CartNotFound(anonymous_cart_id)
        visible = sa.and_(carts.c.id == anonymous, access_clause(CartAccess.token(anonymous_token)))
        async with self._db.transaction("cart.merge") as tx:
            claimed = await tx.row(
                "cart.claim_anonymous",
                carts.update()
                .where(visible, carts.c.status == CartStatus.ACTIVE.value)
                .values(
                    status=CartStatus.MERGED.value,
                    version=carts.c.version + 1,
                    updated_at=sa.func.now(),
                )
                .returning(carts.c.currency, carts.c.discount_code),
            )
            if claimed is None:
                current = await tx.row(
                    "cart.get", sa.select(carts.c.status, carts.c.merged_into).where(visible)
                )
                if current is None:
                    raise CartNotFound(anonymous_cart_id)
                if current.status == CartStatus.MERGED.value:
                    merged = await _load_where(
                        tx,
                        sa.and_(carts.c.id == current.merged_into, carts.c.owner_sub == owner_sub),
                    )
                    if merged is not None:
                        return merged
                raise CartNotActive(anonymous_cart_id, current.status)
            target = await _open_cart(tx, owner_sub, claimed.currency, lock=True)
            if target.status is not CartStatus.ACTIVE:
                raise CartNotActive(target.id, target.status.value)
            target_id = uuid.UUID(target.id)
            await tx.execute(
                "cart.merge_lines",
                sa.text(
                    "INSERT INTO cart_lines (cart_id, sku, product_id, quantity, added_at) "
                    "SELECT :target, sku, product_id, quantity, added_at FROM cart_lines "
                    "WHERE cart_id = :source "
                    "ON CONFLICT (cart_id, sku) DO UPDATE SET "
                    "quantity = LEAST(cart_lines.quantity + EXCLUDED.quantity, :most)"
                ),
                {"target": target_id, "source": anonymous, "most": MAX_LINE_QUANTITY},
            )
            keep_code = claimed.discount_code if claimed.currency == target.currency else None
            await tx.execute(
                "cart.mark_merged",
                sa.text(
                    "WITH target AS (UPDATE carts SET version = version + 1, updated_at = now(), "
                    "discount_code = COALESCE(discount_code, CAST(:code AS text)) "
                    "WHERE id = :target RETURNING id), "
                    "holds AS (UPDATE stock_reservations SET released_at = now(), "
                    "release_reason = 'MERGED' WHERE cart_id = :source AND released_at IS NULL "
                    "RETURNING id) "
                    "UPDATE carts SET merged_into = :target WHERE id = :source"
                ),
                {"target": target_id, "source": anonymous, "code": keep_code},
            )
            return await _load(tx, target_id)

    async def apply_discount(
        self,
        cart_id: str,
        access: CartAccess,
        code: str,
        *,
        expected_version: int | None = None,
        now: datetime | None = None,
    ) -> CartRecord:
        """Attach a discount code; InvalidDiscount(reason) when it cannot be used now."""
        at = now_param(now)
        async with self._db.transaction("cart.apply_discount") as tx:
            cart = await _bump(tx, cart_id, access, expected_version)
            currency = await tx.row(
                "cart.currency", sa.select(carts.c.currency).where(carts.c.id == cart)
            )
            assert currency is not None
            discount = await usable_discount(tx, code, currency.currency, at)
            await tx.execute(
                "cart.set_discount",
                carts.update().where(carts.c.id == cart).values(discount_code=discount.code),
            )
            return await _load(tx, cart)

    async def remove_discount(
        self, cart_id: str, access: CartAccess, *, expected_version: int | None = None
    ) -> CartRecord:
        """Detach the cart's discount code, if any."""
        async with self._db.transaction("cart.remove_discount") as tx:
            cart = await _bump(tx, cart_id, access, expected_version)
            await tx.execute(
                "cart.set_discount",
                carts.update().where(carts.c.id == cart).values(discount_code=None),
            )
            return await _load(tx, cart)

    async def check(self) -> None:
        """Raise DataSourceUnavailable unless the database answers."""
        await self._db.check()


def _empty_cart(row: Row[Any]) -> CartRecord:
    return CartRecord(
        id=str(row.id),
        owner_sub=row.owner_sub,
        currency=row.currency,
        status=CartStatus(row.status),
        version=row.version,
        lines=(),
        discount_code=row.discount_code,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


async def _open_cart(tx: Tx, owner_sub: str, currency: str, *, lock: bool = False) -> CartRecord:
    """Get or create the shopper's open cart inside ``tx`` (race-safe on the partial index)."""
    create = (
        pg_insert(carts)
        .values(owner_sub=owner_sub, currency=currency)
        .on_conflict_do_nothing(
            index_elements=[carts.c.owner_sub],
            # literal, not bound: PostgreSQL must match it to the partial index's predicate
            # even under a generic plan of the prepared statement
            index_where=sa.text("status IN ('ACTIVE', 'CHECKING_OUT')"),
        )
    )
    await tx.execute("cart.open", create)
    where = sa.and_(carts.c.owner_sub == owner_sub, carts.c.status.in_(OPEN_STATUSES))
    if lock:
        await tx.execute("cart.lock", sa.select(carts.c.id).where(where).with_for_update())
    found = await _load_where(tx, where)
    assert found is not None, "the open cart exists after the upsert"
    return found


async def _bump(
    tx: Tx, cart_id: str, access: CartAccess, expected_version: int | None
) -> uuid.UUID:
    """Lock an ACTIVE cart the caller may see and raise its version, or say why not."""
    cart = as_uuid(cart_id)
    if cart is None:
        raise CartNotFound(cart_id)
    visible = sa.and_(carts.c.id == cart, access_clause(access))
    condition = sa.and_(visible, carts.c.status == CartStatus.ACTIVE.value)
    if expected_version is not None:
        condition = sa.and_(condition, carts.c.version == expected_version)
    bumped = await tx.row(
        "cart.bump",
        carts.update()
        .where(condition)
        .values(version=carts.c.version + 1, updated_at=sa.func.now())
        .returning(carts.c.id),
    )
    if bumped is not None:
        return cart
    current = await tx.row("cart.get", sa.select(carts.c.status, carts.c.version).where(visible))
    if current is None:
        raise CartNotFound(cart_id)
    if current.status != CartStatus.ACTIVE.value:
        raise CartNotActive(cart_id, current.status)
    raise CartVersionConflict(cart_id, expected_version or 0, current.version)


async def _load_where(tx: Tx, where: sa.ColumnElement[bool]) -> CartRecord | None:
    return cart_from_rows(await tx.rows("cart.get", cart_query(where)))


async def _load(tx: Tx, cart: uuid.UUID) -> CartRecord:
    found = await _load_where(tx, carts.c.id == cart)
    assert found is not None, "a cart locked in this transaction exists"
    return found
