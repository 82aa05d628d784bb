"""Orders through the real schema on fakes: history pages, the merchants' listing and the
admin order actions along the state machine."""

from __future__ import annotations

from typing import Any

import pytest

from datasources.payments.simulated import TestPaymentProvider
from resolvers.context import AuthMode, Identity
from resolvers.global_ids import to_global_id
from tests.fakes.blobs import FakeBlobStore
from tests.fakes.catalog import FakeAssetUrls, FakeCatalog
from tests.fakes.shopping import FakeShop, fake_shopping
from tests.graphql_client import SchemaClient
from tests.support.shopping_api import (
    ADMIN_ORDERS,
    MERCHANT,
    MY_ORDERS,
    ORDER_CANCEL,
    ORDER_FULFILL,
    ORDER_QUERY,
    ORDER_REFUND,
    SHOPPER_A,
    SHOPPER_B,
    STOREFRONT,
    add,
    checkout,
    line,
    new_key,
    result_of,
    shopper_cart,
)


@pytest.fixture
def provider() -> TestPaymentProvider:
    return TestPaymentProvider()


@pytest.fixture
def client(catalog: FakeCatalog, shop: FakeShop, provider: TestPaymentProvider) -> SchemaClient:
    sources, _ = fake_shopping(shop, payments=provider)
    return SchemaClient(catalog, FakeBlobStore(), FakeAssetUrls(), shopping=sources)


async def _order(
    execute: Any, shopper: Identity, sku_index: int, token: str = "pm_card_visa"
) -> dict[str, Any]:
    cart_id = await shopper_cart(execute, shopper)
    await add(execute, shopper, cart_id, line(f"prod-00{sku_index}", f"SKU-00{sku_index}-G", 1))
    return await checkout(execute, shopper, cart_id, token=token)


async def test_order_history_pages_newest_first(execute: Any) -> None:
    # given three orders of shopper A and one of shopper B
    placed = [(await _order(execute, SHOPPER_A, i))["order"]["id"] for i in (1, 2, 3)]
    await _order(execute, SHOPPER_B, 4)

    # when A reads their history two at a time
    first, errors = await execute(MY_ORDERS, {"first": 2}, SHOPPER_A)
    assert errors == []
    assert first is not None
    cursor = first["myOrders"]["pageInfo"]["endCursor"]
    second, errors = await execute(MY_ORDERS, {"first": 2, "after": cursor}, SHOPPER_A)
    junk, junk_errors = await execute(MY_ORDERS, {"first": 2, "after": "junk"}, SHOPPER_A)
    too_many, too_many_errors = await execute(MY_ORDERS, {"first": 101}, SHOPPER_A)

    # then the pages hold A's orders newest first, and bad paging is BAD_USER_INPUT
    assert errors == []
    assert second is not None
    assert [o["id"] for o in first["myOrders"]["nodes"]] == placed[::-1][:2]
    assert [o["id"] for o in second["myOrders"]["nodes"]] == placed[:1]
    assert (first["myOrders"]["totalCount"], first["myOrders"]["pageInfo"]["hasNextPage"]) == (
        3,
        True,
    )
    assert second["myOrders"]["pageInfo"]["hasNextPage"] is False
    assert junk is None
    assert too_many is None
    assert (
        junk_errors[0]["extensions"]["code"]
        == too_many_errors[0]["extensions"]["code"]
        == "BAD_USER_INPUT"
    )


async def test_order_history_reads_events_and_payments_in_one_batch_each(
    execute: Any, shop: FakeShop
) -> None:
    # given three orders of one shopper
    for index in (1, 2, 3):
        await _order(execute, SHOPPER_A, index)
    shop.operations.clear()

    # when the shopper reads the history with every order's events and payments
    data, errors = await execute(MY_ORDERS, {"first": 10}, SHOPPER_A)

    # then each nested list is one batched store call, not one per order
    assert errors == []
    assert data is not None
    assert [len(o["events"]) for o in data["myOrders"]["nodes"]] == [2, 2, 2]
    assert shop.operations.count("events_by_order_ids") == 1
    assert shop.operations.count("payments_by_order_ids") == 1
    assert shop.operations.count("order_events") == shop.operations.count("payments") == 0


