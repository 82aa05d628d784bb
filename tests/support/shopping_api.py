"""Shopping operations and helpers shared by the unit (SchemaClient on fakes) and the HTTP
(real PostgreSQL) tests: each takes an ``execute(query, variables, identity, cart_token)``."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from resolvers.context import AuthMode, Identity
from resolvers.global_ids import to_global_id

SHOPPER_A = Identity(
    mode=AuthMode.AMAZON_COGNITO_USER_POOLS, subject="shopper-a-sub", username="shopper-a"
)
SHOPPER_B = Identity(
    mode=AuthMode.AMAZON_COGNITO_USER_POOLS, subject="shopper-b-sub", username="shopper-b"
)
MERCHANT = Identity(
    mode=AuthMode.AMAZON_COGNITO_USER_POOLS,
    subject="merchant-sub",
    username="merchant",
    groups=frozenset({"admin"}),
)
STOREFRONT = Identity(mode=AuthMode.API_KEY, subject="api-key:test")

Result = tuple[dict[str, Any] | None, list[dict[str, Any]]]


class Execute(Protocol):
    def __call__(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        identity: Identity = ...,
        *,
        cart_token: str | None = None,
    ) -> Awaitable[Result]: ...


CART_FIELDS = """
fragment CartFields on Cart {
  id status currency version isAnonymous itemCount
  lines {
    sku quantity problem
    unitPrice { amount currency } total { amount currency }
    product { id name } variant { sku title }
  }
  discount { code amount { amount currency } rejection }
  totals {
    subtotal { amount currency } discount { amount } tax { amount } shipping { amount }
    total { amount currency }
  }
}
"""

ORDER_FIELDS = """
fragment OrderFields on Order {
  id number status currency customerId itemCount discountCode
  lines { sku quantity unitPrice { amount currency } total { amount } product { name } }
  totals { subtotal { amount } discount { amount } tax { amount } shipping { amount } total { amount currency } }
  events { fromStatus toStatus actor note }
  payments { provider status amount { amount currency } failureCode nextActionUrl }
}
"""

STOCK_ERROR = "code message field sku requested available currentVersion"

CART_CREATE = (
    """
mutation CartCreate($currency: String! = "EUR", $key: String) {
  cartCreate(currency: $currency, idempotencyKey: $key) {
    __typename
    ... on CartCreateSuccess { cartToken cart { ...CartFields } }
    ... on CartCreateError { code message field }
  }
}
"""
    + CART_FIELDS
)

CART_LINES_ADD = (
    """
mutation Add($cartId: ID!, $lines: [CartLineInput!]!, $version: Int, $key: String) {
  cartLinesAdd(cartId: $cartId, lines: $lines, expectedVersion: $version, idempotencyKey: $key) {
    __typename
    ... on CartLinesAddSuccess { cart { ...CartFields } }
    ... on CartLinesAddError { STOCK_ERROR }
  }
}
""".replace("STOCK_ERROR", STOCK_ERROR)
    + CART_FIELDS
)

CART_LINE_UPDATE = (
    """
mutation Update($cartId: ID!, $sku: String!, $quantity: Int!, $version: Int, $key: String) {
  cartLineUpdate(cartId: $cartId, sku: $sku, quantity: $quantity, expectedVersion: $version,
                 idempotencyKey: $key) {
    __typename
    ... on CartLineUpdateSuccess { cart { ...CartFields } }
    ... on CartLineUpdateError { STOCK_ERROR }
  }
}
""".replace("STOCK_ERROR", STOCK_ERROR)
    + CART_FIELDS
)

CART_LINE_REMOVE = (
    """
mutation Remove($cartId: ID!, $sku: String!, $version: Int, $key: String) {
  cartLineRemove(cartId: $cartId, sku: $sku, expectedVersion: $version, idempotencyKey: $key) {
    __typename
    ... on CartLineRemoveSuccess { cart { ...CartFields } }
    ... on CartLineRemoveError { code message field currentVersion }
  }
}
"""
    + CART_FIELDS
)

DISCOUNT_APPLY = (
    """
mutation Apply($cartId: ID!, $code: String!, $version: Int, $key: String) {
  cartDiscountCodeApply(cartId: $cartId, code: $code, expectedVersion: $version,
                        idempotencyKey: $key) {
    __typename
    ... on CartDiscountCodeApplySuccess { cart { ...CartFields } }
    ... on CartDiscountCodeApplyError { code message field discountRejection currentVersion }
  }
}
"""
    + CART_FIELDS
)

DISCOUNT_REMOVE = (
    """
mutation RemoveCode($cartId: ID!, $version: Int, $key: String) {
  cartDiscountCodeRemove(cartId: $cartId, expectedVersion: $version, idempotencyKey: $key) {
    __typename
    ... on CartDiscountCodeRemoveSuccess { cart { ...CartFields } }
    ... on CartDiscountCodeRemoveError { code message field currentVersion }
  }
}
"""
    + CART_FIELDS
)

CART_MERGE = (
    """
mutation Merge($cartId: ID!, $key: String) {
  cartMerge(anonymousCartId: $cartId, idempotencyKey: $key) {
    __typename
    ... on CartMergeSuccess { cart { ...CartFields } }
    ... on CartMergeError { code message field }
  }
}
"""
    + CART_FIELDS
)

CHECKOUT = (
    """
