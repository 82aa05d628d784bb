"""checkoutComplete through the real schema on fakes: the paid path, every typed failure,
payments that are declined, need 3-D Secure or time out, and idempotent retries."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from datasources.payments.simulated import TestPaymentProvider
from datasources.records import Money, ProductStatus
from datasources.shopping_records import DiscountCodeRecord, DiscountKind
from tests.fakes.blobs import FakeBlobStore
from tests.fakes.catalog import FakeAssetUrls, FakeCatalog
from tests.fakes.shopping import FakeShop, fake_shopping
from tests.graphql_client import SchemaClient
from tests.support.shopping_api import (
    CART_QUERY,
    DISCOUNT_APPLY,
    MY_ORDERS,
    SHOPPER_A,
    STOREFRONT,
    add,
    anonymous_cart,
    checkout,
    line,
    new_key,
    shopper_cart,
)

SOFA = line("prod-001", "SKU-001-G", 2)  # 101.00 EUR each
LAMP = line("prod-002", "SKU-002-B", 1)  # 122.00 EUR


@pytest.fixture
def provider() -> TestPaymentProvider:
    return TestPaymentProvider()


@pytest.fixture
def client(catalog: FakeCatalog, shop: FakeShop, provider: TestPaymentProvider) -> SchemaClient:
    sources, _ = fake_shopping(shop, payments=provider)
    return SchemaClient(catalog, FakeBlobStore(), FakeAssetUrls(), shopping=sources)


async def _cart_with(execute: Any, *lines: dict[str, object]) -> str:
    cart_id = await shopper_cart(execute, SHOPPER_A)
    added = await add(execute, SHOPPER_A, cart_id, *lines)
    assert added["__typename"] == "CartLinesAddSuccess", added
    return cart_id


async def test_a_paid_checkout_places_the_order_and_allocates_the_stock(
    execute: Any, shop: FakeShop, provider: TestPaymentProvider
) -> None:
    # given a shopper's cart with two sofas and a lamp
    cart_id = await _cart_with(execute, SOFA, LAMP)

    # when they check out with a card that works
    result = await checkout(execute, SHOPPER_A, cart_id)

    # then the order is PAID at catalog prices, with its audit trail and captured payment
    assert result["__typename"] == "CheckoutCompleteSuccess", result
    order = result["order"]
    assert (order["status"], order["customerId"], order["itemCount"]) == (
        "PAID",
        "shopper-a-sub",
        3,
    )
    assert [(x["sku"], x["quantity"], x["unitPrice"]["amount"]) for x in order["lines"]] == [
        ("SKU-001-G", 2, 10_100),
        ("SKU-002-B", 1, 12_200),
    ]
    assert order["totals"]["total"] == {"amount": 32_400, "currency": "EUR"}
    assert [(e["fromStatus"], e["toStatus"]) for e in order["events"]] == [
        (None, "PENDING_PAYMENT"),
        ("PENDING_PAYMENT", "PAID"),
    ]
    assert order["events"][0]["actor"] == "shopper:shopper-a-sub"
    assert [(p["provider"], p["status"], p["amount"]["amount"]) for p in order["payments"]] == [
        ("test", "CAPTURED", 32_400)
    ]
    assert [call for call, _ in provider.calls] == ["authorize", "capture"]
    # and the stock is allocated, the cart completed, and a new cart opens next time
    assert (shop.stock["SKU-001-G"].allocated, shop.stock["SKU-002-B"].allocated) == (2, 1)
    data, _ = await execute(CART_QUERY, {"id": cart_id}, SHOPPER_A)
    assert data is not None
    assert data["cart"]["status"] == "COMPLETED"
    assert await shopper_cart(execute, SHOPPER_A) != cart_id
    history, errors = await execute(MY_ORDERS, {"first": 10}, SHOPPER_A)
    assert errors == []
    assert history is not None
    assert [o["id"] for o in history["myOrders"]["nodes"]] == [order["id"]]


async def test_a_declined_card_gives_everything_back_and_a_new_key_pays(
    execute: Any, shop: FakeShop
) -> None:
    # given a cart
    cart_id = await _cart_with(execute, SOFA)

    # when the card is declined
    declined = await checkout(execute, SHOPPER_A, cart_id, token="pm_card_chargeDeclined")

    # then the error carries the reason and the cancelled order; the stock is back
    assert (declined["code"], declined["declineCode"], declined["orderStatus"]) == (
        "PAYMENT_DECLINED",
        "generic_decline",
        "CANCELLED",
    )
    assert declined["placedOrder"]["status"] == "CANCELLED"
    assert shop.stock["SKU-001-G"].allocated == 0

    # when the shopper pays with another card (a new attempt, a new key)
    paid = await checkout(execute, SHOPPER_A, cart_id)

    # then the same cart is paid
    assert paid["__typename"] == "CheckoutCompleteSuccess"
    assert paid["order"]["id"] != declined["placedOrder"]["id"]


async def test_a_card_that_needs_3d_secure_leaves_the_order_pending(
    execute: Any, shop: FakeShop
) -> None:
    # given a cart, and a card that needs 3-D Secure
    cart_id = await _cart_with(execute, SOFA)

    # when the shopper checks out
    action = await checkout(execute, SHOPPER_A, cart_id, token="pm_card_authenticationRequired")

    # then the error says where to confirm, and the order waits holding its stock
    assert action["code"] == "PAYMENT_REQUIRES_ACTION"
    assert action["nextActionUrl"].startswith("https://payments.test/3ds/pi_test_")
    assert (action["orderStatus"], action["placedOrder"]["status"]) == (
        "PENDING_PAYMENT",
        "PENDING_PAYMENT",
    )
    assert shop.stock["SKU-001-G"].allocated == 2


async def test_a_payment_timeout_is_typed(execute: Any) -> None:
    cart_id = await _cart_with(execute, SOFA)
    timed_out = await checkout(execute, SHOPPER_A, cart_id, token="pm_card_timeout")
    assert (timed_out["code"], timed_out["orderStatus"]) == ("PAYMENT_TIMED_OUT", "PENDING_PAYMENT")
    assert timed_out["placedOrder"]["status"] == "PENDING_PAYMENT"


async def test_the_cart_is_checked_against_the_catalog_at_checkout(
    execute: Any, catalog: FakeCatalog, shop: FakeShop
) -> None:
    # given a cart whose products change in the catalog after they were added
    cart_id = await _cart_with(execute, SOFA, LAMP)

    async def attempt() -> dict[str, Any]:
        return await checkout(execute, SHOPPER_A, cart_id)

    sofa = catalog.products["prod-001"]
    catalog.products["prod-001"] = replace(sofa, status=ProductStatus.ARCHIVED)
    archived = await attempt()
    catalog.products["prod-001"] = replace(sofa, variants=sofa.variants[1:])
    unknown = await attempt()
    catalog.products["prod-001"] = replace(
        sofa, variants=(replace(sofa.variants[0], price=Money(10_100, "USD")), sofa.variants[1])
    )
    currency = await attempt()
    catalog.products["prod-001"] = sofa
    shop.put_stock("SKU-002-B", 0)
    short = await attempt()

    # then each is refused with its code and the SKU, and nothing was ordered
    assert (archived["code"], archived["sku"]) == ("NOT_FOR_SALE", "SKU-001-G")
    assert (unknown["code"], unknown["sku"]) == ("UNKNOWN_SKU", "SKU-001-G")
    assert (currency["code"], currency["sku"]) == ("CURRENCY_MISMATCH", "SKU-001-G")
    assert (short["code"], short["sku"], short["requested"], short["available"]) == (
        "INSUFFICIENT_STOCK",
        "SKU-002-B",
        1,
        0,
    )
    assert shop.orders == {}


async def test_empty_carts_stale_versions_and_used_up_codes_are_refused(
    execute: Any, shop: FakeShop
) -> None:
    # given an empty cart
    cart_id = await shopper_cart(execute, SHOPPER_A)
    empty = await checkout(execute, SHOPPER_A, cart_id)

    # and then a cart with a one-use code that someone else used meanwhile
    added = await add(execute, SHOPPER_A, cart_id, SOFA)
    shop.discounts["ONCE"] = DiscountCodeRecord(
        "ONCE", DiscountKind.FIXED, 500, "EUR", usage_limit=1
    )
    data, _ = await execute(DISCOUNT_APPLY, {"cartId": cart_id, "code": "ONCE"}, SHOPPER_A)
    assert data is not None
    assert data["cartDiscountCodeApply"]["__typename"] == "CartDiscountCodeApplySuccess"
    stale = await checkout(execute, SHOPPER_A, cart_id, version=added["cart"]["version"])
    shop.discounts["ONCE"] = replace(shop.discounts["ONCE"], times_used=1)
    exhausted = await checkout(execute, SHOPPER_A, cart_id)

    # then each is typed
    assert empty["code"] == "CART_EMPTY"
    assert (stale["code"], stale["currentVersion"]) == (
        "VERSION_CONFLICT",
        added["cart"]["version"] + 1,
    )
    assert (exhausted["code"], exhausted["discountRejection"]) == (
        "DISCOUNT_CODE_INVALID",
        "EXHAUSTED",
    )
    assert shop.orders == {}


async def test_an_anonymous_cart_is_checked_out_only_after_merging(execute: Any) -> None:
    # given an anonymous cart
    cart_id, token = await anonymous_cart(execute)
    await add(execute, STOREFRONT, cart_id, SOFA, cart_token=token)

    # when a signed-in shopper (or the storefront) checks it out directly
    data, errors = await execute(
        'mutation($c: ID!) { checkoutComplete(cartId: $c, paymentToken: "pm_card_visa", '
        'idempotencyKey: "k") { __typename ... on CheckoutCompleteError { code message } } }',
        {"c": cart_id},
        SHOPPER_A,
        cart_token=token,
    )
    storefront, storefront_errors = await execute(
        'mutation($c: ID!) { checkoutComplete(cartId: $c, paymentToken: "pm_card_visa", '
        'idempotencyKey: "k") { __typename } }',
        {"c": cart_id},
        STOREFRONT,
        cart_token=token,
    )

    # then it is NOT_FOUND for the shopper (merge first) and refused to the storefront
    assert errors == []
    assert data is not None
    assert data["checkoutComplete"]["code"] == "NOT_FOUND"
    assert "cartMerge" in data["checkoutComplete"]["message"]
    assert storefront is None
    assert storefront_errors[0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_retried_checkout_returns_the_first_order_and_charges_once(
    execute: Any, provider: TestPaymentProvider, shop: FakeShop
) -> None:
    # given a paid checkout
    cart_id = await _cart_with(execute, SOFA)
    key = new_key()
    first = await checkout(execute, SHOPPER_A, cart_id, key=key)

    # when the client retries it (lost response), and reuses the key with another card
    retry = await checkout(execute, SHOPPER_A, cart_id, key=key)
    reused = await checkout(execute, SHOPPER_A, cart_id, key=key, token="pm_card_ok_2")

    # then the retry is the same order, paid once; the reuse is refused
    assert retry == first
    assert [call for call, _ in provider.calls] == ["authorize", "capture"]
    assert len(shop.orders) == 1
    assert (reused["code"], reused["field"]) == ("IDEMPOTENCY_KEY_REUSED", "idempotencyKey")


async def test_a_declined_checkout_is_replayed_for_its_key(execute: Any) -> None:
    cart_id = await _cart_with(execute, SOFA)
    key = new_key()
    declined = await checkout(execute, SHOPPER_A, cart_id, token="pm_card_chargeDeclined", key=key)
    again = await checkout(execute, SHOPPER_A, cart_id, token="pm_card_chargeDeclined", key=key)
    assert declined["code"] == "PAYMENT_DECLINED"
    assert again == declined
