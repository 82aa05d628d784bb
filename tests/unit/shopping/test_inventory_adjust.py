"""inventoryAdjust and stockLevel through the real schema on fakes: who may adjust, the
typed refusals, idempotent retries and the INVENTORY_CHANGED event."""

from __future__ import annotations

from typing import Any

import pytest

from datasources.events import Topic
from tests.fakes.shopping import FakeShop
from tests.graphql_client import SchemaClient
from tests.support.shopping_api import (
    INVENTORY_ADJUST,
    MERCHANT,
    SHOPPER_A,
    STOCK_LEVEL,
    STOREFRONT,
    add,
    adjustment,
    checkout,
    line,
    new_key,
    result_of,
    shopper_cart,
)
from tests.unit.shopping.conftest import STOCK_PER_SKU


async def _adjust(execute: Any, variables: dict[str, Any]) -> dict[str, Any]:
    data, errors = await execute(INVENTORY_ADJUST, variables, MERCHANT)
    assert errors == []
    return result_of(data, "inventoryAdjust")


async def test_a_delivery_adds_units_with_an_audit_record_and_an_event(
    execute: Any, client: SchemaClient, shop: FakeShop
) -> None:
    # given 5 units of SKU-001-G and a subscriber to inventory changes
    async with client.sources.events.subscribe([Topic.INVENTORY_CHANGED]) as changes:
        # when a merchant books a delivery of 12
        adjusted = await _adjust(
            execute, adjustment("prod-001", "SKU-001-G", 12, note="PO-7781", reason="RECEIVED")
        )
        event = await anext(changes)

    # then the units on hand rise, the record names the admin, and the change is published
    assert adjusted["__typename"] == "InventoryAdjustSuccess", adjusted
    assert adjusted["adjustment"] == {
        "id": 1,
        "sku": "SKU-001-G",
        "delta": 12,
        "onHandBefore": STOCK_PER_SKU,
        "onHandAfter": STOCK_PER_SKU + 12,
        "reason": "RECEIVED",
        "note": "PO-7781",
        "actor": "admin:merchant-sub",
    }
    assert adjusted["stock"]["available"] == STOCK_PER_SKU + 12
    assert shop.stock["SKU-001-G"].on_hand == STOCK_PER_SKU + 12
    assert (event.key, dict(event.payload)) == (
        "SKU-001-G",
        {"available": STOCK_PER_SKU + 12, "productId": "prod-001"},
    )


async def test_units_held_by_orders_cannot_be_taken_off(execute: Any, shop: FakeShop) -> None:
    # given 3 of the 5 units of SKU-002-G allocated to an order awaiting 3-D Secure
    cart_id = await shopper_cart(execute, SHOPPER_A)
    await add(execute, SHOPPER_A, cart_id, line("prod-002", "SKU-002-G", 3))
    pending = await checkout(execute, SHOPPER_A, cart_id, token="pm_card_authenticationRequired")
    assert pending["code"] == "PAYMENT_REQUIRES_ACTION"

    # when a merchant writes off 3 units, then 2
    refused = await _adjust(execute, adjustment("prod-002", "SKU-002-G", -3, reason="DAMAGED"))
    allowed = await _adjust(execute, adjustment("prod-002", "SKU-002-G", -2, reason="DAMAGED"))

    # then the first is BELOW_COMMITTED (2 could go) and changes nothing; the second goes
    assert (refused["code"], refused["requested"], refused["available"]) == (
        "BELOW_COMMITTED",
        3,
        2,
    )
    assert allowed["stock"] == {
        "sku": "SKU-002-G",
        "onHand": 3,
        "allocated": 3,
        "reserved": 0,
        "available": 0,
    }
    assert len(shop.adjustments) == 1


@pytest.mark.parametrize(
    ("variables", "code", "field"),
    [
        (adjustment("prod-003", "SKU-003-G", 0), "INVALID_QUANTITY", "delta"),
        (adjustment("prod-003", "SKU-003-G", 1_000_001), "INVALID_QUANTITY", "delta"),
        (adjustment("prod-003", "SKU-004-G", 1), "UNKNOWN_SKU", "sku"),
        (adjustment("ghost", "SKU-003-G", 1), "NOT_FOUND", "productId"),
    ],
    ids=["zero", "huge", "sku-of-another-product", "unknown-product"],
)
async def test_bad_adjustments_are_typed_errors(
    execute: Any, shop: FakeShop, variables: dict[str, Any], code: str, field: str
) -> None:
    refused = await _adjust(execute, variables)
    assert (refused["code"], refused["field"]) == (code, field)
    assert shop.adjustments == []


async def test_a_sku_without_stock_is_not_tracked(execute: Any, shop: FakeShop) -> None:
    del shop.stock["SKU-003-B"]
    refused = await _adjust(execute, adjustment("prod-003", "SKU-003-B", 4))
    assert (refused["code"], refused["sku"]) == ("STOCK_NOT_TRACKED", "SKU-003-B")


async def test_a_retried_adjustment_is_applied_once(execute: Any, shop: FakeShop) -> None:
    key = new_key()
    first = await _adjust(execute, adjustment("prod-004", "SKU-004-G", 7, key=key))
    retried = await _adjust(execute, adjustment("prod-004", "SKU-004-G", 7, key=key))
    other = await _adjust(execute, adjustment("prod-004", "SKU-004-G", 8, key=key))
    assert retried == first
    assert other["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert shop.stock["SKU-004-G"].on_hand == STOCK_PER_SKU + 7


async def test_only_merchant_admins_adjust_or_read_stock(execute: Any, shop: FakeShop) -> None:
    variables = adjustment("prod-005", "SKU-005-G", 100)
    shopper_data, shopper_errors = await execute(INVENTORY_ADJUST, variables, SHOPPER_A)
    key_data, key_errors = await execute(INVENTORY_ADJUST, variables, STOREFRONT)
    read_data, read_errors = await execute(STOCK_LEVEL, {"sku": "SKU-005-G"}, SHOPPER_A)
    assert (shopper_data, shopper_errors[0]["extensions"]["code"]) == (None, "FORBIDDEN")
    assert (key_data, key_errors[0]["extensions"]["code"]) == (None, "UNAUTHENTICATED")
    assert (read_data, read_errors[0]["extensions"]["code"]) == ({"stockLevel": None}, "FORBIDDEN")
    assert shop.stock["SKU-005-G"].on_hand == STOCK_PER_SKU


async def test_stock_level_shows_the_history_newest_first(execute: Any) -> None:
    await _adjust(execute, adjustment("prod-006", "SKU-006-G", 10, reason="RECEIVED"))
    await _adjust(execute, adjustment("prod-006", "SKU-006-G", -1, reason="LOST"))
    data, errors = await execute(STOCK_LEVEL, {"sku": "SKU-006-G", "first": 5}, MERCHANT)
    missing, _ = await execute(STOCK_LEVEL, {"sku": "SKU-NOPE"}, MERCHANT)
    assert errors == []
    level = result_of(data, "stockLevel")
    assert (level["onHand"], level["available"]) == (STOCK_PER_SKU + 9, STOCK_PER_SKU + 9)
    assert [(a["delta"], a["reason"]) for a in level["adjustments"]] == [
        (-1, "LOST"),
        (10, "RECEIVED"),
    ]
    assert missing == {"stockLevel": None}
