"""``checkoutComplete``: validate the cart against the catalog, then the checkout unit of work.

1. Read the shopper's cart (NOT_FOUND for anyone else's, or an anonymous cart: merge it
   with ``cartMerge`` after sign-in).
2. Price every line from the catalog now (ProductByIdLoader); an unknown SKU, an archived
   product or a price in another currency is a typed error before anything is written.
3. ``CheckoutService.checkout``: in one transaction lock the cart, allocate the stock (never
   oversold), redeem the discount code and place the order PENDING_PAYMENT; then authorize
   and capture with the payment provider and settle the order (PAID, or CANCELLED with
   everything given back). The order's audit trail records each step.

The idempotency key is required: a retry with the same key returns the first outcome (the
same order, or the same typed error) and never charges twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from datasources.errors import DataSourceError
from datasources.events.publishing import publish_cart, publish_order_moves
from datasources.records import Money
from datasources.shopping_records import (
    CartAccess,
    CheckoutOutcome,
    CheckoutRequest,
    OrderRecord,
    OrderStatus,
)
from resolvers.errors import BadUserInput
from resolvers.kit import DataSource, Run, uses
from resolvers.shopping import (
    ShoppingError,
    check_idempotency_key,
    once,
    sellable_problem,
    sellables,
    shopping_of,
    signed_in_sub,
    typed_error,
)

MAX_PAYMENT_TOKEN_CHARS = 255


class CheckoutCompleteErrorCode(Enum):
    """Why checkoutComplete did not end with a paid order."""

    NOT_FOUND = "NOT_FOUND"
    CART_EMPTY = "CART_EMPTY"
    CART_NOT_ACTIVE = "CART_NOT_ACTIVE"
    UNKNOWN_SKU = "UNKNOWN_SKU"
    NOT_FOR_SALE = "NOT_FOR_SALE"
    CURRENCY_MISMATCH = "CURRENCY_MISMATCH"
    INSUFFICIENT_STOCK = "INSUFFICIENT_STOCK"
    DISCOUNT_CODE_INVALID = "DISCOUNT_CODE_INVALID"
    VERSION_CONFLICT = "VERSION_CONFLICT"
    PAYMENT_DECLINED = "PAYMENT_DECLINED"
    PAYMENT_REQUIRES_ACTION = "PAYMENT_REQUIRES_ACTION"
    PAYMENT_TIMED_OUT = "PAYMENT_TIMED_OUT"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    IDEMPOTENCY_CONFLICT = "IDEMPOTENCY_CONFLICT"


@dataclass(frozen=True)
class CheckoutArguments:
    """Arguments of checkoutComplete."""

    cart_id: str
    payment_token: str
    idempotency_key: str
    expected_version: int | None = None


@dataclass(frozen=True)
class CheckoutCompleted:
    """The order was placed and paid."""

    order: OrderRecord


CheckoutOutcomeOrError = CheckoutCompleted | ShoppingError


@uses(DataSource.SHOPPING_DB, DataSource.CATALOG, DataSource.PAYMENTS)
async def checkout_complete(run: Run[None, CheckoutArguments]) -> CheckoutOutcomeOrError:
    """``Mutation.checkoutComplete``."""
    arguments = run.arguments
    code = CheckoutCompleteErrorCode
    shopping = shopping_of(run)
    sub = signed_in_sub(run.ctx)
    key = check_idempotency_key(arguments.idempotency_key)
    if sub is None or key is None:  # the field's permission lets only Cognito users in
        raise BadUserInput("Sign in and pass an idempotencyKey to check out")
    if not 1 <= len(arguments.payment_token) <= MAX_PAYMENT_TOKEN_CHARS:
        raise BadUserInput(f"paymentToken must be 1 to {MAX_PAYMENT_TOKEN_CHARS} characters")

    async def action() -> CheckoutOutcomeOrError:
        cart = await shopping.carts.cart(arguments.cart_id, CartAccess.owner(sub))
        if cart is None:
            return ShoppingError(
                code.NOT_FOUND,
                "No such cart of yours (an anonymous cart is checked out after cartMerge)",
                "cartId",
            )
        items = await sellables(
            run, ((line.product_id, line.sku) for line in cart.lines), cart.currency
        )
        prices: dict[str, Money] = {}
        for line in cart.lines:
            problem = sellable_problem(code, items[line.sku], cart.currency)
            if problem is not None:
                return problem
            price = items[line.sku].price
            if price is not None:
                prices[line.sku] = price
        request = CheckoutRequest(
            cart_id=cart.id,
            owner_sub=sub,
            prices=prices,
            expected_cart_version=arguments.expected_version,
            idempotency_key=key,
            actor=f"shopper:{sub}",
        )
        try:
            result = await shopping.checkout.checkout(
                request, payment_token=arguments.payment_token, provider=shopping.payments
            )
        except DataSourceError as error:
            return typed_error(error, code)
        placed = result.order
        events = run.ctx.sources.events
        await publish_order_moves(
            events, shopping.inventory, placed, [None, OrderStatus.PENDING_PAYMENT]
        )
        cart_now = await shopping.carts.cart(cart.id, CartAccess.owner(sub))
        if cart_now is not None:
            await publish_cart(events, cart_now)
        payment = result.payment
        if result.outcome is CheckoutOutcome.PAID:
            return CheckoutCompleted(placed)
        if result.outcome is CheckoutOutcome.DECLINED:
            decline = payment.failure_code if payment is not None else None
            return ShoppingError(
                code.PAYMENT_DECLINED,
                f"The payment was declined ({decline or 'no reason given'}); "
                "the cart is open again: pay another way",
                "paymentToken",
                decline_code=decline,
                order_id=placed.id,
                order_status=placed.status,
            )
        if result.outcome is CheckoutOutcome.REQUIRES_ACTION:
            return ShoppingError(
                code.PAYMENT_REQUIRES_ACTION,
                "The payment needs the shopper's confirmation (3-D Secure) at nextActionUrl; "
                "the order stays PENDING_PAYMENT until the provider confirms",
                "paymentToken",
                next_action_url=payment.next_action_url if payment is not None else None,
                order_id=placed.id,
                order_status=placed.status,
            )
        return ShoppingError(
            code.PAYMENT_TIMED_OUT,
            "The payment provider did not answer; the order stays PENDING_PAYMENT until "
            "its outcome is known (do not pay again: read the order later)",
            "paymentToken",
            order_id=placed.id,
            order_status=placed.status,
        )

    async def decode(stored: Mapping[str, Any]) -> CheckoutOutcomeOrError:
        found = await shopping.orders.order(str(stored["order_id"]), sub)
        if found is None:  # orders are never deleted
            raise RuntimeError(f"the order {stored['order_id']} of a replayed checkout is gone")
        return CheckoutCompleted(found)

    return await once(
        run,
        "checkoutComplete",
        key,
        action,
        encode=lambda done: {"order_id": done.order.id},
        decode=decode,
        code=code,
    )


@uses(DataSource.SHOPPING_DB)
async def error_order(run: Run[ShoppingError, None]) -> OrderRecord | None:
    """``CheckoutCompleteError.placedOrder``: the order a failed payment left behind."""
    order_id = run.source.order_id
    sub = signed_in_sub(run.ctx)
    if order_id is None or sub is None:
        return None
    return await shopping_of(run).orders.order(order_id, sub)