async def test_orders_need_a_sign_in(execute: Any) -> None:
    data, errors = await execute(MY_ORDERS, {"first": 2}, STOREFRONT)
    assert data is None
    assert errors[0]["extensions"] == {
        "errorType": "UnauthorizedException",
        "code": "UNAUTHENTICATED",
    }


async def test_one_order_reads_with_its_lines_events_and_payments(execute: Any) -> None:
    placed = (await _order(execute, SHOPPER_A, 5))["order"]
    data, errors = await execute(ORDER_QUERY, {"id": placed["id"]}, SHOPPER_A)
    assert errors == []
    assert data == {"order": placed}
    assert placed["lines"][0]["product"] == {"name": "Product 005"}


async def test_merchants_list_every_order_by_status_and_customer(execute: Any) -> None:
    # given a paid order of A, a declined one of A and a paid one of B
    paid_a = (await _order(execute, SHOPPER_A, 1))["order"]["id"]
    declined_a = (await _order(execute, SHOPPER_A, 2, "pm_card_chargeDeclined"))["placedOrder"][
        "id"
    ]
    paid_b = (await _order(execute, SHOPPER_B, 3))["order"]["id"]

    async def listing(filter: dict[str, Any] | None) -> list[str]:
        data, errors = await execute(ADMIN_ORDERS, {"filter": filter, "first": 10}, MERCHANT)
        assert errors == []
        assert data is not None
        return [o["id"] for o in data["orders"]["nodes"]]

    # when a merchant filters; and a shopper tries the merchants' listing
    everything = await listing(None)
    paid = await listing({"statuses": ["PAID"]})
    of_a = await listing({"customerId": "shopper-a-sub"})
    denied, denied_errors = await execute(ADMIN_ORDERS, {"first": 10}, SHOPPER_A)

    # then the filters hold, and shoppers are FORBIDDEN
    assert everything == [paid_b, declined_a, paid_a]
    assert paid == [paid_b, paid_a]
    assert of_a == [declined_a, paid_a]
    assert denied is None
    assert denied_errors[0]["extensions"] == {"errorType": "Forbidden", "code": "FORBIDDEN"}


async def _admin(
    execute: Any, operation: str, field: str, order_id: str, **variables: Any
) -> dict[str, Any]:
    data, errors = await execute(operation, {"id": order_id, **variables}, MERCHANT)
    assert errors == []
    return result_of(data, field)


async def test_a_paid_order_is_fulfilled_once(execute: Any, shop: FakeShop) -> None:
    # given a paid order of one sofa (5 on hand)
    order_id = (await _order(execute, SHOPPER_A, 1))["order"]["id"]
    key = new_key()

    # when a merchant fulfils it, retries with the same key, then fulfils it again
    fulfilled = await _admin(
        execute, ORDER_FULFILL, "orderFulfill", order_id, text="DHL 123", key=key
    )
    retried = await _admin(
        execute, ORDER_FULFILL, "orderFulfill", order_id, text="DHL 123", key=key
    )
    again = await _admin(execute, ORDER_FULFILL, "orderFulfill", order_id)
    cancel = await _admin(execute, ORDER_CANCEL, "orderCancel", order_id)

    # then it ships once (the unit leaves the stock); the rest is ILLEGAL_TRANSITION
    assert fulfilled["order"]["status"] == "FULFILLED"
    assert fulfilled["order"]["events"][-1] == {
        "fromStatus": "PAID",
        "toStatus": "FULFILLED",
        "actor": "admin:merchant-sub",
        "note": "DHL 123",
    }
    assert retried == fulfilled
    assert (again["code"], again["orderStatus"]) == ("ILLEGAL_TRANSITION", "FULFILLED")
    assert cancel["code"] == "ILLEGAL_TRANSITION"
    assert (shop.stock["SKU-001-G"].on_hand, shop.stock["SKU-001-G"].allocated) == (4, 0)


