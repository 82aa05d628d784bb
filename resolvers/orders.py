"""Order resolvers: the shopper's orders and history, merchants' listing and admin actions.

A shopper reads only their own orders (by Cognito ``sub``): someone else's order reads as
null, like one that does not exist. Merchant admins list every order and move orders along
the state machine (``datasources.shopping_records``): fulfil a paid order, refund a paid one
(the captured payment is refunded with the provider first). Shoppers cancel their own orders
and admins any order before it ships: open authorizations are voided with the provider, a
paid order is refunded.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from datasources.errors import DataSourceError, InvalidCursor, PaymentTimeout
from datasources.events.publishing import publish_order_moves
from datasources.records import Money
from datasources.shopping_records import (
    OPEN_PAYMENTS,
    OrderEventRecord,
    OrderFilter,
    OrderRecord,
    OrderStatus,
    PaymentRecord,
    PaymentResult,
    PaymentStatus,
    Totals,
    VoidOutcome,
)
from resolvers.connections import Connection
from resolvers.errors import BadUserInput
from resolvers.kit import DataSource, Run, uses
from resolvers.shopping import (
    ShoppingError,
    check_idempotency_key,
    not_found,
    once,
    shopping_of,
    signed_in_sub,
    typed_error,
)

FREE_ORDER_PROVIDER = "none"
"""The provider name the checkout records on orders that cost nothing."""


@dataclass(frozen=True)
class OrderPageRequest:
    """A page of orders: ``first`` checked, ``after`` a cursor of the same listing."""

    first: int
    after: str | None = None


@dataclass(frozen=True)
class OrderListRequest:
    """A page of every order matching a filter (merchants)."""

    filter: OrderFilter
    first: int
    after: str | None = None


def _require_sub(run: Run[Any, Any]) -> str:
    sub = signed_in_sub(run.ctx)
    if sub is None:  # the field's permission lets only Cognito users in
        raise BadUserInput("Sign in to see orders")
    return sub


@uses(DataSource.SHOPPING_DB)
async def order(run: Run[None, str]) -> OrderRecord | None:
    """``Query.order``: one of the shopper's orders, else null."""
    return await shopping_of(run).orders.order(run.arguments, _require_sub(run))


@uses(DataSource.SHOPPING_DB)
async def my_orders(run: Run[None, OrderPageRequest]) -> Connection[OrderRecord]:
    """``Query.myOrders``: the shopper's order history, newest first."""
    request = run.arguments
    try:
        page = await shopping_of(run).orders.order_history(
            _require_sub(run), first=request.first, after=request.after
        )
    except InvalidCursor as error:
        raise BadUserInput(str(error)) from error
    return Connection.of(page)


@uses(DataSource.SHOPPING_DB)
async def all_orders(run: Run[None, OrderListRequest]) -> Connection[OrderRecord]:
    """``Query.orders``: every order matching the filter, newest first (merchant admins)."""
    request = run.arguments
    try:
        page = await shopping_of(run).orders.list_orders(
            request.filter, first=request.first, after=request.after
        )
    except InvalidCursor as error:
        raise BadUserInput(str(error)) from error
    return Connection.of(page)


@uses(DataSource.SHOPPING_DB)
async def order_events(run: Run[OrderRecord, None]) -> tuple[OrderEventRecord, ...]:
    """``Order.events``: the audit trail, oldest first."""
    loader = run.ctx.loaders.events_by_order_id
    if loader is None:
        return await shopping_of(run).orders.order_events(run.source.id)
    return await loader.load(run.source.id)


@uses(DataSource.SHOPPING_DB)
async def order_payments(run: Run[OrderRecord, None]) -> tuple[PaymentRecord, ...]:
    """``Order.payments``: every payment attempt, oldest first."""
    loader = run.ctx.loaders.payments_by_order_id
    if loader is None:
        return await shopping_of(run).orders.payments(run.source.id)
    return await loader.load(run.source.id)


@uses(DataSource.NONE)
async def order_totals(run: Run[OrderRecord, None]) -> Totals:
    """``Order.totals``: the amounts fixed when the order was placed."""
    placed = run.source
    return Totals(
        subtotal=placed.subtotal,
        discount=placed.discount_total,
        tax=placed.tax_total,
        shipping=placed.shipping_total,
        total=placed.total,
    )


# --- merchant-admin order mutations -------------------------------------------------------


class OrderFulfillErrorCode(Enum):
    """Why orderFulfill failed."""

    NOT_FOUND = "NOT_FOUND"
    ILLEGAL_TRANSITION = "ILLEGAL_TRANSITION"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    IDEMPOTENCY_CONFLICT = "IDEMPOTENCY_CONFLICT"


