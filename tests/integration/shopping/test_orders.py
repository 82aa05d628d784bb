"""Orders: the state machine and its audit trail, stock effects, history, scoping, listing."""

from __future__ import annotations

import pytest

from datasources.errors import IllegalTransition, InvalidCursor, OrderNotFound
from datasources.payments.simulated import SUCCEED, TestPaymentProvider
from datasources.shopping_records import (
    ORDER_TRANSITIONS,
    CheckoutRequest,
    OrderFilter,
    OrderStatus,
    can_transition,
)
from tests.integration.shopping.support import eur, owned_cart, stocked, unique

pytestmark = pytest.mark.integration


async def _paid_order(stores, owner: str, lines: dict[str, int]):
    cart = await owned_cart(stores, owner, lines)
    result = await stores.checkout.checkout(
        CheckoutRequest(cart.id, owner, {sku: eur(1000) for sku in lines}),
        payment_token=SUCCEED,
        provider=TestPaymentProvider(),
    )
    return result.order


async def _stock(stores, sku: str) -> tuple[int, int, int]:
    [level] = await stores.inventory.stock_levels([sku])
    return (level.on_hand, level.allocated, level.available)


def test_the_state_machine_is_the_documented_one():
    # given every pair of statuses
    # when each move is checked
    legal = {(a, b) for a in OrderStatus for b in OrderStatus if can_transition(a, b)}

    # then exactly the documented moves are legal and the end states are final
    assert legal == {
        (OrderStatus.PENDING_PAYMENT, OrderStatus.PAID),
        (OrderStatus.PENDING_PAYMENT, OrderStatus.CANCELLED),
        (OrderStatus.PAID, OrderStatus.FULFILLED),
        (OrderStatus.PAID, OrderStatus.REFUNDED),
    }
    assert [s for s, moves in ORDER_TRANSITIONS.items() if not moves] == [
        OrderStatus.FULFILLED,
        OrderStatus.CANCELLED,
        OrderStatus.REFUNDED,
    ]


async def test_illegal_transitions_are_refused_and_only_legal_ones_are_audited(stores):
    # given a paid order
    skus = await stocked(stores, A=5)
    owner = unique("shopper")
    order = await _paid_order(stores, owner, {skus["A"]: 2})

    # when a merchant tries illegal moves, then ships it, then tries to refund it
    refused = []
    for target in (OrderStatus.PENDING_PAYMENT, OrderStatus.CANCELLED, OrderStatus.PAID):
        with pytest.raises(IllegalTransition) as illegal:
            await stores.orders.transition(order.id, target, actor="admin:eve")
        refused.append((illegal.value.from_status, illegal.value.to_status, illegal.value.code))
    shipped = await stores.orders.transition(
        order.id, OrderStatus.FULFILLED, actor="admin:eve", note="DHL 123"
    )
    with pytest.raises(IllegalTransition):
        await stores.orders.transition(order.id, OrderStatus.REFUNDED, actor="admin:eve")
    with pytest.raises(OrderNotFound):
        await stores.orders.transition(
            "00000000-0000-0000-0000-000000000000", OrderStatus.PAID, actor="admin:eve"
        )

    # then each illegal move was refused with its states, and the trail has the legal ones
    assert refused == [
        ("PAID", "PENDING_PAYMENT", "ILLEGAL_TRANSITION"),
        ("PAID", "CANCELLED", "ILLEGAL_TRANSITION"),
        ("PAID", "PAID", "ILLEGAL_TRANSITION"),
    ]
    assert shipped.status is OrderStatus.FULFILLED
    events = await stores.orders.order_events(order.id)
    assert [(e.from_status, e.to_status, e.actor, e.note) for e in events] == [
        (None, OrderStatus.PENDING_PAYMENT, f"shopper:{owner}", "order placed"),
        (
            OrderStatus.PENDING_PAYMENT,
            OrderStatus.PAID,
            "system:payments",
            events[1].note,
        ),
        (OrderStatus.PAID, OrderStatus.FULFILLED, "admin:eve", "DHL 123"),
    ]
    assert events[1].note is not None
    assert events[1].note.startswith("payment captured by test")
    assert [e.at for e in events] == sorted(e.at for e in events)


async def test_shipping_takes_units_off_the_shelf_and_a_refund_puts_them_back(stores):
    # given 10 units and two paid orders of 3 and 2
    skus = await stocked(stores, A=10)
    sku = skus["A"]
    shipped = await _paid_order(stores, unique("shopper"), {sku: 3})
    refunded = await _paid_order(stores, unique("shopper"), {sku: 2})
    before = await _stock(stores, sku)

    # when the first ships and the second is refunded before shipping
    await stores.orders.transition(shipped.id, OrderStatus.FULFILLED, actor="admin:eve")
    after_shipping = await _stock(stores, sku)
    await stores.orders.transition(refunded.id, OrderStatus.REFUNDED, actor="admin:eve")
    after_refund = await _stock(stores, sku)

    # then shipping lowers on-hand and allocation together; a refund frees its allocation
    # (on hand, allocated, available)
    assert before == (10, 5, 5)
    assert after_shipping == (7, 2, 5)
    assert after_refund == (7, 0, 7)


