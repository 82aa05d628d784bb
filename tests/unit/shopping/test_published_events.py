"""Domain events published by the shopping mutations: after the change, never on failure."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from datasources.events import DomainEvent, Topic
from datasources.events.in_process import EventStream, InProcessEventBus
from datasources.payments.simulated import TestPaymentProvider
from resolvers.global_ids import from_global_id
from tests.fakes.blobs import FakeBlobStore
from tests.fakes.catalog import FakeAssetUrls, FakeCatalog
from tests.fakes.shopping import FakeShop, fake_shopping
from tests.graphql_client import SchemaClient
from tests.support.shopping_api import (
    MERCHANT,
    ORDER_REFUND,
    SHOPPER_A,
    add,
    checkout,
    line,
    new_key,
    result_of,
    shopper_cart,
)

ALL_TOPICS = list(Topic)


@pytest.fixture
def client(catalog: FakeCatalog, shop: FakeShop) -> SchemaClient:
    sources, _ = fake_shopping(shop, payments=TestPaymentProvider())
    return SchemaClient(catalog, FakeBlobStore(), FakeAssetUrls(), shopping=sources)


@pytest.fixture
def bus(client: SchemaClient) -> InProcessEventBus:
    events = client.sources.events
    assert isinstance(events, InProcessEventBus)
    return events


async def _take(stream: EventStream, bus: InProcessEventBus, since: int) -> list[DomainEvent]:
    """The events published since the counter was ``since`` (the in-process bus queued them
    all before publish returned; the timeout only keeps a broken test from hanging)."""
    async with asyncio.timeout(5):
        return [await anext(stream) for _ in range(bus.published - since)]


def _own(global_id: str) -> str:
    return from_global_id(global_id)[1]


def _summary(events: list[DomainEvent]) -> list[tuple[Topic, dict[str, Any]]]:
    return [(event.topic, dict(event.payload)) for event in events]


async def test_paid_checkout_publishes_order_moves_stock_and_cart(
    execute: Any, bus: InProcessEventBus
) -> None:
    # given a shopper's cart with two units of one SKU
    async with bus.subscribe(ALL_TOPICS) as stream:
        cart_id = await shopper_cart(execute, SHOPPER_A)
        start = bus.published
        added = await add(execute, SHOPPER_A, cart_id, line("prod-001", "SKU-001-G", 2))
        after_add = await _take(stream, bus, start)

        # when the shopper checks out and pays
        start = bus.published
        done = await checkout(execute, SHOPPER_A, cart_id)
        after_checkout = await _take(stream, bus, start)

    # then the add published the cart's new version, and the checkout the order's two
    # moves, the SKU's units available now and the cart's new state
    assert added["__typename"] == "CartLinesAddSuccess"
    assert [(e.topic, e.key, e.payload["version"]) for e in after_add] == [
        (Topic.CART_CHANGED, _own(cart_id), added["cart"]["version"])
    ]
    order = done["order"]
    order_id = _own(order["id"])
    assert [e.key for e in after_checkout[:3]] == [order_id, order_id, "SKU-001-G"]
    assert _summary(after_checkout) == [
        (
            Topic.ORDER_STATUS_CHANGED,
            {
                "status": "PENDING_PAYMENT",
                "previousStatus": None,
                "ownerSub": "shopper-a-sub",
                "orderNumber": order["number"],
            },
        ),
        (
            Topic.ORDER_STATUS_CHANGED,
            {
                "status": "PAID",
                "previousStatus": "PENDING_PAYMENT",
                "ownerSub": "shopper-a-sub",
                "orderNumber": order["number"],
            },
        ),
        (Topic.INVENTORY_CHANGED, {"available": 3, "productId": "prod-001"}),
        (
            Topic.CART_CHANGED,
            {
                "ownerSub": "shopper-a-sub",
                "version": after_checkout[3].payload["version"],
                "status": after_checkout[3].payload["status"],
            },
        ),
    ]
    assert after_checkout[3].payload["status"] != "ACTIVE"


async def test_declined_checkout_publishes_the_cancel_and_the_stock_given_back(
    execute: Any, bus: InProcessEventBus
) -> None:
    # given a cart with one unit
    cart_id = await shopper_cart(execute, SHOPPER_A)
    await add(execute, SHOPPER_A, cart_id, line("prod-002", "SKU-002-G", 1))

    # when the payment is declined
    async with bus.subscribe(ALL_TOPICS) as stream:
        start = bus.published
        failed = await checkout(execute, SHOPPER_A, cart_id, token="pm_card_chargeDeclined")
        events = [e for e in await _take(stream, bus, start) if e.topic != Topic.CART_CHANGED]

    # then the order was placed then cancelled, and all 5 units are available again
    assert failed["code"] == "PAYMENT_DECLINED"
    assert [(e.payload.get("previousStatus"), e.payload.get("status")) for e in events[:2]] == [
        (None, "PENDING_PAYMENT"),
        ("PENDING_PAYMENT", "CANCELLED"),
    ]
    assert [(e.topic, e.key, dict(e.payload)) for e in events[2:]] == [
        (Topic.INVENTORY_CHANGED, "SKU-002-G", {"available": 5, "productId": "prod-002"})
    ]


async def test_refund_publishes_paid_to_refunded_and_released_stock(
    execute: Any, bus: InProcessEventBus
) -> None:
    # given a paid order of one unit
    cart_id = await shopper_cart(execute, SHOPPER_A)
    await add(execute, SHOPPER_A, cart_id, line("prod-003", "SKU-003-G", 1))
    order_id = (await checkout(execute, SHOPPER_A, cart_id))["order"]["id"]

    # when the merchant refunds it, then replays the same idempotency key
    key = new_key()
    async with bus.subscribe(ALL_TOPICS) as stream:
        start = bus.published
        data, errors = await execute(ORDER_REFUND, {"id": order_id, "key": key}, MERCHANT)
        first = await _take(stream, bus, start)
        start = bus.published
        again, again_errors = await execute(ORDER_REFUND, {"id": order_id, "key": key}, MERCHANT)
        replayed = await _take(stream, bus, start)

    # then one move and the stock were published, and the replay published nothing
    assert (errors, again_errors) == ([], [])
    assert result_of(data, "orderRefund")["__typename"] == "OrderRefundSuccess"
    assert result_of(again, "orderRefund")["__typename"] == "OrderRefundSuccess"
    assert [(e.topic, e.key) for e in first] == [
        (Topic.ORDER_STATUS_CHANGED, _own(order_id)),
        (Topic.INVENTORY_CHANGED, "SKU-003-G"),
    ]
    assert (first[0].payload["previousStatus"], first[0].payload["status"]) == ("PAID", "REFUNDED")
    assert first[1].payload == {"available": 5, "productId": "prod-003"}
    assert replayed == []


async def test_failed_mutations_publish_nothing(execute: Any, bus: InProcessEventBus) -> None:
    # given a cart
    cart_id = await shopper_cart(execute, SHOPPER_A)
    start = bus.published

    # when adding more than the stock and refunding an order that is not paid
    short = await add(execute, SHOPPER_A, cart_id, line("prod-004", "SKU-004-G", 6))
    data, errors = await execute(
        ORDER_REFUND, {"id": "T3JkZXI6bm9wZQ==", "key": new_key()}, MERCHANT
    )

    # then both failed with typed errors and no event was published
    assert short["code"] == "INSUFFICIENT_STOCK"
    assert errors == []
    assert result_of(data, "orderRefund")["code"] == "NOT_FOUND"
    assert bus.published == start