async def test_a_paid_order_is_refunded_with_the_provider(
    execute: Any, shop: FakeShop, provider: TestPaymentProvider
) -> None:
    # given a paid order
    order_id = (await _order(execute, SHOPPER_A, 2))["order"]["id"]

    # when a merchant refunds it, twice, then cancels it
    refunded = await _admin(execute, ORDER_REFUND, "orderRefund", order_id, text="changed mind")
    twice = await _admin(execute, ORDER_REFUND, "orderRefund", order_id)
    cancel = await _admin(execute, ORDER_CANCEL, "orderCancel", order_id)

    # then the money goes back once and the stock is free again
    assert (cancel["code"], cancel["orderStatus"]) == ("ILLEGAL_TRANSITION", "REFUNDED")
    order = refunded["order"]
    assert order["status"] == "REFUNDED"
    assert [p["status"] for p in order["payments"]] == ["REFUNDED"]
    assert [call for call, _ in provider.calls].count("refund") == 1
    assert (twice["code"], twice["orderStatus"]) == ("ILLEGAL_TRANSITION", "REFUNDED")
    assert shop.stock["SKU-002-G"].allocated == 0


async def test_an_order_awaiting_3d_secure_can_be_cancelled(execute: Any, shop: FakeShop) -> None:
    pending = await _order(execute, SHOPPER_A, 3, "pm_card_authenticationRequired")
    order_id = pending["placedOrder"]["id"]
    cancelled = await _admin(execute, ORDER_CANCEL, "orderCancel", order_id, text="no 3DS")
    assert cancelled["order"]["status"] == "CANCELLED"
    assert cancelled["order"]["events"][-1]["note"] == "no 3DS"
    assert shop.stock["SKU-003-G"].allocated == 0


@pytest.mark.parametrize(
    ("operation", "field"), [(ORDER_FULFILL, "orderFulfill"), (ORDER_REFUND, "orderRefund")]
)
async def test_admin_order_actions_name_missing_orders_and_need_the_admin_group(
    execute: Any, operation: str, field: str
) -> None:
    missing = await _admin(
        execute, operation, field, to_global_id("Order", "00000000-0000-0000-0000-000000000000")
    )
    assert (missing["code"], missing["field"]) == ("NOT_FOUND", "id")
    shopper = Identity(mode=AuthMode.AMAZON_COGNITO_USER_POOLS, subject="s")
    data, errors = await execute(operation, {"id": to_global_id("Order", "x")}, shopper)
    assert data is None
    assert errors[0]["extensions"]["code"] == "FORBIDDEN"


async def _cancel(execute: Any, who: Identity, order_id: str, **variables: Any) -> dict[str, Any]:
    data, errors = await execute(ORDER_CANCEL, {"id": order_id, **variables}, who)
    assert errors == []
    return result_of(data, "orderCancel")


async def test_a_shopper_cancels_their_order_awaiting_3d_secure_and_the_hold_is_voided(
    execute: Any, shop: FakeShop, provider: TestPaymentProvider
) -> None:
    # given shopper A's order waiting for 3-D Secure (its card authorization is open)
    pending = await _order(execute, SHOPPER_A, 4, "pm_card_authenticationRequired")
    order_id = pending["placedOrder"]["id"]
    reference = pending["nextActionUrl"].rsplit("/", 1)[-1]

    # when shopper B tries to cancel it, then A cancels it, then A retries
    by_b = await _cancel(execute, SHOPPER_B, order_id)
    by_a = await _cancel(execute, SHOPPER_A, order_id, text="found it cheaper")
    again = await _cancel(execute, SHOPPER_A, order_id)

    # then B learns nothing; A's authorization is voided with the provider, the order is
    # CANCELLED by the shopper, the unit is back, and the hold can no longer be completed
    assert (by_b["code"], by_b["orderStatus"]) == ("NOT_FOUND", None)
    order = by_a["order"]
    assert order["status"] == "CANCELLED"
    assert [p["status"] for p in order["payments"]] == ["VOIDED"]
    assert order["events"][-1] == {
        "fromStatus": "PENDING_PAYMENT",
        "toStatus": "CANCELLED",
        "actor": "shopper:shopper-a-sub",
        "note": "found it cheaper",
    }
    assert ("void", reference) in provider.calls
    assert shop.stock["SKU-004-G"].allocated == 0
    assert provider.action_completed(reference, succeeded=True).status.value == "DECLINED"
    assert (again["code"], again["orderStatus"]) == ("ILLEGAL_TRANSITION", "CANCELLED")