class OrderCancelErrorCode(Enum):
    """Why orderCancel failed."""

    NOT_FOUND = "NOT_FOUND"
    ILLEGAL_TRANSITION = "ILLEGAL_TRANSITION"
    PAYMENT_VOID_FAILED = "PAYMENT_VOID_FAILED"
    REFUND_FAILED = "REFUND_FAILED"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    IDEMPOTENCY_CONFLICT = "IDEMPOTENCY_CONFLICT"


class OrderRefundErrorCode(Enum):
    """Why orderRefund failed."""

    NOT_FOUND = "NOT_FOUND"
    ILLEGAL_TRANSITION = "ILLEGAL_TRANSITION"
    REFUND_FAILED = "REFUND_FAILED"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    IDEMPOTENCY_CONFLICT = "IDEMPOTENCY_CONFLICT"


@dataclass(frozen=True)
class OrderSuccess:
    """An order mutation succeeded: the order as stored now."""

    order: OrderRecord


@dataclass(frozen=True)
class OrderAction:
    """Arguments of orderFulfill, orderCancel and orderRefund."""

    order_id: str
    note: str | None = None
    idempotency_key: str | None = None


OrderOutcome = OrderSuccess | ShoppingError


def _actor(run: Run[Any, Any]) -> str:
    return f"admin:{signed_in_sub(run.ctx) or run.ctx.identity.subject or 'unknown'}"


def _order_ref(success: OrderSuccess) -> Mapping[str, object]:
    return {"order_id": success.order.id}


async def _current(run: Run[Any, Any], order_id: str) -> OrderRecord | None:
    return (await shopping_of(run).orders.orders_by_ids([order_id]))[0]


@uses(DataSource.SHOPPING_DB)
async def order_fulfill(run: Run[None, OrderAction]) -> OrderOutcome:
    """``Mutation.orderFulfill``: a PAID order was shipped (its units leave the stock)."""
    code = OrderFulfillErrorCode

    async def action() -> OrderOutcome:
        return await _move(run, run.arguments.order_id, code, OrderStatus.FULFILLED, _actor(run))

    return await _order_once(run, "orderFulfill", code, action)


@uses(DataSource.SHOPPING_DB, DataSource.PAYMENTS)
async def order_refund(run: Run[None, OrderAction]) -> OrderOutcome:
    """``Mutation.orderRefund``: refund a PAID order's captured payment with the provider,
    then record it (the order becomes REFUNDED and its stock is released)."""
    code = OrderRefundErrorCode

    async def action() -> OrderOutcome:
        current = await _current(run, run.arguments.order_id)
        if current is None:
            return not_found(code, "order", "id")
        if current.status is not OrderStatus.PAID:
            return _illegal(code, current, "only PAID orders are refunded")
        return await _refund_paid(run, current, code, _actor(run))

    return await _order_once(run, "orderRefund", code, action)


@uses(DataSource.SHOPPING_DB, DataSource.PAYMENTS)
async def order_cancel(run: Run[None, OrderAction]) -> OrderOutcome:
    """``Mutation.orderCancel``: the shopper (their own orders) or a merchant admin cancels an
    order before it ships. Awaiting payment: open authorizations are voided with the provider,
    then the order is CANCELLED (stock and discount code released). Paid: the payment is
    refunded and the order is REFUNDED. Someone else's order is NOT_FOUND."""
    code = OrderCancelErrorCode

    async def action() -> OrderOutcome:
        current = await _visible_order(run, run.arguments.order_id)
        if current is None:
            return not_found(code, "order", "id")
        actor = _canceller(run)
        if current.status is OrderStatus.PAID:
            return await _refund_paid(run, current, code, actor)
        if current.status is not OrderStatus.PENDING_PAYMENT:
            return _illegal(code, current, "only orders that have not shipped can be cancelled")
        voided = await _void_open_payments(run, current, code, actor)
        if voided is not None:
            return voided
        return await _move(run, current.id, code, OrderStatus.CANCELLED, actor)

    return await _order_once(run, "orderCancel", code, action)


def _about(code: Enum, order: OrderRecord, message: str) -> ShoppingError:
    """A typed failure about ``order``, with its id and state now."""
    return ShoppingError(code, message, "id", order_id=order.id, order_status=order.status)


def _illegal(code: type[Enum], order: OrderRecord, rule: str) -> ShoppingError:
    return _about(code["ILLEGAL_TRANSITION"], order, f"The order is {order.status.value}: {rule}")


def _canceller(run: Run[Any, Any]) -> str:
    return _actor(run) if run.ctx.identity.is_merchant_admin else f"shopper:{_require_sub(run)}"


async def _visible_order(run: Run[Any, Any], order_id: str) -> OrderRecord | None:
    """Any order for a merchant admin; for a shopper only their own (else None)."""
    if run.ctx.identity.is_merchant_admin:
        return await _current(run, order_id)
    return await shopping_of(run).orders.order(order_id, _require_sub(run))


