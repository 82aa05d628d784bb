"""The owner-scoping table: every owner-scoped field and mutation, called by shopper B (or a
storefront holding B's cart token) with shopper A's IDs, must answer exactly what it answers
for an ID that never existed: null for reads, NOT_FOUND for mutations; never A's data.

Shared by the unit tests (fakes) and the HTTP tests (real PostgreSQL), which arrange the same
``World`` through the API itself.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from resolvers.context import Identity
from resolvers.global_ids import to_global_id
from tests.support.shopping_api import (
    CART_LINE_REMOVE,
    CART_LINE_UPDATE,
    CART_LINES_ADD,
    CART_MERGE,
    CART_QUERY,
    CHECKOUT,
    DISCOUNT_APPLY,
    DISCOUNT_REMOVE,
    MY_ORDERS,
    NODE_QUERY,
    ORDER_QUERY,
    SHOPPER_A,
    SHOPPER_B,
    STOREFRONT,
    Execute,
    add,
    anonymous_cart,
    checkout,
    shopper_cart,
)


@dataclass(frozen=True)
class World:
    """Shopper A's objects, and shopper B's own anonymous cart token."""

    a_cart: str
    """A's open signed-in cart (one line)."""
    a_anonymous_cart: str
    """An anonymous cart of A's (one line), known by ``a_token`` only."""
    a_token: str
    a_order: str
    """A's paid order."""
    b_token: str
    """The token of B's own anonymous cart (B presents it everywhere)."""
    line: dict[str, object]
    """A CartLineInput that can be bought."""


async def arrange_world(execute: Execute, line: dict[str, object]) -> World:
    """Build A's carts and order, and B's anonymous cart, through the API."""
    paid_cart = await shopper_cart(execute, SHOPPER_A)
    assert (await add(execute, SHOPPER_A, paid_cart, line))["__typename"] == "CartLinesAddSuccess"
    placed = await checkout(execute, SHOPPER_A, paid_cart)
    assert placed["__typename"] == "CheckoutCompleteSuccess", placed
    a_cart = await shopper_cart(execute, SHOPPER_A)
    assert (await add(execute, SHOPPER_A, a_cart, line))["__typename"] == "CartLinesAddSuccess"
    anonymous, token = await anonymous_cart(execute)
    added = await add(execute, STOREFRONT, anonymous, line, cart_token=token)
    assert added["__typename"] == "CartLinesAddSuccess"
    _, b_token = await anonymous_cart(execute)
    return World(
        a_cart=a_cart,
        a_anonymous_cart=anonymous,
        a_token=token,
        a_order=placed["order"]["id"],
        b_token=b_token,
        line=line,
    )


@dataclass(frozen=True)
class Scoped:
    """One owner-scoped field or mutation, as B calls it with one of A's IDs."""

    name: str
    query: str
    target: str
    """Which of A's IDs the call names: ``a_cart``, ``a_anonymous_cart`` or ``a_order``."""
    variables: Callable[[str, World], dict[str, Any]]
    answer: Callable[[dict[str, Any]], Any]
    expect: Any
    """What B must get: null for reads, NOT_FOUND (with no object) for mutations."""
    caller: Identity = SHOPPER_B
    """B signed in, or a storefront (API key) holding B's cart token."""

    def fresh_id(self) -> str:
        """An ID of the same type that never existed."""
        kind = "Order" if self.target == "a_order" else "Cart"
        return to_global_id(kind, str(uuid.uuid4()))


def _cart(field: str) -> Callable[[dict[str, Any]], Any]:
    return lambda data: data[field]


def _mutation(field: str) -> Callable[[dict[str, Any]], Any]:
    return lambda data: {k: data[field].get(k) for k in ("__typename", "code", "field", "cart")}


def _not_found(type_name: str, field: str = "cartId") -> dict[str, Any]:
    return {"__typename": type_name, "code": "NOT_FOUND", "field": field, "cart": None}


def _checkout_answer(data: dict[str, Any]) -> Any:
    return {
        k: data["checkoutComplete"].get(k) for k in ("__typename", "code", "field", "placedOrder")
    }


_CHECKOUT_NOT_FOUND = {
    "__typename": "CheckoutCompleteError",
    "code": "NOT_FOUND",
    "field": "cartId",
    "placedOrder": None,
}


