"""The checkout unit of work on PostgreSQL.

``place_order`` is ONE transaction: lock the cart, price its lines from the caller's catalog
prices, allocate the stock (locking stock rows in SKU order, see ``inventory``), redeem the
discount code, insert the order PENDING_PAYMENT with its lines and first event, and mark the
cart CHECKING_OUT. If anything fails, or the connection dies at any point before COMMIT,
PostgreSQL rolls all of it back: an order exists with its allocation, or neither does.

The payment (authorize, then capture) happens outside any transaction; ``settle_payment``
then records the result and moves the order in a second transaction (PAID, or CANCELLED which
releases the allocation and reopens the cart).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncEngine

from datasources.errors import (
    AlreadyExists,
    CartNotActive,
    CartNotFound,
    CartVersionConflict,
    CurrencyMismatch,
    EmptyCart,
    IdempotencyKeyReused,
    OrderNotFound,
    PaymentTimeout,
)
from datasources.ports import PaymentProvider, ShippingCalculator, TaxCalculator
from datasources.postgres.shopping.carts import cart_from_rows
from datasources.postgres.shopping.db import Database, Tx, as_uuid, now_param
from datasources.postgres.shopping.discounts import redeem_discount
from datasources.postgres.shopping.inventory import allocate_for_order
from datasources.postgres.shopping.orders import (
    apply_transition,
    load_order,
    lock_order,
    payment_from_row,
)
from datasources.pricing import FlatRateShipping, NoTax, price_lines, totals
from datasources.shopping_records import (
    CartStatus,
    CheckoutOutcome,
    CheckoutRequest,
    CheckoutResult,
    DiscountCodeRecord,
    OrderLineRecord,
    OrderRecord,
    OrderStatus,
    PaymentOutcome,
    PaymentRecord,
    PaymentRequest,
    PaymentResult,
    PaymentStatus,
    StockRequest,
)

NOW = "COALESCE(CAST(:now AS timestamptz), now())"

_LOCK_CART = sa.text(
    "SELECT c.id, c.owner_sub, c.currency, c.status, c.version, c.discount_code, "
    "c.created_at, c.updated_at, l.sku, l.product_id, l.quantity, l.added_at "
    "FROM carts c LEFT JOIN cart_lines l ON l.cart_id = c.id "
    "WHERE c.id = :cart_id AND c.owner_sub = :owner_sub "
    "ORDER BY l.added_at, l.sku FOR UPDATE OF c"
)

_KEYED_ORDER = sa.text(
    "SELECT id, cart_id FROM orders WHERE owner_sub = :owner_sub AND idempotency_key = :key"
)

_CREATE_ORDER = sa.text(
    "WITH o AS (INSERT INTO orders (owner_sub, cart_id, status, currency, subtotal, "
    "discount_total, tax_total, shipping_total, total, discount_code, idempotency_key, "
    "created_at, updated_at) VALUES (:owner_sub, :cart_id, 'PENDING_PAYMENT', :currency, "
    ":subtotal, :discount_total, :tax_total, :shipping_total, :total, "
    f"CAST(:discount_code AS text), CAST(:idempotency_key AS text), {NOW}, {NOW}) "
    "RETURNING id, number, created_at, updated_at), "
    "l AS (INSERT INTO order_lines (order_id, position, sku, product_id, quantity, unit_price, "
    "line_total, currency) SELECT o.id, w.position, w.sku, w.product_id, w.quantity, "
    "w.unit_price, w.unit_price * w.quantity, :currency FROM o, "
    "unnest(CAST(:positions AS int[]), CAST(:skus AS text[]), CAST(:product_ids AS text[]), "
    "CAST(:quantities AS int[]), CAST(:unit_prices AS bigint[])) "
    "AS w(position, sku, product_id, quantity, unit_price)), "
    "e AS (INSERT INTO order_events (order_id, from_status, to_status, actor, at, note) "
    "SELECT o.id, NULL, 'PENDING_PAYMENT', :actor, o.created_at, 'order placed' FROM o), "
    "c AS (UPDATE carts SET status = 'CHECKING_OUT', version = version + 1, "
    "updated_at = now() WHERE id = :cart_id) "
    "SELECT id, number, created_at, updated_at FROM o"
)

_UPSERT_PAYMENT = sa.text(
    "INSERT INTO payments (order_id, provider, provider_ref, status, amount, currency, "
    "failure_code, next_action_url) VALUES (:order_id, :provider, :provider_ref, :status, "
    ":amount, :currency, CAST(:failure_code AS text), CAST(:next_action_url AS text)) "
    "ON CONFLICT (provider, provider_ref) DO UPDATE SET status = EXCLUDED.status, "
    "amount = EXCLUDED.amount, failure_code = EXCLUDED.failure_code, "
    "next_action_url = EXCLUDED.next_action_url, updated_at = now() "
    "WHERE payments.order_id = EXCLUDED.order_id AND payments.status <> EXCLUDED.status "
    "RETURNING *"
)

_PAYMENT_BY_REF = sa.text(
    "SELECT * FROM payments WHERE provider = :provider AND provider_ref = :provider_ref"
)

ORDER_AFTER_PAYMENT: dict[PaymentStatus, OrderStatus] = {
    PaymentStatus.CAPTURED: OrderStatus.PAID,
    PaymentStatus.DECLINED: OrderStatus.CANCELLED,
    PaymentStatus.REFUNDED: OrderStatus.REFUNDED,
}
"""Where a payment result moves its order; other statuses are recorded only."""


class PostgresCheckout:
    """The CheckoutService port on PostgreSQL, with pluggable tax and shipping."""

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        tax: TaxCalculator | None = None,
        shipping: ShippingCalculator | None = None,
    ) -> None:
        self._db = Database(engine)
        self._tax: TaxCalculator = tax or NoTax()
        self._shipping: ShippingCalculator = shipping or FlatRateShipping()

    async def place_order(self, request: CheckoutRequest) -> OrderRecord:
        """Validate, allocate, redeem and create the order PENDING_PAYMENT in one transaction."""
        cart_id = as_uuid(request.cart_id)
        if cart_id is None:
            raise CartNotFound(request.cart_id)
        at = now_param(request.now)
        actor = request.actor or f"shopper:{request.owner_sub}"
        try:
            async with self._db.transaction("checkout.place_order") as tx:
                return await self._place(tx, cart_id, request, at, actor)
        except sa_exc.IntegrityError as error:
            if "uq_orders_idempotency_key" in str(error.orig) and request.idempotency_key:
                raise IdempotencyKeyReused(request.idempotency_key) from error
            raise

    async def _place(
        self,
        tx: Tx,
        cart_id: uuid.UUID,
        request: CheckoutRequest,
        at: datetime | None,
        actor: str,
    ) -> OrderRecord:
        cart = cart_from_rows(
            await tx.rows(
                "checkout.lock_cart",
                _LOCK_CART,
                {"cart_id": cart_id, "owner_sub": request.owner_sub},
            )
        )
        if cart is None:
            raise CartNotFound(request.cart_id)
        if cart.status is not CartStatus.ACTIVE:
            replay = await self._keyed_order(tx, cart_id, request)
            if replay is not None:
                return replay
            raise CartNotActive(request.cart_id, cart.status.value)
        expected = request.expected_cart_version
        if expected is not None and cart.version != expected:
            raise CartVersionConflict(request.cart_id, expected, cart.version)
        if not cart.lines:
            raise EmptyCart(request.cart_id)
        priced = price_lines(cart.lines, request.prices, cart.currency)
        await allocate_for_order(
            tx,
            cart_id,
            [StockRequest(line.sku, line.quantity) for line in cart.lines],
            now=at,
        )
        discount: DiscountCodeRecord | None = None
        if cart.discount_code is not None:
            discount = await redeem_discount(tx, cart.discount_code, cart.currency, at)
        due = totals(
            priced, cart.currency, discount=discount, tax=self._tax, shipping=self._shipping
        )
        created = await tx.row(
            "checkout.create_order",
            _CREATE_ORDER,
            {
                "owner_sub": request.owner_sub,
                "cart_id": cart_id,
                "currency": cart.currency,
                "subtotal": due.subtotal.amount,
                "discount_total": due.discount.amount,
                "tax_total": due.tax.amount,
                "shipping_total": due.shipping.amount,
                "total": due.total.amount,
                "discount_code": discount.code if discount is not None else None,
                "idempotency_key": request.idempotency_key,
                "positions": list(range(1, len(priced) + 1)),
                "skus": [line.sku for line in priced],
                "product_ids": [line.product_id for line in priced],
                "quantities": [line.quantity for line in priced],
                "unit_prices": [line.unit_price.amount for line in priced],
                "actor": actor,
                "now": at,
            },
        )
        assert created is not None
        return OrderRecord(
            id=str(created.id),
            number=created.number,
            owner_sub=request.owner_sub,
            cart_id=str(cart_id),
            status=OrderStatus.PENDING_PAYMENT,
            currency=cart.currency,
            lines=tuple(
                OrderLineRecord(
                    sku=line.sku,
                    product_id=line.product_id,
                    quantity=line.quantity,
                    unit_price=line.unit_price,
                    total=line.total,
                )
                for line in priced
            ),
            subtotal=due.subtotal,
            discount_total=due.discount,
            tax_total=due.tax,
            shipping_total=due.shipping,
            total=due.total,
            discount_code=discount.code if discount is not None else None,
            created_at=created.created_at,
            updated_at=created.updated_at,
        )

    async def _keyed_order(
        self, tx: Tx, cart_id: uuid.UUID, request: CheckoutRequest
    ) -> OrderRecord | None:
        """The order this idempotency key already placed from this cart (a retried call)."""
        if request.idempotency_key is None:
            return None
        row = await tx.row(
            "checkout.keyed_order",
            _KEYED_ORDER,
            {"owner_sub": request.owner_sub, "key": request.idempotency_key},
        )
        if row is None:
            return None
        if row.cart_id != cart_id:
            raise IdempotencyKeyReused(request.idempotency_key)
        return await load_order(tx, row.id)

    async def settle_payment(
        self, order_id: str, result: PaymentResult, *, actor: str
    ) -> OrderRecord:
        """Record a payment result (or callback) and move the order accordingly."""
        order, _ = await self._settle(order_id, result, actor=actor)
        return order

    async def _settle(
        self, order_id: str, result: PaymentResult, *, actor: str
    ) -> tuple[OrderRecord, PaymentRecord]:
        order = as_uuid(order_id)
        if order is None:
            raise OrderNotFound(order_id)
        async with self._db.transaction("checkout.settle_payment") as tx:
            locked = await lock_order(tx, order)
            if locked is None:
                raise OrderNotFound(order_id)
            if result.amount.currency != locked.currency:
                raise CurrencyMismatch(locked.currency, result.amount.currency, "the payment")
            if result.status is PaymentStatus.CAPTURED and result.amount.amount != locked.total:
                raise ValueError(
                    f"captured {result.amount.amount} but order {order_id} totals {locked.total}"
                )
            row = await tx.row("checkout.record_payment", _UPSERT_PAYMENT, _payment(order, result))
            if row is None:
                row = await tx.row(
                    "checkout.get_payment",
                    _PAYMENT_BY_REF,
                    {"provider": result.provider, "provider_ref": result.provider_ref},
                )
                assert row is not None
                if row.order_id != order:
                    raise AlreadyExists(
                        f"payment {result.provider}/{result.provider_ref} belongs to another order"
                    )
            target = ORDER_AFTER_PAYMENT.get(result.status)
            if target is not None and target.value != locked.status:
                await apply_transition(
                    tx,
                    locked,
                    target,
                    actor=actor,
                    note=_payment_note(result),
                )
            settled = await load_order(tx, order)
        assert settled is not None
        return settled, payment_from_row(row)

    async def checkout(
        self, request: CheckoutRequest, *, payment_token: str, provider: PaymentProvider
    ) -> CheckoutResult:
        """``place_order``, then authorize and capture outside the transaction, then settle."""
        order = await self.place_order(request)
        if order.status is not OrderStatus.PENDING_PAYMENT:
            return CheckoutResult(outcome=_outcome_of(order.status), order=order)
        actor = "system:payments"
        if order.total.amount == 0:
            free = PaymentResult("none", f"free:{order.id}", PaymentStatus.CAPTURED, order.total)
            settled, payment = await self._settle(order.id, free, actor=actor)
            return CheckoutResult(CheckoutOutcome.PAID, settled, payment)
        try:
            authorization = await provider.authorize(
                PaymentRequest(
                    order_id=order.id,
                    amount=order.total,
                    payment_token=payment_token,
                    idempotency_key=f"{order.id}:authorize",
                )
            )
        except PaymentTimeout as timeout:
            unknown = PaymentResult(
                provider.name,
                f"timeout:{order.id}",
                PaymentStatus.TIMED_OUT,
                order.total,
                failure_code=timeout.code,
            )
            settled, payment = await self._settle(order.id, unknown, actor=actor)
            return CheckoutResult(CheckoutOutcome.PAYMENT_TIMED_OUT, settled, payment)
        status = _authorization_status(authorization.outcome)
        if authorization.outcome is PaymentOutcome.SUCCEEDED:
            try:
                captured = await provider.capture(
                    authorization.provider_ref,
                    order.total,
                    idempotency_key=f"{order.id}:capture",
                )
            except PaymentTimeout:
                status = PaymentStatus.AUTHORIZED
            else:
                status = (
                    PaymentStatus.CAPTURED
                    if captured is PaymentOutcome.SUCCEEDED
                    else PaymentStatus.DECLINED
                )
        result = PaymentResult(
            provider=provider.name,
            provider_ref=authorization.provider_ref,
            status=status,
            amount=order.total,
            failure_code=authorization.decline_code,
            next_action_url=authorization.next_action_url,
        )
        settled, payment = await self._settle(order.id, result, actor=actor)
        return CheckoutResult(_outcome_of(settled.status, status), settled, payment)

    async def check(self) -> None:
        """Raise DataSourceUnavailable unless the database answers."""
        await self._db.check()


def _payment(order: uuid.UUID, result: PaymentResult) -> dict[str, Any]:
    return {
        "order_id": order,
        "provider": result.provider,
        "provider_ref": result.provider_ref,
        "status": result.status.value,
        "amount": result.amount.amount,
        "currency": result.amount.currency,
        "failure_code": result.failure_code,
        "next_action_url": result.next_action_url,
    }


def _payment_note(result: PaymentResult) -> str:
    note = f"payment {result.status.value.lower()} by {result.provider} ({result.provider_ref})"
    return f"{note}: {result.failure_code}" if result.failure_code else note


def _authorization_status(outcome: PaymentOutcome) -> PaymentStatus:
    return {
        PaymentOutcome.SUCCEEDED: PaymentStatus.AUTHORIZED,
        PaymentOutcome.DECLINED: PaymentStatus.DECLINED,
        PaymentOutcome.REQUIRES_ACTION: PaymentStatus.REQUIRES_ACTION,
    }[outcome]


def _outcome_of(order: OrderStatus, payment: PaymentStatus | None = None) -> CheckoutOutcome:
    if order is OrderStatus.PENDING_PAYMENT:
        if payment is PaymentStatus.REQUIRES_ACTION:
            return CheckoutOutcome.REQUIRES_ACTION
        return CheckoutOutcome.PAYMENT_TIMED_OUT
    if order is OrderStatus.CANCELLED:
        return CheckoutOutcome.DECLINED
    return CheckoutOutcome.PAID