async def _move(
    run: Run[Any, Any], order_id: str, code: type[Enum], target: OrderStatus, actor: str
) -> OrderOutcome:
    """Move the order along the state machine and publish the move."""
    shopping = shopping_of(run)
    try:
        moved = await shopping.orders.transition(
            order_id, target, actor=actor, note=run.arguments.note
        )
    except DataSourceError as error:
        return typed_error(error, code)
    trail = await shopping.orders.order_events(moved.id)
    previous = trail[-1].from_status if trail else None
    await publish_order_moves(run.ctx.sources.events, shopping.inventory, moved, [previous])
    return OrderSuccess(moved)


async def _order_once(
    run: Run[None, OrderAction],
    operation: str,
    code: type[Enum],
    action: Callable[[], Awaitable[OrderOutcome]],
) -> OrderOutcome:
    """Run an order mutation at most once per idempotency key (the order is its result)."""

    async def decode(stored: Mapping[str, Any]) -> OrderOutcome:
        found = await _current(run, str(stored["order_id"]))
        return OrderSuccess(found) if found is not None else not_found(code, "order", "id")

    return await once(
        run,
        operation,
        check_idempotency_key(run.arguments.idempotency_key),
        action,
        encode=_order_ref,
        decode=decode,
        code=code,
    )


async def _void_open_payments(
    run: Run[Any, Any], order: OrderRecord, code: type[Enum], actor: str
) -> OrderOutcome | None:
    """Void the order's open authorizations with the provider and record them VOIDED.

    None when nothing is left open; a typed error when the provider could not void one (the
    order is unchanged); the refunded order when a payment turned out captured meanwhile.
    """
    shopping = shopping_of(run)
    provider = shopping.payments
    for payment in await shopping.orders.payments(order.id):
        if payment.status not in OPEN_PAYMENTS:
            continue
        if payment.provider != provider.name:
            return _void_failed(code, order, f"The payment was taken by {payment.provider}")
        try:
            outcome = await provider.void(
                payment.provider_ref, idempotency_key=f"{order.id}:void:{payment.provider_ref}"
            )
        except (PaymentTimeout, ValueError) as error:
            return _void_failed(code, order, f"The payment provider did not void it: {error}")
        status = PaymentStatus.VOIDED if outcome is VoidOutcome.VOIDED else PaymentStatus.CAPTURED
        result = PaymentResult(payment.provider, payment.provider_ref, status, payment.amount)
        try:
            settled = await shopping.checkout.settle_payment(order.id, result, actor=actor)
        except DataSourceError as error:
            return typed_error(error, code)
        if settled.status is OrderStatus.PAID:
            await publish_order_moves(
                run.ctx.sources.events, shopping.inventory, settled, [order.status]
            )
            return await _refund_paid(run, settled, code, actor)
    return None


def _void_failed(code: type[Enum], order: OrderRecord, reason: str) -> ShoppingError:
    return _about(
        code["PAYMENT_VOID_FAILED"],
        order,
        f"{reason}; the order is still {order.status.value}, try again",
    )


async def _refund_paid(
    run: Run[Any, Any], current: OrderRecord, code: type[Enum], actor: str
) -> OrderOutcome:
    """Refund a PAID order's captured payment with the provider, then record it REFUNDED."""
    shopping = shopping_of(run)
    captured = next(
        (
            p
            for p in await shopping.orders.payments(current.id)
            if p.status is PaymentStatus.CAPTURED
        ),
        None,
    )
    if captured is None:
        return ShoppingError(code["REFUND_FAILED"], "The order has no captured payment", "id")
    failure = await _refund_with_provider(run, captured, current.id)
    if failure is not None:
        return ShoppingError(code["REFUND_FAILED"], failure, "id", order_id=current.id)
    refund = PaymentResult(
        provider=captured.provider,
        provider_ref=captured.provider_ref,
        status=PaymentStatus.REFUNDED,
        amount=Money(captured.amount.amount, captured.amount.currency),
    )
    try:
        refunded = await shopping.checkout.settle_payment(current.id, refund, actor=actor)
    except DataSourceError as error:
        return typed_error(error, code)
    await publish_order_moves(
        run.ctx.sources.events, shopping.inventory, refunded, [current.status]
    )
    return OrderSuccess(refunded)


async def _refund_with_provider(
    run: Run[Any, Any], payment: PaymentRecord, order_id: str
) -> str | None:
    """Refund ``payment`` with its provider; why it failed, or None."""
    if payment.provider == FREE_ORDER_PROVIDER:
        return None
    provider = shopping_of(run).payments
    if payment.provider != provider.name:
        return f"The payment was taken by {payment.provider}, not by {provider.name}"
    try:
        await provider.refund(
            payment.provider_ref, payment.amount, idempotency_key=f"{order_id}:refund"
        )
    except PaymentTimeout as error:
        return str(error)
    except ValueError as error:  # the provider refused (nothing captured under that reference)
        return f"The payment provider refused the refund: {error}"
    return None
