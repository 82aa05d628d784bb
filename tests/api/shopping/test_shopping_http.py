"""Carts, checkout and orders over HTTP on real PostgreSQL and moto DynamoDB: the bad-input
list of the shopping issue, two devices editing one cart, idempotent retries, replayed
payment callbacks and the checkout happy path end to end."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from datasources.events import Topic
from datasources.payments.simulated import TestPaymentProvider
from datasources.shopping_records import DiscountCodeRecord, DiscountKind
from gateway.bootstrap import Services
from gateway.payment_webhooks import SIGNATURE_HEADER, sign
from resolvers.global_ids import from_global_id
from tests.api.shopping.conftest import STOCK_PER_SKU, WEBHOOK_SECRET, headers_for, shopper
from tests.support.shopping_api import (
    CART_LINE_UPDATE,
    CART_MERGE,
    CART_QUERY,
    DISCOUNT_APPLY,
    INVENTORY_ADJUST,
    MERCHANT,
    MY_ORDERS,
    ORDER_CANCEL,
    ORDER_FULFILL,
    ORDER_QUERY,
    ORDER_REFUND,
    STOREFRONT,
    add,
    adjustment,
    anonymous_cart,
    checkout,
    line,
    new_key,
    result_of,
    shopper_cart,
)

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    ("given", "code", "details"),
    [
        (line("prod-003", "SKU-003-G", -1), "INVALID_QUANTITY", {"requested": -1}),
        (line("prod-003", "SKU-003-G", 0), "INVALID_QUANTITY", {"requested": 0}),
        (line("prod-003", "SKU-003-G", 100), "INVALID_QUANTITY", {"requested": 100}),
        (
            line("prod-003", "SKU-003-G", 2_147_483_647),
            "INVALID_QUANTITY",
            {"requested": 2_147_483_647},
        ),
        (line("prod-003", "SKU-NOPE", 1), "UNKNOWN_SKU", {"sku": "SKU-NOPE"}),
        (line("ghost", "SKU-003-G", 1), "UNKNOWN_SKU", {"sku": "SKU-003-G"}),
        (line("prod-020", "SKU-020-G", 1), "NOT_FOR_SALE", {"sku": "SKU-020-G"}),
        (line("prod-021", "SKU-021-USD", 1), "CURRENCY_MISMATCH", {"sku": "SKU-021-USD"}),
        (
            line("prod-003", "SKU-003-G", STOCK_PER_SKU + 1),
            "INSUFFICIENT_STOCK",
            {"sku": "SKU-003-G", "requested": STOCK_PER_SKU + 1, "available": STOCK_PER_SKU},
        ),
    ],
    ids=[
        "negative",
        "zero",
        "over-99",
        "int32-max",
        "unknown-sku",
        "unknown-product",
        "archived-product",
        "currency-mismatch",
        "more-than-in-stock",
    ],
)
async def test_bad_lines_are_typed_errors_over_http(
    execute: Any, given: dict[str, object], code: str, details: dict[str, object]
) -> None:
    # given an anonymous EUR cart in PostgreSQL
    cart_id, token = await anonymous_cart(execute)

    # when a bad line is added
    result = await add(execute, STOREFRONT, cart_id, given, cart_token=token)

    # then it is the typed error, and the cart is untouched (version 1, no lines)
    assert result["__typename"] == "CartLinesAddError"
    assert result["code"] == code
    assert {k: result[k] for k in details} == details
    data, errors = await execute(CART_QUERY, {"id": cart_id}, STOREFRONT, cart_token=token)
    assert errors == []
    assert data is not None
    assert (data["cart"]["version"], data["cart"]["lines"]) == (1, [])


async def test_a_quantity_beyond_32_bits_is_a_validation_error(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/graphql",
        json={
            "query": 'mutation { cartLinesAdd(cartId: "x", lines: [{productId: "p", sku: "s", '
            "quantity: 4294967296}]) { __typename } }"
        },
        headers=headers_for(STOREFRONT),
    )
    body = response.json()
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


async def test_expired_and_exhausted_discount_codes_are_refused(
    execute: Any, services: Services
) -> None:
    # given codes in PostgreSQL: expired, used up, and a good one with one use left
    assert services.shopping is not None
    suffix = uuid.uuid4().hex[:6].upper()
    now = datetime.now(UTC)
    codes = {
        "expired": DiscountCodeRecord(
            f"OLD{suffix}", DiscountKind.PERCENTAGE, 1_000, ends_at=now - timedelta(hours=1)
        ),
        "exhausted": DiscountCodeRecord(
            f"GONE{suffix}", DiscountKind.FIXED, 500, "EUR", usage_limit=2, times_used=2
        ),
        "usd": DiscountCodeRecord(f"USD{suffix}", DiscountKind.FIXED, 500, "USD"),
        "good": DiscountCodeRecord(f"LAST{suffix}", DiscountKind.PERCENTAGE, 2_500, usage_limit=1),
    }
    for code in codes.values():
        await services.shopping.discounts.create_discount_code(code)
    buyer = shopper("discounts")
    cart_id = await shopper_cart(execute, buyer)
    await add(execute, buyer, cart_id, line("prod-004", "SKU-004-G", 1))

    async def apply(code: str) -> dict[str, Any]:
        data, errors = await execute(DISCOUNT_APPLY, {"cartId": cart_id, "code": code}, buyer)
        assert errors == []
        return result_of(data, "cartDiscountCodeApply")

    # when each is applied (the good one in lower case)
    refused = {name: await apply(codes[name].code) for name in ("expired", "exhausted", "usd")}
    applied = await apply(codes["good"].code.lower())

    # then the bad ones say why; the good one takes 25 % off 104.00
    assert {name: (r["code"], r["discountRejection"]) for name, r in refused.items()} == {
        "expired": ("DISCOUNT_CODE_INVALID", "EXPIRED"),
        "exhausted": ("DISCOUNT_CODE_INVALID", "EXHAUSTED"),
        "usd": ("DISCOUNT_CODE_INVALID", "CURRENCY_MISMATCH"),
    }
    assert applied["cart"]["totals"]["discount"]["amount"] == 2_600
    assert applied["cart"]["totals"]["total"]["amount"] == 7_800

    # when another shopper takes the last use first, then this shopper checks out
    rival = shopper("rival")
    rival_cart = await shopper_cart(execute, rival)
    await add(execute, rival, rival_cart, line("prod-004", "SKU-004-B", 1))
    data, _ = await execute(
        DISCOUNT_APPLY, {"cartId": rival_cart, "code": codes["good"].code}, rival
    )
    assert result_of(data, "cartDiscountCodeApply")["__typename"] == "CartDiscountCodeApplySuccess"
    assert (await checkout(execute, rival, rival_cart))["__typename"] == "CheckoutCompleteSuccess"
    late = await checkout(execute, buyer, cart_id)

    # then the code is EXHAUSTED at checkout and nothing was ordered or allocated
    assert (late["code"], late["discountRejection"]) == ("DISCOUNT_CODE_INVALID", "EXHAUSTED")
    history, _ = await execute(MY_ORDERS, {"first": 5}, buyer)
    assert history is not None
    assert history["myOrders"]["totalCount"] == 0


async def test_two_devices_editing_one_cart_lose_no_update(execute: Any) -> None:
    # given one anonymous cart open on several devices
    cart_id, token = await anonymous_cart(execute)
    first = await add(
        execute, STOREFRONT, cart_id, line("prod-005", "SKU-005-G", 1), cart_token=token
    )
    assert first["__typename"] == "CartLinesAddSuccess"

    # when they all write at the same moment, without versions
    results = await asyncio.gather(
        *(
            add(execute, STOREFRONT, cart_id, line("prod-006", "SKU-006-G", 1), cart_token=token)
            for _ in range(4)
        ),
        *(
            execute(
                CART_LINE_UPDATE,
                {"cartId": cart_id, "sku": "SKU-005-G", "quantity": 2},
                STOREFRONT,
                cart_token=token,
            )
            for _ in range(3)
        ),
    )

    # then every write counted: 4 single adds and the quantity set, each one version
    assert [r["__typename"] for r in results[:4]] == ["CartLinesAddSuccess"] * 4
    assert [r[1] for r in results[4:]] == [[], [], []]
    data, _ = await execute(CART_QUERY, {"id": cart_id}, STOREFRONT, cart_token=token)
    assert data is not None
    cart = data["cart"]
    assert [(x["sku"], x["quantity"]) for x in cart["lines"]] == [
        ("SKU-005-G", 2),
        ("SKU-006-G", 4),
    ]
    assert cart["version"] == 2 + 4 + 3

    # when two devices both write from the version they last read
    version = cart["version"]
    phone, laptop = await asyncio.gather(
        add(
            execute,
            STOREFRONT,
            cart_id,
            line("prod-007", "SKU-007-G", 1),
            cart_token=token,
            version=version,
        ),
        add(
            execute,
            STOREFRONT,
            cart_id,
            line("prod-008", "SKU-008-G", 1),
            cart_token=token,
            version=version,
        ),
    )

    # then exactly one wins and the other learns the cart's new version
    outcomes = sorted([phone["__typename"], laptop["__typename"]])
    assert outcomes == ["CartLinesAddError", "CartLinesAddSuccess"]
    loser = phone if phone["__typename"] == "CartLinesAddError" else laptop
    assert (loser["code"], loser["currentVersion"]) == ("VERSION_CONFLICT", version + 1)


async def test_checkout_happy_path_and_merchant_fulfilment(
    execute: Any, services: Services
) -> None:
    # given an anonymous visitor's cart, merged into their account at sign-in
    buyer = shopper("happy")
    anonymous, token = await anonymous_cart(execute)
    added = await add(
        execute,
        STOREFRONT,
        anonymous,
        line("prod-009", "SKU-009-G", 2),
        line("prod-009", "SKU-009-B", 1),
        cart_token=token,
    )
    assert added["__typename"] == "CartLinesAddSuccess"
    data, errors = await execute(CART_MERGE, {"cartId": anonymous}, buyer, cart_token=token)
    assert errors == []
    cart_id = result_of(data, "cartMerge")["cart"]["id"]

    # when the shopper checks out with a card that works
    key = new_key()
    paid = await checkout(execute, buyer, cart_id, key=key)
    replay = await checkout(execute, buyer, cart_id, key=key)

    # then the order is PAID at catalog prices, once, and the stock is allocated
    assert paid["__typename"] == "CheckoutCompleteSuccess", paid
    order = paid["order"]
    assert order["status"] == "PAID"
    assert [(x["sku"], x["quantity"], x["unitPrice"]["amount"]) for x in order["lines"]] == [
        ("SKU-009-G", 2, 10_900),
        ("SKU-009-B", 1, 12_900),
    ]
    assert order["totals"]["total"] == {"amount": 34_700, "currency": "EUR"}
    assert [(p["status"], p["amount"]["amount"]) for p in order["payments"]] == [
        ("CAPTURED", 34_700)
    ]
    assert replay == paid
    assert services.shopping is not None
    assert await services.shopping.inventory.available(["SKU-009-G", "SKU-009-B"]) == {
        "SKU-009-G": STOCK_PER_SKU - 2,
        "SKU-009-B": STOCK_PER_SKU - 1,
    }

    # when the merchant ships it
    data, errors = await execute(ORDER_FULFILL, {"id": order["id"], "text": "DHL 1"}, MERCHANT)

    # then it is FULFILLED with the whole audit trail, and the units left the warehouse
    assert errors == []
    shipped = result_of(data, "orderFulfill")["order"]
    assert [(e["toStatus"], e["actor"].split(":")[0]) for e in shipped["events"]] == [
        ("PENDING_PAYMENT", "shopper"),
        ("PAID", "system"),
        ("FULFILLED", "admin"),
    ]
    [level] = await services.shopping.inventory.stock_levels(["SKU-009-G"])
    assert level is not None
    assert (level.on_hand, level.allocated) == (STOCK_PER_SKU - 2, 0)


async def test_a_declined_card_then_a_refund_over_http(execute: Any, services: Services) -> None:
    # given a cart and a declined card
    buyer = shopper("refund")
    cart_id = await shopper_cart(execute, buyer)
    await add(execute, buyer, cart_id, line("prod-010", "SKU-010-G", 1))
    declined = await checkout(
        execute, buyer, cart_id, token="pm_card_chargeDeclinedInsufficientFunds"
    )
    assert (declined["code"], declined["declineCode"]) == ("PAYMENT_DECLINED", "insufficient_funds")
    assert declined["placedOrder"]["status"] == "CANCELLED"

    # when they pay with another card and the merchant refunds it
    paid = await checkout(execute, buyer, cart_id)
    data, errors = await execute(
        ORDER_REFUND, {"id": paid["order"]["id"], "text": "damaged"}, MERCHANT
    )

    # then the order is REFUNDED, the payment too, and the unit is back on sale
    assert errors == []
    refunded = result_of(data, "orderRefund")["order"]
    assert refunded["status"] == "REFUNDED"
    assert [p["status"] for p in refunded["payments"]] == ["REFUNDED"]
    assert services.shopping is not None
    assert await services.shopping.inventory.available(["SKU-010-G"]) == {
        "SKU-010-G": STOCK_PER_SKU
    }


async def _callback(
    http: httpx.AsyncClient, payload: dict[str, Any], secret: str = WEBHOOK_SECRET
) -> httpx.Response:
    body = json.dumps(payload).encode()
    return await http.post(
        "/webhooks/payments/test",
        content=body,
        headers={"content-type": "application/json", SIGNATURE_HEADER: sign(secret, body)},
    )


async def test_replayed_payment_callbacks_change_nothing(
    execute: Any, http: httpx.AsyncClient, services: Services
) -> None:
    # given an order waiting for 3-D Secure
    buyer = shopper("threeds")
    cart_id = await shopper_cart(execute, buyer)
    await add(execute, buyer, cart_id, line("prod-011", "SKU-011-G", 1))
    pending = await checkout(execute, buyer, cart_id, token="pm_card_authenticationRequired")
    assert pending["code"] == "PAYMENT_REQUIRES_ACTION"
    order_global_id = pending["placedOrder"]["id"]
    _, order_id = from_global_id(order_global_id)
    assert services.shopping is not None
    provider = services.shopping.payments
    assert isinstance(provider, TestPaymentProvider)
    reference = pending["nextActionUrl"].rsplit("/", 1)[-1]
    success = provider.action_completed(reference, succeeded=True)
    payload = {
        "orderId": order_id,
        "providerRef": success.provider_ref,
        "status": success.status.value,
        "amount": success.amount.amount,
        "currency": success.amount.currency,
    }

    # when the provider calls back, replays the callback, then sends a late "declined"
    async with services.events.subscribe([Topic.ORDER_STATUS_CHANGED]) as moves:
        first = await _callback(http, payload)
        replayed = await _callback(http, payload)
        late = await _callback(
            http, {**payload, "status": "DECLINED", "failureCode": "authentication_failed"}
        )
        forged = await _callback(http, payload, secret="not-the-secret")
        unknown = await _callback(http, {**payload, "orderId": str(uuid.uuid4())})
        published = await anext(moves)
        left_over = moves.pending

    # then one move was published for the one callback that changed the order
    assert (published.key, dict(published.payload)) == (
        order_id,
        {
            "status": "PAID",
            "previousStatus": "PENDING_PAYMENT",
            "ownerSub": buyer.subject,
            "orderNumber": published.payload["orderNumber"],
        },
    )
    assert left_over == 0

    # then the order is PAID exactly once; the replay answers the same; the rest is refused
    assert (first.status_code, first.json()) == (200, {"orderId": order_id, "status": "PAID"})
    assert (replayed.status_code, replayed.json()) == (200, first.json())
    assert (late.status_code, late.json()["error"], late.json()["orderStatus"]) == (
        409,
        "ILLEGAL_TRANSITION",
        "PAID",
    )
    assert (forged.status_code, forged.json()["error"]) == (401, "BAD_SIGNATURE")
    assert (unknown.status_code, unknown.json()["error"]) == (404, "ORDER_NOT_FOUND")
    data, errors = await execute(ORDER_QUERY, {"id": order_global_id}, buyer)
    assert errors == []
    order = result_of(data, "order")
    assert order["status"] == "PAID"
    assert [(e["toStatus"], e["actor"]) for e in order["events"]] == [
        ("PENDING_PAYMENT", f"shopper:{buyer.subject}"),
        ("PAID", "webhook:test"),
    ]
    assert [p["status"] for p in order["payments"]] == ["CAPTURED"]


PRODUCT_STOCK = """
query Stock($slug: String!) {
  product(slug: $slug) { variants { sku quantityAvailable availability } }
}
"""


async def test_a_checkout_moves_the_catalogs_availability_counter(execute: Any) -> None:
    # given a product page showing the stock of its first variant
    before, errors = await execute(PRODUCT_STOCK, {"slug": "product-010"})
    assert errors == []
    variant = before["product"]["variants"][0]
    buyer = shopper("counter")
    cart_id = await shopper_cart(execute, buyer)
    await add(execute, buyer, cart_id, line("prod-010", variant["sku"], 2))

    # when a shopper buys two units
    paid = await checkout(execute, buyer, cart_id)
    assert paid["__typename"] == "CheckoutCompleteSuccess", paid

    # then the product page soon shows two fewer (the projection follows the order's event)
    seen: list[int] = []
    for _ in range(200):
        after, errors = await execute(PRODUCT_STOCK, {"slug": "product-010"})
        assert errors == []
        seen.append(after["product"]["variants"][0]["quantityAvailable"])
        if seen[-1] == STOCK_PER_SKU - 2:
            break
        await asyncio.sleep(0.05)
    assert seen[-1] == STOCK_PER_SKU - 2, seen


async def test_a_shopper_cancels_an_order_awaiting_3d_secure_and_the_hold_is_voided(
    execute: Any, services: Services
) -> None:
    # given shopper A's order waiting for 3-D Secure, and shopper B
    owner, other = shopper("cancel-a"), shopper("cancel-b")
    cart_id = await shopper_cart(execute, owner)
    await add(execute, owner, cart_id, line("prod-008", "SKU-008-B", 2))
    pending = await checkout(execute, owner, cart_id, token="pm_card_authenticationRequired")
    order_id = pending["placedOrder"]["id"]
    assert services.shopping is not None
    provider = services.shopping.payments
    assert isinstance(provider, TestPaymentProvider)
    reference = pending["nextActionUrl"].rsplit("/", 1)[-1]

    # when B tries to cancel it, then A does
    by_other, _ = await execute(ORDER_CANCEL, {"id": order_id}, other)
    by_owner, errors = await execute(ORDER_CANCEL, {"id": order_id, "text": "too slow"}, owner)

    # then B gets NOT_FOUND; A's hold is voided at the provider and stored VOIDED, the order
    # is CANCELLED and the two units are on sale again
    assert result_of(by_other, "orderCancel")["code"] == "NOT_FOUND"
    assert errors == []
    order = result_of(by_owner, "orderCancel")["order"]
    assert order["status"] == "CANCELLED"
    assert [(p["status"], p["nextActionUrl"]) for p in order["payments"]] == [("VOIDED", None)]
    assert ("void", reference) in provider.calls
    assert await services.shopping.inventory.available(["SKU-008-B"]) == {
        "SKU-008-B": STOCK_PER_SKU
    }


async def test_a_merchants_stock_adjustment_reaches_the_product_page(execute: Any) -> None:
    # given the product page of product-011
    before, errors = await execute(PRODUCT_STOCK, {"slug": "product-011"})
    assert errors == []
    sku = before["product"]["variants"][1]["sku"]

    # when a merchant books a delivery of 30 units of its second variant
    data, errors = await execute(
        INVENTORY_ADJUST, adjustment("prod-011", sku, 30, note="PO-42"), MERCHANT
    )
    assert errors == []
    adjusted = result_of(data, "inventoryAdjust")

    # then it is audited and the page soon shows the new units (the projection follows)
    assert adjusted["adjustment"]["onHandAfter"] == STOCK_PER_SKU + 30
    assert adjusted["adjustment"]["actor"] == f"admin:{MERCHANT.subject}"
    seen: list[int] = []
    for _ in range(200):
        after, errors = await execute(PRODUCT_STOCK, {"slug": "product-011"})
        assert errors == []
        seen.append(after["product"]["variants"][1]["quantityAvailable"])
        if seen[-1] == STOCK_PER_SKU + 30:
            break
        await asyncio.sleep(0.05)
    assert seen[-1] == STOCK_PER_SKU + 30, seen
