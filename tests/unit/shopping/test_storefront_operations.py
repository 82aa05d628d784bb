"""The storefront's shopping operations in client_examples/operations run on the fakes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.support.shopping_api import SHOPPER_A, STOREFRONT, anonymous_cart, line, new_key

OPERATIONS = Path(__file__).parents[3] / "client_examples" / "operations"


def _operation(name: str) -> str:
    return (OPERATIONS / f"{name}.graphql").read_text(encoding="utf-8")


async def test_add_to_cart_read_it_check_out_and_list_orders(execute: Any) -> None:
    # given an anonymous cart filled with the storefront's add-to-cart operation
    anonymous, token = await anonymous_cart(execute)
    added, add_errors = await execute(
        _operation("CartLinesAdd"),
        {
            "cartId": anonymous,
            "lines": [line("prod-001", "SKU-001-G", 2)],
            "expectedVersion": 1,
            "idempotencyKey": new_key(),
        },
        STOREFRONT,
        cart_token=token,
    )
    # when the shopper signs in, merges it, reads the cart page, pays and opens "my orders"
    merged, merge_errors = await execute(
        "mutation($c: ID!) { cartMerge(anonymousCartId: $c) { ... on CartMergeSuccess { cart { id } } } }",
        {"c": anonymous},
        SHOPPER_A,
        cart_token=token,
    )
    assert merged is not None
    cart_id = merged["cartMerge"]["cart"]["id"]
    page, page_errors = await execute(_operation("Cart"), {"id": cart_id}, SHOPPER_A)
    paid, paid_errors = await execute(
        _operation("CheckoutComplete"),
        {"cartId": cart_id, "paymentToken": "pm_card_visa", "idempotencyKey": new_key()},
        SHOPPER_A,
    )
    history, history_errors = await execute(_operation("OrderHistory"), {"first": 5}, SHOPPER_A)

    # then every operation answers what its page renders
    assert [add_errors, merge_errors, page_errors, paid_errors, history_errors] == [[]] * 5
    assert added is not None
    assert added["cartLinesAdd"]["cart"]["totals"]["total"] == {"amount": 20_200, "currency": "EUR"}
    assert page is not None
    assert page["cart"]["lines"][0]["product"]["slug"] == "product-001"
    assert page["cart"]["lines"][0]["variant"]["title"] == "Green"
    assert paid is not None
    order = paid["checkoutComplete"]["order"]
    assert (paid["checkoutComplete"]["__typename"], order["status"]) == (
        "CheckoutCompleteSuccess",
        "PAID",
    )
    assert history is not None
    assert history["myOrders"]["totalCount"] == 1
    assert history["myOrders"]["nodes"][0]["id"] == order["id"]
    assert [e["toStatus"] for e in history["myOrders"]["nodes"][0]["events"]] == [
        "PENDING_PAYMENT",
        "PAID",
    ]
