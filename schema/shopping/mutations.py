"""Shopping mutations: carts, checkout and merchants' order actions.

Expected failures are typed union members with a code enum per mutation (and the details
the code calls for, such as the SKU and quantities of INSUFFICIENT_STOCK). Every mutation
with side effects takes an ``idempotencyKey``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import strawberry

from resolvers import carts, checkout, inventory, orders
from resolvers.carts import (
    CartCreated,
    CartLineChange,
    CartLineRemoval,
    CartLinesAddition,
    CartMergeRequest,
    CartSuccess,
    DiscountCodeChange,
    NewCart,
)
from resolvers.checkout import CheckoutArguments, CheckoutCompleted
from resolvers.errors import BadUserInput
from resolvers.global_ids import expect_global_id
from resolvers.inventory import StockAdjusted, StockAdjustmentRequest
from resolvers.kit import Pipeline
from resolvers.orders import OrderAction, OrderSuccess
from resolvers.shopping import ShoppingError
from schema.backing import backed_by
from schema.permissions import (
    ADMIN_DIRECTIVES,
    SHOPPER_DIRECTIVES,
    STOREFRONT_DIRECTIVES,
    merchant_admin,
    signed_in,
    storefront,
)
from schema.scalars import AWSURL
from schema.shopping.enums import DiscountRejection, OrderStatus, StockAdjustmentReason
from schema.shopping.inputs import CartLineInput
from schema.shopping.types import Cart, Order, StockAdjustment, StockLevel

MAX_LINES_PER_CALL = 50
MAX_NOTE_CHARS = 500
IDEMPOTENCY_KEY_HELP = (
    "Any unique string (a UUID): a retry with the same key and arguments returns the first "
    "outcome instead of doing it again."
)

CartCreateErrorCode = strawberry.enum(carts.CartCreateErrorCode)
CartLinesAddErrorCode = strawberry.enum(carts.CartLinesAddErrorCode)
CartLineUpdateErrorCode = strawberry.enum(carts.CartLineUpdateErrorCode)
CartLineRemoveErrorCode = strawberry.enum(carts.CartLineRemoveErrorCode)
CartDiscountCodeErrorCode = strawberry.enum(carts.CartDiscountCodeErrorCode)
CartMergeErrorCode = strawberry.enum(carts.CartMergeErrorCode)
CheckoutCompleteErrorCode = strawberry.enum(checkout.CheckoutCompleteErrorCode)
OrderFulfillErrorCode = strawberry.enum(orders.OrderFulfillErrorCode)
OrderCancelErrorCode = strawberry.enum(orders.OrderCancelErrorCode)
OrderRefundErrorCode = strawberry.enum(orders.OrderRefundErrorCode)
InventoryAdjustErrorCode = strawberry.enum(inventory.InventoryAdjustErrorCode)

_EXTRA_FIELDS: dict[str, tuple[object, Callable[[], Any]]] = {
    "sku": (
        str | None,
        lambda: strawberry.field(description="The SKU concerned, when the code is about one."),
    ),
    "requested": (
        int | None,
        lambda: strawberry.field(description="Units asked for (INSUFFICIENT_STOCK, quantities)."),
    ),
    "available": (
        int | None,
        lambda: strawberry.field(description="Units available now (INSUFFICIENT_STOCK)."),
    ),
    "current_version": (
        int | None,
        lambda: strawberry.field(
            description="The cart's version now (VERSION_CONFLICT): read it again and retry."
        ),
    ),
    "discount_rejection": (
        DiscountRejection | None,
        lambda: strawberry.field(description="Why the discount code cannot be used now."),
    ),
    "decline_code": (
        str | None,
        lambda: strawberry.field(description="The provider's reason (PAYMENT_DECLINED)."),
    ),
    "next_action_url": (
        AWSURL | None,
        lambda: strawberry.field(
            description="Where the shopper confirms the payment (PAYMENT_REQUIRES_ACTION)."
        ),
    ),
    "order_status": (
        OrderStatus | None,
        lambda: strawberry.field(description="The order's state when the mutation ended."),
    ),
    "placed_order": (
        Order | None,
        lambda: strawberry.field(
            description=(
                "The order placed before the payment failed: CANCELLED (declined) or "
                "PENDING_PAYMENT (waiting for 3-D Secure or the provider)."
            ),
            extensions=[Pipeline(checkout.error_order)],
        ),
    ),
}


def _error_type(name: str, code_enum: type, description: str, *extras: str) -> type:
    annotations: dict[str, object] = {"code": code_enum, "message": str, "field": str | None}
    namespace: dict[str, object] = {"is_type_of": backed_by(ShoppingError)}
    for extra in extras:
        annotation, definition = _EXTRA_FIELDS[extra]
        annotations[extra] = annotation
        namespace[extra] = definition()
    namespace["__annotations__"] = annotations
    return strawberry.type(type(name, (), namespace), description=description)


def _success_type(name: str, backing: type, fields: dict[str, object], description: str) -> type:
    namespace: dict[str, object] = {"__annotations__": fields, "is_type_of": backed_by(backing)}
    return strawberry.type(type(name, (), namespace), description=description)


def _result(name: str, success: type, error: type) -> object:
    return Annotated[success | error, strawberry.union(f"{name}Result")]


def _cart_result(name: str, code_enum: type, action: str, *extras: str) -> object:
    success = _success_type(f"{name}Success", CartSuccess, {"cart": Cart}, f"{action} succeeded.")
    error = _error_type(f"{name}Error", code_enum, f"Why {action} failed.", *extras)
    return _result(name, success, error)


def _order_result(name: str, code_enum: type, action: str) -> object:
    success = _success_type(
        f"{name}Success", OrderSuccess, {"order": Order}, f"{action} succeeded."
    )
    error = _error_type(f"{name}Error", code_enum, f"Why {action} failed.", "order_status")
    return _result(name, success, error)


_STOCK = ("sku", "requested", "available", "current_version")

CartCreateSuccess = strawberry.type(
    type(
        "CartCreateSuccess",
        (),
        {
            "__annotations__": {"cart": Cart, "cart_token": str | None},
            "is_type_of": backed_by(CartCreated),
            "cart_token": strawberry.field(
                description=(
                    "The anonymous cart's token, shown once: send it in the x-cart-token "
                    "header to use the cart. Null for a signed-in shopper's cart."
                )
            ),
        },
    ),
    description="cartCreate succeeded.",
)
CartCreateResult = _result(
    "CartCreate",
    CartCreateSuccess,
    _error_type("CartCreateError", CartCreateErrorCode, "Why cartCreate failed."),
)
CartLinesAddResult = _cart_result("CartLinesAdd", CartLinesAddErrorCode, "cartLinesAdd", *_STOCK)
CartLineUpdateResult = _cart_result(
    "CartLineUpdate", CartLineUpdateErrorCode, "cartLineUpdate", *_STOCK
)
CartLineRemoveResult = _cart_result(
    "CartLineRemove", CartLineRemoveErrorCode, "cartLineRemove", "current_version"
)
CartDiscountCodeApplyResult = _cart_result(
    "CartDiscountCodeApply",
    CartDiscountCodeErrorCode,
    "cartDiscountCodeApply",
    "current_version",
    "discount_rejection",
)
CartDiscountCodeRemoveResult = _cart_result(
    "CartDiscountCodeRemove",
    CartDiscountCodeErrorCode,
    "cartDiscountCodeRemove",
    "current_version",
)
CartMergeResult = _cart_result("CartMerge", CartMergeErrorCode, "cartMerge")
CheckoutCompleteResult = _result(
    "CheckoutComplete",
    _success_type(
        "CheckoutCompleteSuccess",
        CheckoutCompleted,
        {"order": Order},
        "checkoutComplete placed and paid the order.",
    ),
    _error_type(
        "CheckoutCompleteError",
        CheckoutCompleteErrorCode,
        "Why checkoutComplete did not end with a paid order.",
        *_STOCK,
        "discount_rejection",
        "decline_code",
        "next_action_url",
        "order_status",
        "placed_order",
    ),
)
OrderFulfillResult = _order_result("OrderFulfill", OrderFulfillErrorCode, "orderFulfill")
OrderCancelResult = _order_result("OrderCancel", OrderCancelErrorCode, "orderCancel")
OrderRefundResult = _order_result("OrderRefund", OrderRefundErrorCode, "orderRefund")
InventoryAdjustResult = _result(
    "InventoryAdjust",
    _success_type(
        "InventoryAdjustSuccess",
        StockAdjusted,
        {"adjustment": StockAdjustment, "stock": StockLevel},
        "inventoryAdjust changed the units on hand.",
    ),
    _error_type(
        "InventoryAdjustError",
        InventoryAdjustErrorCode,
        "Why inventoryAdjust changed nothing (BELOW_COMMITTED: `requested` units to take off, "
        "`available` units that could be).",
        "sku",
        "requested",
        "available",
    ),
)


def _cart_id(cart_id: strawberry.ID) -> str:
    return expect_global_id(cart_id, "Cart")


def _order_id(order_id: strawberry.ID) -> str:
    return expect_global_id(order_id, "Order")


@strawberry.type
class ShoppingMutation:
    """Cart mutations (API key with the cart token, or Cognito), checkout (Cognito) and
    order actions (merchant admins)."""

    @strawberry.mutation(
        graphql_type=CartCreateResult,
        description=(
            "A new anonymous cart and its token (API key), or the signed-in shopper's open "
            "cart (created if they have none)."
        ),
        extensions=[Pipeline(carts.cart_create), storefront()],
        directives=STOREFRONT_DIRECTIVES,
    )
    def cart_create(
        self,
        currency: str = "EUR",
        idempotency_key: Annotated[
            str | None, strawberry.argument(description=IDEMPOTENCY_KEY_HELP)
        ] = None,
    ) -> NewCart:
        return NewCart(currency=currency, idempotency_key=idempotency_key)

    @strawberry.mutation(
        graphql_type=CartLinesAddResult,
        description=(
            "Add SKUs to a cart (to the line of the same SKU if there is one), each checked "
            "against the catalog, the 1..99 limit per line and the stock available now."
        ),
        extensions=[Pipeline(carts.cart_lines_add), storefront()],
        directives=STOREFRONT_DIRECTIVES,
    )
    def cart_lines_add(
        self,
        cart_id: strawberry.ID,
        lines: list[CartLineInput],
        expected_version: int | None = None,
        idempotency_key: Annotated[
            str | None, strawberry.argument(description=IDEMPOTENCY_KEY_HELP)
        ] = None,
    ) -> CartLinesAddition:
        if len(lines) > MAX_LINES_PER_CALL:
            raise BadUserInput(f"At most {MAX_LINES_PER_CALL} lines per call, got {len(lines)}")
        return CartLinesAddition(
            cart_id=_cart_id(cart_id),
            lines=tuple(line.to_line() for line in lines),
            expected_version=expected_version,
            idempotency_key=idempotency_key,
        )

    @strawberry.mutation(
        graphql_type=CartLineUpdateResult,
        description="Set the quantity of a cart line (0 removes it).",
        extensions=[Pipeline(carts.cart_line_update), storefront()],
        directives=STOREFRONT_DIRECTIVES,
    )
    def cart_line_update(
        self,
        cart_id: strawberry.ID,
        sku: str,
        quantity: int,
        expected_version: int | None = None,
        idempotency_key: Annotated[
            str | None, strawberry.argument(description=IDEMPOTENCY_KEY_HELP)
        ] = None,
    ) -> CartLineChange:
        return CartLineChange(
            cart_id=_cart_id(cart_id),
            sku=sku,
            quantity=quantity,
            expected_version=expected_version,
            idempotency_key=idempotency_key,
        )

    @strawberry.mutation(
        graphql_type=CartLineRemoveResult,
        description="Remove a SKU's line from a cart.",
        extensions=[Pipeline(carts.cart_line_remove), storefront()],
        directives=STOREFRONT_DIRECTIVES,
    )
    def cart_line_remove(
        self,
        cart_id: strawberry.ID,
        sku: str,
        expected_version: int | None = None,
        idempotency_key: Annotated[
            str | None, strawberry.argument(description=IDEMPOTENCY_KEY_HELP)
        ] = None,
    ) -> CartLineRemoval:
        return CartLineRemoval(
            cart_id=_cart_id(cart_id),
            sku=sku,
            expected_version=expected_version,
            idempotency_key=idempotency_key,
        )

    @strawberry.mutation(
        graphql_type=CartDiscountCodeApplyResult,
        description="Apply a discount code that can be used now (window, usage limit, currency).",
        extensions=[Pipeline(carts.cart_discount_code_apply), storefront()],
        directives=STOREFRONT_DIRECTIVES,
    )
    def cart_discount_code_apply(
        self,
        cart_id: strawberry.ID,
        code: str,
        expected_version: int | None = None,
        idempotency_key: Annotated[
            str | None, strawberry.argument(description=IDEMPOTENCY_KEY_HELP)
        ] = None,
    ) -> DiscountCodeChange:
        return DiscountCodeChange(
            cart_id=_cart_id(cart_id),
            code=code,
            expected_version=expected_version,
            idempotency_key=idempotency_key,
        )

    @strawberry.mutation(
        graphql_type=CartDiscountCodeRemoveResult,
        description="Remove the cart's discount code.",
        extensions=[Pipeline(carts.cart_discount_code_remove), storefront()],
        directives=STOREFRONT_DIRECTIVES,
    )
    def cart_discount_code_remove(
        self,
        cart_id: strawberry.ID,
        expected_version: int | None = None,
        idempotency_key: Annotated[
            str | None, strawberry.argument(description=IDEMPOTENCY_KEY_HELP)
        ] = None,
    ) -> DiscountCodeChange:
        return DiscountCodeChange(
            cart_id=_cart_id(cart_id),
            code=None,
            expected_version=expected_version,
            idempotency_key=idempotency_key,
        )

    @strawberry.mutation(
        graphql_type=CartMergeResult,
        description=(
            "At sign-in: move the anonymous cart (its token in the x-cart-token header) into "
            "the shopper's open cart; quantities of the same SKU add up (at most 99)."
        ),
        extensions=[Pipeline(carts.cart_merge), signed_in()],
        directives=SHOPPER_DIRECTIVES,
    )
    def cart_merge(
        self,
        anonymous_cart_id: strawberry.ID,
        idempotency_key: Annotated[
            str | None, strawberry.argument(description=IDEMPOTENCY_KEY_HELP)
        ] = None,
    ) -> CartMergeRequest:
        return CartMergeRequest(
            anonymous_cart_id=_cart_id(anonymous_cart_id), idempotency_key=idempotency_key
        )

    @strawberry.mutation(
        graphql_type=CheckoutCompleteResult,
        description=(
            "Check out the shopper's cart: validate it against the catalog, allocate the "
            "stock, place the order, authorize and capture the payment."
        ),
        extensions=[Pipeline(checkout.checkout_complete), signed_in()],
        directives=SHOPPER_DIRECTIVES,
    )
    def checkout_complete(
        self,
        cart_id: strawberry.ID,
        payment_token: Annotated[
            str, strawberry.argument(description="The payment method from the provider's SDK.")
        ],
        idempotency_key: Annotated[str, strawberry.argument(description=IDEMPOTENCY_KEY_HELP)],
        expected_version: int | None = None,
    ) -> CheckoutArguments:
        return CheckoutArguments(
            cart_id=_cart_id(cart_id),
            payment_token=payment_token,
            idempotency_key=idempotency_key,
            expected_version=expected_version,
        )

    @strawberry.mutation(
        graphql_type=OrderFulfillResult,
        description="Mark a PAID order as shipped.",
        extensions=[Pipeline(orders.order_fulfill), merchant_admin()],
        directives=ADMIN_DIRECTIVES,
    )
    def order_fulfill(
        self,
        id: strawberry.ID,
        note: str | None = None,
        idempotency_key: Annotated[
            str | None, strawberry.argument(description=IDEMPOTENCY_KEY_HELP)
        ] = None,
    ) -> OrderAction:
        return OrderAction(_order_id(id), note, idempotency_key)

    @strawberry.mutation(
        graphql_type=OrderCancelResult,
        description=(
            "Cancel an order before it ships: the shopper their own orders, merchant admins any "
            "order. Awaiting payment: open authorizations are voided with the provider and the "
            "order is CANCELLED. Paid: the payment is refunded and the order is REFUNDED."
        ),
        extensions=[Pipeline(orders.order_cancel), signed_in()],
        directives=SHOPPER_DIRECTIVES,
    )
    def order_cancel(
        self,
        id: strawberry.ID,
        reason: str | None = None,
        idempotency_key: Annotated[
            str | None, strawberry.argument(description=IDEMPOTENCY_KEY_HELP)
        ] = None,
    ) -> OrderAction:
        return OrderAction(_order_id(id), reason, idempotency_key)

    @strawberry.mutation(
        graphql_type=OrderRefundResult,
        description="Refund a PAID order's payment with the provider (before it ships).",
        extensions=[Pipeline(orders.order_refund), merchant_admin()],
        directives=ADMIN_DIRECTIVES,
    )
    def order_refund(
        self,
        id: strawberry.ID,
        reason: str | None = None,
        idempotency_key: Annotated[
            str | None, strawberry.argument(description=IDEMPOTENCY_KEY_HELP)
        ] = None,
    ) -> OrderAction:
        return OrderAction(_order_id(id), reason, idempotency_key)

    @strawberry.mutation(
        graphql_type=InventoryAdjustResult,
        description=(
            "Change a SKU's units on hand (a delivery, a return, a breakage, a recount), "
            "audited; never below what orders and carts hold (merchant admins)."
        ),
        extensions=[Pipeline(inventory.inventory_adjust), merchant_admin()],
        directives=ADMIN_DIRECTIVES,
    )
    def inventory_adjust(
        self,
        product_id: strawberry.ID,
        sku: str,
        delta: Annotated[
            int, strawberry.argument(description="Units to add (positive) or take off.")
        ],
        reason: StockAdjustmentReason,
        note: str | None = None,
        idempotency_key: Annotated[
            str | None, strawberry.argument(description=IDEMPOTENCY_KEY_HELP)
        ] = None,
    ) -> StockAdjustmentRequest:
        if note is not None and len(note) > MAX_NOTE_CHARS:
            raise BadUserInput(f"note is at most {MAX_NOTE_CHARS} characters")
        return StockAdjustmentRequest(
            product_id=expect_global_id(product_id, "Product"),
            sku=sku,
            delta=delta,
            reason=reason,
            note=note,
            idempotency_key=idempotency_key,
        )