mutation Checkout($cartId: ID!, $token: String!, $key: String!, $version: Int) {
  checkoutComplete(cartId: $cartId, paymentToken: $token, idempotencyKey: $key,
                   expectedVersion: $version) {
    __typename
    ... on CheckoutCompleteSuccess { order { ...OrderFields } }
    ... on CheckoutCompleteError {
      STOCK_ERROR discountRejection declineCode nextActionUrl orderStatus
      placedOrder { id status }
    }
  }
}
""".replace("STOCK_ERROR", STOCK_ERROR)
    + ORDER_FIELDS
)

CART_QUERY = "query Cart($id: ID!) { cart(id: $id) { ...CartFields } }" + CART_FIELDS
ORDER_QUERY = "query Order($id: ID!) { order(id: $id) { ...OrderFields } }" + ORDER_FIELDS
NODE_QUERY = """
query Node($id: ID!) {
  node(id: $id) { __typename id ... on Cart { version } ... on Order { number status } }
}
"""
MY_ORDERS = (
    """
query MyOrders($first: Int, $after: String) {
  myOrders(first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } nodes { ...OrderFields }
  }
}
"""
    + ORDER_FIELDS
)
ADMIN_ORDERS = """
query Orders($filter: OrderFilterInput, $first: Int, $after: String) {
  orders(filter: $filter, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } nodes { id number status customerId }
  }
}
"""


def _order_mutation(name: str, argument: str) -> str:
    title = name[0].upper() + name[1:]
    return (
        f"""
mutation {title}($id: ID!, $text: String, $key: String) {{
  {name}(id: $id, {argument}: $text, idempotencyKey: $key) {{
    __typename
    ... on {title}Success {{ order {{ ...OrderFields }} }}
    ... on {title}Error {{ code message field orderStatus }}
  }}
}}
"""
        + ORDER_FIELDS
    )


ORDER_FULFILL = _order_mutation("orderFulfill", "note")
ORDER_CANCEL = _order_mutation("orderCancel", "reason")
ORDER_REFUND = _order_mutation("orderRefund", "reason")


def line(product_id: str, sku: str, quantity: int) -> dict[str, object]:
    """A CartLineInput for the product with own id ``product_id``."""
    return {"productId": to_global_id("Product", product_id), "sku": sku, "quantity": quantity}


def new_key() -> str:
    return uuid.uuid4().hex


def result_of(data: dict[str, Any] | None, field: str) -> dict[str, Any]:
    assert data is not None
    found: dict[str, Any] = data[field]
    return found


async def anonymous_cart(execute: Execute, currency: str = "EUR") -> tuple[str, str]:
    """A new anonymous cart: (global ID, token)."""
    data, errors = await execute(CART_CREATE, {"currency": currency}, STOREFRONT)
    assert errors == [], errors
    created = result_of(data, "cartCreate")
    assert created["__typename"] == "CartCreateSuccess", created
    return created["cart"]["id"], created["cartToken"]


async def shopper_cart(execute: Execute, shopper: Identity, currency: str = "EUR") -> str:
    """The shopper's open cart: its global ID."""
    data, errors = await execute(CART_CREATE, {"currency": currency}, shopper)
    assert errors == [], errors
    created = result_of(data, "cartCreate")
    assert created["__typename"] == "CartCreateSuccess", created
    assert created["cartToken"] is None
    cart_id: str = created["cart"]["id"]
    return cart_id


async def add(
    execute: Execute,
    identity: Identity,
    cart_id: str,
    *lines: dict[str, object],
    cart_token: str | None = None,
    version: int | None = None,
    key: str | None = None,
) -> dict[str, Any]:
    """cartLinesAdd's result (success or typed error); asserts no GraphQL errors."""
    data, errors = await execute(
        CART_LINES_ADD,
        {"cartId": cart_id, "lines": list(lines), "version": version, "key": key},
        identity,
        cart_token=cart_token,
    )
    assert errors == [], errors
    return result_of(data, "cartLinesAdd")


async def checkout(
    execute: Execute,
    shopper: Identity,
    cart_id: str,
    token: str = "pm_card_visa",
    key: str | None = None,
    version: int | None = None,
) -> dict[str, Any]:
    """checkoutComplete's result; asserts no GraphQL errors."""
    data, errors = await execute(
        CHECKOUT,
        {"cartId": cart_id, "token": token, "key": key or new_key(), "version": version},
        shopper,
    )
    assert errors == [], errors
    return result_of(data, "checkoutComplete")


Arrange = Callable[[], Awaitable[None]]


INVENTORY_ADJUST = """
mutation Adjust($productId: ID!, $sku: String!, $delta: Int!,
                $reason: StockAdjustmentReason! = RECEIVED, $note: String, $key: String) {
  inventoryAdjust(productId: $productId, sku: $sku, delta: $delta, reason: $reason,
                  note: $note, idempotencyKey: $key) {
    __typename
    ... on InventoryAdjustSuccess {
      adjustment { id sku delta onHandBefore onHandAfter reason note actor }
      stock { sku onHand allocated reserved available }
    }
    ... on InventoryAdjustError { code message field sku requested available }
  }
}
"""

STOCK_LEVEL = """
query StockLevel($sku: String!, $first: Int = 20) {
  stockLevel(sku: $sku) {
    sku onHand allocated reserved available
    adjustments(first: $first) { delta onHandBefore onHandAfter reason note actor }
  }
}
"""


def adjustment(product_id: str, sku: str, delta: int, **extra: Any) -> dict[str, Any]:
    """inventoryAdjust's variables for the product with own id ``product_id``."""
    return {"productId": to_global_id("Product", product_id), "sku": sku, "delta": delta, **extra}