async def test_a_shopper_cancelling_a_paid_order_gets_a_refund(
    execute: Any, shop: FakeShop, provider: TestPaymentProvider
) -> None:
    # given shopper A's paid order
    order_id = (await _order(execute, SHOPPER_A, 5))["order"]["id"]
    key = new_key()

    # when A cancels it before it ships, and retries with the same key
    cancelled = await _cancel(execute, SHOPPER_A, order_id, key=key)
    retried = await _cancel(execute, SHOPPER_A, order_id, key=key)

    # then the capture is refunded once with the provider and the order is REFUNDED
    assert cancelled["order"]["status"] == "REFUNDED"
    assert [p["status"] for p in cancelled["order"]["payments"]] == ["REFUNDED"]
    assert cancelled["order"]["events"][-1]["actor"] == "shopper:shopper-a-sub"
    assert retried == cancelled
    assert [call for call, _ in provider.calls].count("refund") == 1
    assert shop.stock["SKU-005-G"].allocated == 0


async def test_cancelling_when_the_payment_went_through_meanwhile_refunds_it(
    execute: Any, provider: TestPaymentProvider
) -> None:
    # given an order waiting for 3-D Secure whose shopper completed it at the provider,
    # before the provider's callback reached the gateway
    pending = await _order(execute, SHOPPER_A, 6, "pm_card_authenticationRequired")
    reference = pending["nextActionUrl"].rsplit("/", 1)[-1]
    provider.action_completed(reference, succeeded=True)

    # when a merchant cancels it
    cancelled = await _admin(execute, ORDER_CANCEL, "orderCancel", pending["placedOrder"]["id"])

    # then the void finds the money taken: it is recorded, refunded, and the order REFUNDED
    order = cancelled["order"]
    assert order["status"] == "REFUNDED"
    assert [p["status"] for p in order["payments"]] == ["REFUNDED"]
    assert [e["toStatus"] for e in order["events"]][-2:] == ["PAID", "REFUNDED"]
    assert [call for call, _ in provider.calls][-2:] == ["void", "refund"]


async def test_a_void_the_provider_refuses_leaves_the_order_as_it_was(
    execute: Any, shop: FakeShop, provider: TestPaymentProvider
) -> None:
    # given an order waiting for 3-D Secure, and a provider that no longer knows the hold
    pending = await _order(execute, SHOPPER_A, 7, "pm_card_authenticationRequired")
    provider._amounts.clear()

    # when the shopper cancels it
    refused = await _cancel(execute, SHOPPER_A, pending["placedOrder"]["id"])

    # then it is a typed PAYMENT_VOID_FAILED and nothing moved
    assert (refused["code"], refused["orderStatus"]) == ("PAYMENT_VOID_FAILED", "PENDING_PAYMENT")
    assert shop.stock["SKU-007-G"].allocated == 1


async def test_cancelling_needs_a_signed_in_caller(execute: Any) -> None:
    data, errors = await execute(ORDER_CANCEL, {"id": to_global_id("Order", "x")}, STOREFRONT)
    assert data is None
    assert errors[0]["extensions"]["code"] == "UNAUTHENTICATED"