SCOPED: list[Scoped] = [
    Scoped(
        "Query.cart (signed-in cart)",
        CART_QUERY,
        "a_cart",
        lambda i, w: {"id": i},
        _cart("cart"),
        None,
    ),
    Scoped(
        "Query.cart (anonymous cart, storefront with B's token)",
        CART_QUERY,
        "a_anonymous_cart",
        lambda i, w: {"id": i},
        _cart("cart"),
        None,
        STOREFRONT,
    ),
    Scoped(
        "Query.cart (anonymous cart, B signed in with B's token)",
        CART_QUERY,
        "a_anonymous_cart",
        lambda i, w: {"id": i},
        _cart("cart"),
        None,
    ),
    Scoped("Query.node (cart)", NODE_QUERY, "a_cart", lambda i, w: {"id": i}, _cart("node"), None),
    Scoped(
        "Query.node (order)", NODE_QUERY, "a_order", lambda i, w: {"id": i}, _cart("node"), None
    ),
    Scoped("Query.order", ORDER_QUERY, "a_order", lambda i, w: {"id": i}, _cart("order"), None),
    Scoped(
        "Query.myOrders",
        MY_ORDERS,
        "a_order",
        lambda i, w: {"first": 20},
        lambda data: [n["id"] for n in data["myOrders"]["nodes"]],
        [],
    ),
    Scoped(
        "Mutation.cartLinesAdd (signed-in cart)",
        CART_LINES_ADD,
        "a_cart",
        lambda i, w: {"cartId": i, "lines": [w.line]},
        _mutation("cartLinesAdd"),
        _not_found("CartLinesAddError"),
    ),
    Scoped(
        "Mutation.cartLinesAdd (anonymous cart, storefront with B's token)",
        CART_LINES_ADD,
        "a_anonymous_cart",
        lambda i, w: {"cartId": i, "lines": [w.line]},
        _mutation("cartLinesAdd"),
        _not_found("CartLinesAddError"),
        STOREFRONT,
    ),
    Scoped(
        "Mutation.cartLineUpdate (signed-in cart)",
        CART_LINE_UPDATE,
        "a_cart",
        lambda i, w: {"cartId": i, "sku": w.line["sku"], "quantity": 3},
        _mutation("cartLineUpdate"),
        _not_found("CartLineUpdateError"),
    ),
    Scoped(
        "Mutation.cartLineUpdate (anonymous cart, storefront with B's token)",
        CART_LINE_UPDATE,
        "a_anonymous_cart",
        lambda i, w: {"cartId": i, "sku": w.line["sku"], "quantity": 3},
        _mutation("cartLineUpdate"),
        _not_found("CartLineUpdateError"),
        STOREFRONT,
    ),
    Scoped(
        "Mutation.cartLineRemove (signed-in cart)",
        CART_LINE_REMOVE,
        "a_cart",
        lambda i, w: {"cartId": i, "sku": w.line["sku"]},
        _mutation("cartLineRemove"),
        _not_found("CartLineRemoveError"),
    ),
    Scoped(
        "Mutation.cartLineRemove (anonymous cart, storefront with B's token)",
        CART_LINE_REMOVE,
        "a_anonymous_cart",
        lambda i, w: {"cartId": i, "sku": w.line["sku"]},
        _mutation("cartLineRemove"),
        _not_found("CartLineRemoveError"),
        STOREFRONT,
    ),
    Scoped(
        "Mutation.cartDiscountCodeApply",
        DISCOUNT_APPLY,
        "a_cart",
        lambda i, w: {"cartId": i, "code": "WELCOME10"},
        _mutation("cartDiscountCodeApply"),
        _not_found("CartDiscountCodeApplyError"),
    ),
    Scoped(
        "Mutation.cartDiscountCodeRemove",
        DISCOUNT_REMOVE,
        "a_cart",
        lambda i, w: {"cartId": i},
        _mutation("cartDiscountCodeRemove"),
        _not_found("CartDiscountCodeRemoveError"),
    ),
    Scoped(
        "Mutation.cartMerge (A's anonymous cart, B's token)",
        CART_MERGE,
        "a_anonymous_cart",
        lambda i, w: {"cartId": i},
        _mutation("cartMerge"),
        _not_found("CartMergeError", "anonymousCartId"),
    ),
    Scoped(
        "Mutation.checkoutComplete (signed-in cart)",
        CHECKOUT,
        "a_cart",
        lambda i, w: {"cartId": i, "token": "pm_card_visa", "key": uuid.uuid4().hex},
        _checkout_answer,
        _CHECKOUT_NOT_FOUND,
    ),
    Scoped(
        "Mutation.checkoutComplete (anonymous cart)",
        CHECKOUT,
        "a_anonymous_cart",
        lambda i, w: {"cartId": i, "token": "pm_card_visa", "key": uuid.uuid4().hex},
        _checkout_answer,
        _CHECKOUT_NOT_FOUND,
    ),
]


async def call_as_b(execute: Execute, row: Scoped, world: World, global_id: str) -> Any:
    """B's answer when naming ``global_id``; asserts the call raised no GraphQL error."""
    data, errors = await execute(
        row.query, row.variables(global_id, world), row.caller, cart_token=world.b_token
    )
    assert errors == [], errors
    assert data is not None
    return row.answer(data)


def ids() -> list[str]:
    return [row.name for row in SCOPED]
