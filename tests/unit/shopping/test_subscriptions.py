"""GraphQL subscriptions over the real schema: authorization, filters, typed endings."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import AsyncGenerator
from typing import Any

import pytest

from datasources.events import DomainEvent, Topic
from datasources.events.in_process import InProcessEventBus
from datasources.payments.simulated import TestPaymentProvider
from resolvers.context import Identity
from resolvers.global_ids import to_global_id
from tests.fakes.blobs import FakeBlobStore
from tests.fakes.catalog import FakeAssetUrls, FakeCatalog
from tests.fakes.shopping import FakeShop, fake_shopping
from tests.graphql_client import SchemaClient
from tests.support.shopping_api import (
    MERCHANT,
    ORDER_FULFILL,
    SHOPPER_A,
    SHOPPER_B,
    STOREFRONT,
    add,
    anonymous_cart,
    checkout,
    line,
    new_key,
    result_of,
    shopper_cart,
)

Stream = AsyncGenerator[tuple[dict[str, Any] | None, list[dict[str, Any]]], None]

ON_ORDER = """
subscription OnOrder($id: ID!, $filter: AWSJSON) {
  onOrderStatusChanged(orderId: $id, filter: $filter) {
    status previousStatus at order { id number status customerId }
  }
}
"""
ON_INVENTORY = """
subscription OnInventory($sku: String!, $filter: AWSJSON) {
  onInventoryChanged(sku: $sku, filter: $filter) { sku available }
}
"""
ON_CART = """
subscription OnCart($id: ID!) {
  onCartChanged(cartId: $id) { cart { id version itemCount } }
}
"""
ON_PRICE = """
subscription OnPrice($id: ID!, $filter: AWSJSON) {
  onPriceChanged(productId: $id, filter: $filter) {
    productId product { name } changes { sku oldPrice { amount } price { amount currency } }
  }
}
"""
ON_JOB = "subscription OnJob($id: ID!) { onRenderJobProgress(jobId: $id) { stage percent } }"


@pytest.fixture
def client(catalog: FakeCatalog, shop: FakeShop) -> SchemaClient:
    sources, _ = fake_shopping(shop, payments=TestPaymentProvider())
    return SchemaClient(catalog, FakeBlobStore(), FakeAssetUrls(), shopping=sources)


@pytest.fixture
def bus(client: SchemaClient) -> InProcessEventBus:
    events = client.sources.events
    assert isinstance(events, InProcessEventBus)
    return events


async def _next(stream: Stream, bus: InProcessEventBus, subscribers: int = 1) -> Any:
    """Start reading ``stream`` and return the pending read once it is subscribed on the bus
    (the timeout only keeps a broken test from hanging)."""
    pending = asyncio.ensure_future(anext(stream))
    async with asyncio.timeout(5):
        # The bus has no "subscribed" notification: yield to the loop until it counts one.
        while bus.subscriber_count < subscribers and not pending.done():  # noqa: ASYNC110
            await asyncio.sleep(0)
    return pending


async def _result(pending: Any) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    async with asyncio.timeout(5):
        result: tuple[dict[str, Any] | None, list[dict[str, Any]]] = await pending
    return result


async def _paid_order(execute: Any, shopper: Identity = SHOPPER_A) -> dict[str, Any]:
    cart_id = await shopper_cart(execute, shopper)
    await add(execute, shopper, cart_id, line("prod-001", "SKU-001-G", 1))
    order: dict[str, Any] = (await checkout(execute, shopper, cart_id))["order"]
    return order


async def test_shopper_receives_their_order_moving_to_fulfilled(
    client: SchemaClient, execute: Any, bus: InProcessEventBus
) -> None:
    # given a shopper's paid order and their subscription to it
    order = await _paid_order(execute)
    stream = client.subscribe(ON_ORDER, {"id": order["id"]}, SHOPPER_A)
    pending = await _next(stream, bus)

    # when the merchant fulfils it
    data, errors = await execute(ORDER_FULFILL, {"id": order["id"], "key": new_key()}, MERCHANT)
    event, event_errors = await _result(pending)
    await stream.aclose()

    # then the shopper received the move with the order as stored now
    assert errors == []
    assert result_of(data, "orderFulfill")["__typename"] == "OrderFulfillSuccess"
    assert event_errors == []
    assert event is not None
    received = event["onOrderStatusChanged"]
    assert (received["previousStatus"], received["status"]) == ("PAID", "FULFILLED")
    assert received["order"] == {
        "id": order["id"],
        "number": order["number"],
        "status": "FULFILLED",
        "customerId": SHOPPER_A.subject,
    }
    assert bus.subscriber_count == 0


async def test_another_shoppers_order_is_not_found_at_subscribe_time(
    client: SchemaClient, execute: Any, bus: InProcessEventBus
) -> None:
    # given shopper A's order
    order = await _paid_order(execute)

    # when shopper B subscribes to it
    results = [r async for r in client.subscribe(ON_ORDER, {"id": order["id"]}, SHOPPER_B)]

    # then B gets NOT_FOUND, worded as for an order that does not exist, and nothing listens
    assert len(results) == 1
    data, errors = results[0]
    assert data is None
    assert [(e["message"], e["extensions"]["code"]) for e in errors] == [
        ("No such order", "NOT_FOUND")
    ]
    assert bus.subscriber_count == 0


async def test_merchant_may_subscribe_to_any_order_and_api_key_may_not(
    client: SchemaClient, execute: Any, bus: InProcessEventBus
) -> None:
    # given shopper A's order
    order = await _paid_order(execute)

    # when a storefront API key subscribes, then the merchant
    refused = [r async for r in client.subscribe(ON_ORDER, {"id": order["id"]}, STOREFRONT)]
    stream = client.subscribe(ON_ORDER, {"id": order["id"]}, MERCHANT)
    pending = await _next(stream, bus)
    await execute(ORDER_FULFILL, {"id": order["id"], "key": new_key()}, MERCHANT)
    event, errors = await _result(pending)
    await stream.aclose()

    # then the key is refused as unauthenticated and the merchant receives the move
    assert [e["extensions"]["code"] for e in refused[0][1]] == ["UNAUTHENTICATED"]
    assert errors == []
    assert event is not None
    assert event["onOrderStatusChanged"]["status"] == "FULFILLED"


async def test_inventory_filter_skips_events_that_do_not_match(
    client: SchemaClient, execute: Any, bus: InProcessEventBus
) -> None:
    # given a subscription to a SKU (5 units) that only wants fewer than 3 available
    stream = client.subscribe(
        ON_INVENTORY, {"sku": "SKU-002-G", "filter": {"available": {"lt": 3}}}, STOREFRONT
    )
    pending = await _next(stream, bus)

    # when one shopper buys 1 unit (4 left), then another buys 2 (2 left)
    for shopper, quantity in ((SHOPPER_A, 1), (SHOPPER_B, 2)):
        cart_id = await shopper_cart(execute, shopper)
        await add(execute, shopper, cart_id, line("prod-002", "SKU-002-G", quantity))
        await checkout(execute, shopper, cart_id)
    event, errors = await _result(pending)
    await stream.aclose()

    # then the first event received is the one with 2 available
    assert errors == []
    assert event == {"onInventoryChanged": {"sku": "SKU-002-G", "available": 2}}


@pytest.mark.parametrize(
    ("filter_", "message"),
    [
        ({"colour": {"eq": "red"}}, "filter.colour: unknown field (filter on: available)"),
        ({"available": {"like": 3}}, "filter.available: unknown operator 'like'"),
        ('{"available": {"gt": "x"', "AWSJSON: not valid JSON"),
        ([1, 2], "filter: must be a JSON object"),
    ],
)
async def test_invalid_filter_is_refused_at_subscribe_time(
    client: SchemaClient, bus: InProcessEventBus, filter_: Any, message: str
) -> None:
    # given a filter that names an unknown field or operator, or is not a JSON object
    variables = {"sku": "SKU-001-G", "filter": filter_}

    # when subscribing with it
    results = [r async for r in client.subscribe(ON_INVENTORY, variables, STOREFRONT)]

    # then the subscription is refused as bad input naming the problem
    data, errors = results[0]
    assert data is None
    assert len(errors) == 1
    assert message in errors[0]["message"]
    assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert bus.subscriber_count == 0


async def test_anonymous_cart_syncs_across_devices_by_its_token(
    client: SchemaClient, execute: Any, bus: InProcessEventBus
) -> None:
    # given an anonymous cart and a second device subscribed with its token
    cart_id, token = await anonymous_cart(execute)
    stream = client.subscribe(ON_CART, {"id": cart_id}, STOREFRONT, cart_token=token)
    pending = await _next(stream, bus)

    # when the first device adds a line
    added = await add(
        execute, STOREFRONT, cart_id, line("prod-003", "SKU-003-G", 2), cart_token=token
    )
    event, errors = await _result(pending)
    await stream.aclose()

    # then the second device receives the cart at its new version
    assert errors == []
    assert event == {
        "onCartChanged": {
            "cart": {"id": cart_id, "version": added["cart"]["version"], "itemCount": 2}
        }
    }


async def test_cart_without_its_token_is_not_found(
    client: SchemaClient, execute: Any, bus: InProcessEventBus
) -> None:
    # given an anonymous cart
    cart_id, _ = await anonymous_cart(execute)

    # when someone without its token subscribes
    results = [r async for r in client.subscribe(ON_CART, {"id": cart_id}, STOREFRONT)]

    # then NOT_FOUND
    assert [e["extensions"]["code"] for e in results[0][1]] == ["NOT_FOUND"]
    assert results[0][0] is None


async def test_price_filter_keeps_the_variants_that_match(
    client: SchemaClient, bus: InProcessEventBus
) -> None:
    # given a subscription to a product's prices for one SKU
    product_id = to_global_id("Product", "prod-001")
    stream = client.subscribe(
        ON_PRICE, {"id": product_id, "filter": {"sku": {"eq": "SKU-001-B"}}}, STOREFRONT
    )
    pending = await _next(stream, bus)

    # when an event moves two variants' prices
    await bus.publish(
        DomainEvent(
            Topic.PRICE_CHANGED,
            "prod-001",
            {
                "variants": [
                    {"sku": "SKU-001-G", "oldAmount": 100, "amount": 90, "currency": "EUR"},
                    {"sku": "SKU-001-B", "oldAmount": 200, "amount": 180, "currency": "EUR"},
                ]
            },
        )
    )
    event, errors = await _result(pending)
    await stream.aclose()

    # then only the matching variant's move is delivered, with the product
    assert errors == []
    assert event is not None
    received = event["onPriceChanged"]
    assert received["productId"] == product_id
    assert received["changes"] == [
        {
            "sku": "SKU-001-B",
            "oldPrice": {"amount": 200},
            "price": {"amount": 180, "currency": "EUR"},
        }
    ]
    assert received["product"]["name"]


async def test_unknown_product_is_not_found(client: SchemaClient) -> None:
    # when subscribing to the prices of a product that does not exist
    variables = {"id": to_global_id("Product", "nope")}
    results = [r async for r in client.subscribe(ON_PRICE, variables, STOREFRONT)]

    # then NOT_FOUND
    assert [e["extensions"]["code"] for e in results[0][1]] == ["NOT_FOUND"]


async def test_render_jobs_are_for_merchant_admins(client: SchemaClient) -> None:
    # when a shopper subscribes to a job, and an admin to a job that does not exist
    shopper = [r async for r in client.subscribe(ON_JOB, {"id": "job-1"}, SHOPPER_A)]
    admin = [r async for r in client.subscribe(ON_JOB, {"id": "job-1"}, MERCHANT)]

    # then the shopper is forbidden and the admin told it is not found
    assert [e["extensions"]["code"] for e in shopper[0][1]] == ["FORBIDDEN"]
    assert [e["extensions"]["code"] for e in admin[0][1]] == ["NOT_FOUND"]


async def test_expired_token_ends_the_subscription(
    client: SchemaClient, bus: InProcessEventBus
) -> None:
    # given a token that expires in a moment
    expiring = dataclasses.replace(STOREFRONT, claims={"exp": time.time() + 0.2})
    stream = client.subscribe(ON_INVENTORY, {"sku": "SKU-001-G"}, expiring)

    # when it expires with the subscription open and no event arriving
    results = [r async for r in stream]

    # then the subscription ended with one UNAUTHENTICATED error and left the bus
    assert len(results) == 1
    data, errors = results[0]
    assert data is None
    assert [(e["extensions"]["code"], e["extensions"]["errorType"]) for e in errors] == [
        ("UNAUTHENTICATED", "UnauthorizedException")
    ]
    assert "token expired" in errors[0]["message"]
    assert bus.subscriber_count == 0


async def test_token_already_expired_is_refused(client: SchemaClient) -> None:
    # given a token that has expired
    expired = dataclasses.replace(STOREFRONT, claims={"exp": time.time() - 1})

    # when subscribing with it
    results = [r async for r in client.subscribe(ON_INVENTORY, {"sku": "SKU-1"}, expired)]

    # then UNAUTHENTICATED
    assert [e["extensions"]["code"] for e in results[0][1]] == ["UNAUTHENTICATED"]


async def test_subscriber_that_falls_behind_is_ended_with_a_typed_error(
    client: SchemaClient,
) -> None:
    # given a bus that keeps one event per subscriber, and a subscriber
    bus = InProcessEventBus(max_pending=1)
    client.sources = dataclasses.replace(client.sources, events=bus)
    stream = client.subscribe(ON_INVENTORY, {"sku": "SKU-001-G"}, STOREFRONT)
    pending = await _next(stream, bus)

    # when three events arrive before it reads any
    for available in (3, 2, 1):
        bus.deliver(DomainEvent(Topic.INVENTORY_CHANGED, "SKU-001-G", {"available": available}))
    data, errors = await _result(pending)
    rest = [r async for r in stream]

    # then it ends with SUBSCRIBER_FELL_BEHIND and nothing more
    assert data is None
    assert [e["extensions"]["code"] for e in errors] == ["SUBSCRIBER_FELL_BEHIND"]
    assert rest == []
    assert bus.subscriber_count == 0


async def test_interrupted_stream_ends_with_a_typed_error(
    client: SchemaClient, bus: InProcessEventBus
) -> None:
    # given an open subscription
    stream = client.subscribe(ON_INVENTORY, {"sku": "SKU-001-G"}, STOREFRONT)
    pending = await _next(stream, bus)

    # when the bus loses its connection
    bus.interrupt_all("the event stream lost its connection to Redis")
    data, errors = await _result(pending)

    # then the subscriber is told, with a type it can act on
    assert data is None
    assert [(e["message"], e["extensions"]["code"]) for e in errors] == [
        ("the event stream lost its connection to Redis", "EVENT_STREAM_INTERRUPTED")
    ]