async def test_order_history_is_paginated_newest_first_per_shopper(stores):
    # given five orders of one shopper and two of another
    skus = await stocked(stores, A=20)
    alice, bob = unique("alice"), unique("bob")
    placed = [await _paid_order(stores, alice, {skus["A"]: 1}) for _ in range(5)]
    for _ in range(2):
        await _paid_order(stores, bob, {skus["A"]: 1})

    # when Alice pages through her history two at a time
    pages = []
    after = None
    while True:
        page = await stores.orders.order_history(alice, first=2, after=after)
        pages.append(page)
        if not page.has_next_page:
            break
        after = page.cursors[-1]

    # then she sees her five orders, newest first, each once, in pages of 2, 2, 1
    newest_first = [order.id for order in reversed(placed)]
    assert [[order.id for order in page.items] for page in pages] == [
        newest_first[0:2],
        newest_first[2:4],
        newest_first[4:5],
    ]
    assert [(p.has_next_page, p.has_previous_page, p.total_count) for p in pages] == [
        (True, False, 5),
        (True, True, 5),
        (False, True, 5),
    ]
    assert pages[0].items[0].lines[0].sku == skus["A"]
    assert [o.owner_sub for p in pages for o in p.items] == [alice] * 5


async def test_history_refuses_junk_cursors_and_page_sizes(stores):
    # given a shopper with no orders
    owner = unique("nobody")

    # when the history is asked with a junk cursor, a forged one, a page of 0 and of 101
    with pytest.raises(InvalidCursor) as junk:
        await stores.orders.order_history(owner, first=10, after="%%%")
    with pytest.raises(InvalidCursor):
        await stores.orders.order_history(owner, first=10, after="eyJvcmRlciI6LTF9")
    with pytest.raises(ValueError, match=r"first must be within 1\.\.100"):
        await stores.orders.order_history(owner, first=0)
    with pytest.raises(ValueError, match=r"first must be within 1\.\.100"):
        await stores.orders.order_history(owner, first=101)
    empty = await stores.orders.order_history(owner, first=10)

    # then each is refused and an empty history is an empty page
    assert junk.value.code == "BAD_USER_INPUT"
    assert (empty.items, empty.has_next_page, empty.total_count) == ((), False, 0)


async def test_a_shopper_cannot_read_another_shoppers_order(stores):
    # given Alice's order
    skus = await stocked(stores, A=2)
    alice, bob = unique("alice"), unique("bob")
    order = await _paid_order(stores, alice, {skus["A"]: 1})

    # when Bob and Alice ask for it by id, and a loader asks unscoped
    as_bob = await stores.orders.order(order.id, bob)
    as_alice = await stores.orders.order(order.id, alice)
    batch = await stores.orders.orders_by_ids([order.id, "not-an-id", str(order.cart_id)])

    # then Bob gets None (NOT_FOUND for the API), Alice gets her order
    assert as_bob is None
    assert as_alice == order
    assert batch == [order, None, None]
    assert (await stores.orders.order_history(bob, first=5)).items == ()


async def test_merchants_list_orders_by_status_and_shopper(stores):
    # given a shopper with one paid and one shipped order
    skus = await stocked(stores, A=4)
    owner = unique("shopper")
    paid = await _paid_order(stores, owner, {skus["A"]: 1})
    shipped = await _paid_order(stores, owner, {skus["A"]: 1})
    await stores.orders.transition(shipped.id, OrderStatus.FULFILLED, actor="admin:eve")

    # when a merchant lists the shopper's orders by status
    only_paid = await stores.orders.list_orders(
        OrderFilter(statuses=(OrderStatus.PAID,), owner_sub=owner), first=10
    )
    both = await stores.orders.list_orders(
        OrderFilter(statuses=(OrderStatus.PAID, OrderStatus.FULFILLED), owner_sub=owner),
        first=10,
    )
    everything = await stores.orders.list_orders(OrderFilter(), first=1)

    # then each listing holds exactly the matching orders, newest first
    assert [o.id for o in only_paid.items] == [paid.id]
    assert [(o.id, o.status) for o in both.items] == [
        (shipped.id, OrderStatus.FULFILLED),
        (paid.id, OrderStatus.PAID),
    ]
    assert both.total_count == 2
    assert len(everything.items) == 1
    assert everything.has_next_page is True
    assert everything.total_count >= 2


async def test_events_and_payments_of_many_orders_come_back_in_the_asked_order(stores):
    # given two paid orders of one shopper
    skus = await stocked(stores, A=5, B=5)
    owner = unique("shopper")
    first = await _paid_order(stores, owner, {skus["A"]: 1})
    second = await _paid_order(stores, owner, {skus["B"]: 1})
    unknown = "00000000-0000-0000-0000-000000000000"

    # when both are read in one batch, with an unknown id, a junk id and a repeat
    asked = [second.id, unknown, first.id, "not-a-uuid", second.id]
    events = await stores.orders.events_by_order_ids(asked)
    payments = await stores.orders.payments_by_order_ids(asked)

    # then each slot holds that order's own trail and payments, empty for the missing ones
    assert [[e.order_id for e in trail] for trail in events] == [
        [second.id, second.id],
        [],
        [first.id, first.id],
        [],
        [second.id, second.id],
    ]
    assert [[p.status.value for p in attempts] for attempts in payments] == [
        ["CAPTURED"],
        [],
        ["CAPTURED"],
        [],
        ["CAPTURED"],
    ]
    assert events[0] == await stores.orders.order_events(second.id)
