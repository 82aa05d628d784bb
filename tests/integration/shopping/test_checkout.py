"""The checkout unit of work: one transaction places the order with its allocation, or nothing."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import asyncpg
import pytest

from datasources.errors import (
    CartNotActive,
    CartNotFound,
    CartVersionConflict,
    CurrencyMismatch,
    DataSourceUnavailable,
    EmptyCart,
    IdempotencyKeyReused,
    IllegalTransition,
    InsufficientStock,
    InvalidDiscount,
    UnknownSku,
)
from datasources.payments.simulated import (
    DECLINE,
    REQUIRE_ACTION,
    SUCCEED,
    TIME_OUT,
    TestPaymentProvider,
)
from datasources.postgres.shopping.checkout import PostgresCheckout
from datasources.pricing import FlatRateShipping, PercentageTax
from datasources.records import Money
from datasources.shopping_records import (
    CartAccess,
    CartStatus,
    CheckoutOutcome,
    CheckoutRequest,
    DiscountCodeRecord,
    DiscountKind,
    OrderStatus,
    PaymentStatus,
    StockRequest,
)
from tests.integration.shopping.support import eur, fetch, fetchval, owned_cart, stocked, unique

pytestmark = pytest.mark.integration


async def _state(stores, database_url, owner: str, skus: list[str]):
    """What a failed checkout must leave untouched: orders, stock, the cart."""
    orders = await fetchval(database_url, "SELECT count(*) FROM orders WHERE owner_sub = $1", owner)
    levels = await stores.inventory.stock_levels(skus)
    cart = await stores.carts.open_cart(owner, "EUR")
    return orders, [(lvl.on_hand, lvl.allocated) for lvl in levels if lvl], cart


async def test_a_paid_checkout_prices_allocates_and_records_everything(stores, engine):
    # given 10 chairs and 4 lamps, a 10 % code, 20 % tax and 4.95 shipping under 100.00
    skus = await stocked(stores, CHAIR=10, LAMP=4)
    code = unique("TENOFF")
    await stores.discounts.create_discount_code(
        DiscountCodeRecord(code, DiscountKind.PERCENTAGE, 1000, usage_limit=5)
    )
    owner = unique("shopper")
    cart = await owned_cart(stores, owner, {skus["CHAIR"]: 2, skus["LAMP"]: 1})
    await stores.carts.apply_discount(cart.id, CartAccess.owner(owner), code)
    await stores.inventory.reserve(
        cart.id, [StockRequest(skus["CHAIR"], 2), StockRequest(skus["LAMP"], 1)], timedelta(1)
    )
    checkout = PostgresCheckout(
        engine, tax=PercentageTax(2000), shipping=FlatRateShipping(495, free_from=10_000)
    )
    provider = TestPaymentProvider()
    prices = {skus["CHAIR"]: eur(2499), skus["LAMP"]: eur(1999)}

    # when the shopper checks out with a card that works
    result = await checkout.checkout(
        CheckoutRequest(cart.id, owner, prices), payment_token=SUCCEED, provider=provider
    )

    # then the order is PAID with exact totals in minor units
    order = result.order
    assert result.outcome is CheckoutOutcome.PAID
    assert order.status is OrderStatus.PAID
    assert [(line.sku, line.quantity, line.unit_price, line.total) for line in order.lines] == [
        (skus["CHAIR"], 2, eur(2499), eur(4998)),
        (skus["LAMP"], 1, eur(1999), eur(1999)),
    ]
    # 6997 - 699 (10 %, rounded down) = 6298; tax 20 % = 1259.6 -> 1260; shipping 495
    assert (order.subtotal, order.discount_total, order.tax_total, order.shipping_total) == (
        eur(6997),
        eur(699),
        eur(1260),
        eur(495),
    )
    assert order.total == eur(8053)
    assert order.discount_code == code
    # and the stock is allocated (the cart's holds became the allocation)
    levels = await stores.inventory.stock_levels([skus["CHAIR"], skus["LAMP"]])
    assert [(lvl.allocated, lvl.reserved, lvl.available) for lvl in levels if lvl] == [
        (2, 0, 8),
        (1, 0, 3),
    ]
    # and the payment was captured for the total, the code used once, the cart completed
    assert result.payment is not None
    assert (result.payment.status, result.payment.amount) == (PaymentStatus.CAPTURED, eur(8053))
    assert provider.captured(result.payment.provider_ref) == eur(8053)
    assert [call for call, _ in provider.calls] == ["authorize", "capture"]
    discount = await stores.discounts.discount_code(code)
    assert discount is not None
    assert discount.times_used == 1
    completed = await stores.carts.cart(cart.id, CartAccess.owner(owner))
    assert completed is not None
    assert completed.status is CartStatus.COMPLETED
    # and the audit trail shows both steps
    events = await stores.orders.order_events(order.id)
    assert [(e.from_status, e.to_status, e.actor) for e in events] == [
        (None, OrderStatus.PENDING_PAYMENT, f"shopper:{owner}"),
        (OrderStatus.PENDING_PAYMENT, OrderStatus.PAID, "system:payments"),
    ]
    assert await stores.orders.order(order.id, owner) == order


async def test_a_declined_card_cancels_the_order_and_gives_everything_back(stores, database_url):
    # given a cart with a limited code
    skus = await stocked(stores, A=5)
    code = unique("ONCE")
    await stores.discounts.create_discount_code(
        DiscountCodeRecord(code, DiscountKind.FIXED, 300, currency="EUR", usage_limit=1)
    )
    owner = unique("shopper")
    cart = await owned_cart(stores, owner, {skus["A"]: 3})
    await stores.carts.apply_discount(cart.id, CartAccess.owner(owner), code)
    request = CheckoutRequest(cart.id, owner, {skus["A"]: eur(1000)})
    provider = TestPaymentProvider()

    # when the card is declined
    declined = await stores.checkout.checkout(request, payment_token=DECLINE, provider=provider)

    # then the order is CANCELLED, the stock and the code's use are back, the cart reopened
    assert declined.outcome is CheckoutOutcome.DECLINED
    assert declined.order.status is OrderStatus.CANCELLED
    assert declined.payment is not None
    assert (declined.payment.status, declined.payment.failure_code) == (
        PaymentStatus.DECLINED,
        "generic_decline",
    )
    assert await stores.inventory.available([skus["A"]]) == {skus["A"]: 5}
    discount = await stores.discounts.discount_code(code)
    assert discount is not None
    assert discount.times_used == 0
    reopened = await stores.carts.cart(cart.id, CartAccess.owner(owner))
    assert reopened is not None
    assert (reopened.status, reopened.discount_code) == (CartStatus.ACTIVE, code)
    events = await stores.orders.order_events(declined.order.id)
    assert [e.to_status for e in events] == [OrderStatus.PENDING_PAYMENT, OrderStatus.CANCELLED]
    assert events[-1].note == (
        f"payment declined by test ({declined.payment.provider_ref}): generic_decline"
    )

    # and when the shopper pays with another card, the same cart checks out
    paid = await stores.checkout.checkout(request, payment_token=SUCCEED, provider=provider)
    assert paid.outcome is CheckoutOutcome.PAID
    assert paid.order.id != declined.order.id
    assert paid.order.total == eur(2700)
    statuses = await fetch(
        database_url, "SELECT status FROM orders WHERE owner_sub = $1 ORDER BY number", owner
    )
    assert [row["status"] for row in statuses] == ["CANCELLED", "PAID"]


async def test_a_payment_that_needs_3ds_waits_for_the_providers_callback(stores):
    # given a cart and a card that needs authentication
    skus = await stocked(stores, A=2)
    owner = unique("shopper")
    cart = await owned_cart(stores, owner, {skus["A"]: 1})
    provider = TestPaymentProvider()

    # when the shopper checks out
    pending = await stores.checkout.checkout(
        CheckoutRequest(cart.id, owner, {skus["A"]: eur(4200)}),
        payment_token=REQUIRE_ACTION,
        provider=provider,
    )

    # then the order waits, holding its stock, with the challenge's URL on the payment
    assert pending.outcome is CheckoutOutcome.REQUIRES_ACTION
    assert pending.order.status is OrderStatus.PENDING_PAYMENT
    assert pending.payment is not None
    reference = pending.payment.provider_ref
    assert pending.payment.next_action_url == f"https://payments.test/3ds/{reference}"
    assert await stores.inventory.available([skus["A"]]) == {skus["A"]: 1}

    # when the provider calls back with success, and replays the callback
    callback = provider.action_completed(reference, succeeded=True)
    paid = await stores.checkout.settle_payment(pending.order.id, callback, actor="webhook:test")
    replayed = await stores.checkout.settle_payment(
        pending.order.id, callback, actor="webhook:test"
    )

    # then the order is PAID once; the replay changed nothing
    assert paid.status is OrderStatus.PAID
    assert replayed == paid
    events = await stores.orders.order_events(paid.id)
    assert [(e.to_status, e.actor) for e in events] == [
        (OrderStatus.PENDING_PAYMENT, f"shopper:{owner}"),
        (OrderStatus.PAID, "webhook:test"),
    ]
    payments = await stores.orders.payments(paid.id)
    assert [(p.provider_ref, p.status) for p in payments] == [(reference, PaymentStatus.CAPTURED)]

    # and a late "declined" callback for the same payment cannot cancel a paid order
    late = provider.action_completed(reference, succeeded=False)
    with pytest.raises(IllegalTransition) as refused:
        await stores.checkout.settle_payment(paid.id, late, actor="webhook:test")
    assert (refused.value.from_status, refused.value.to_status) == ("PAID", "CANCELLED")
    still = await stores.orders.order(paid.id, owner)
    assert still is not None
    assert still.status is OrderStatus.PAID
    assert [p.status for p in await stores.orders.payments(paid.id)] == [PaymentStatus.CAPTURED]


async def test_a_payment_timeout_leaves_the_order_pending_until_it_is_reaped(stores):
    # given a cart and a provider that does not answer
    skus = await stocked(stores, A=2)
    owner = unique("shopper")
    cart = await owned_cart(stores, owner, {skus["A"]: 2})

    # when the shopper checks out
    result = await stores.checkout.checkout(
        CheckoutRequest(cart.id, owner, {skus["A"]: eur(100)}),
        payment_token=TIME_OUT,
        provider=TestPaymentProvider(),
    )

    # then the order waits with an unknown payment, still holding the stock
    assert result.outcome is CheckoutOutcome.PAYMENT_TIMED_OUT
    assert result.order.status is OrderStatus.PENDING_PAYMENT
    assert result.payment is not None
    assert (result.payment.status, result.payment.failure_code) == (
        PaymentStatus.TIMED_OUT,
        "PAYMENT_TIMEOUT",
    )
    assert await stores.inventory.available([skus["A"]]) == {skus["A"]: 0}

    # when the reaper cancels orders left unpaid
    reaped = await stores.orders.cancel_abandoned(datetime.now(UTC) + timedelta(seconds=5))

    # then this order is cancelled by the reaper and its stock is free again
    assert result.order.id in reaped
    order = await stores.orders.order(result.order.id, owner)
    assert order is not None
    assert order.status is OrderStatus.CANCELLED
    events = await stores.orders.order_events(order.id)
    assert (events[-1].actor, events[-1].note) == ("system:reaper", "payment abandoned")
    assert await stores.inventory.available([skus["A"]]) == {skus["A"]: 2}


async def test_checkout_refuses_bad_carts_and_writes_nothing(stores, database_url):
    # given stock of 2 and a shopper
    skus = await stocked(stores, A=2, B=5)
    owner = unique("shopper")
    prices = {skus["A"]: eur(100), skus["B"]: eur(200)}
    cart = await stores.carts.open_cart(owner, "EUR")

    # when the cart is empty, has an unpriced SKU, a price in another currency,
    # too many units, a stale version, or belongs to someone else
    with pytest.raises(EmptyCart):
        await stores.checkout.place_order(CheckoutRequest(cart.id, owner, prices))
    cart = await owned_cart(stores, owner, {skus["B"]: 1, skus["A"]: 3})
    with pytest.raises(UnknownSku) as unpriced:
        await stores.checkout.place_order(CheckoutRequest(cart.id, owner, {skus["A"]: eur(100)}))
    with pytest.raises(CurrencyMismatch) as currency:
        await stores.checkout.place_order(
            CheckoutRequest(cart.id, owner, {**prices, skus["A"]: Money(100, "USD")})
        )
    with pytest.raises(InsufficientStock) as short:
        await stores.checkout.place_order(CheckoutRequest(cart.id, owner, prices))
    with pytest.raises(CartVersionConflict) as stale:
        await stores.checkout.place_order(
            CheckoutRequest(cart.id, owner, prices, expected_cart_version=cart.version - 1)
        )
    with pytest.raises(CartNotFound) as foreign:
        await stores.checkout.place_order(CheckoutRequest(cart.id, unique("thief"), prices))

    # then each is its typed error, and no order, allocation or cart change was left behind
    assert (unpriced.value.sku, unpriced.value.code) == (skus["B"], "UNKNOWN_SKU")
    assert (currency.value.expected, currency.value.actual) == ("EUR", "USD")
    assert (short.value.sku, short.value.requested, short.value.available) == (skus["A"], 3, 2)
    assert (stale.value.expected, stale.value.actual) == (cart.version - 1, cart.version)
    assert foreign.value.code == "NOT_FOUND"
    orders, stock, after = await _state(stores, database_url, owner, [skus["A"], skus["B"]])
    assert (orders, stock) == (0, [(2, 0), (5, 0)])
    assert after == cart


async def test_an_order_idempotency_key_replays_the_order_it_placed(stores):
    # given a cart checked out with a key
    skus = await stocked(stores, A=5)
    owner = unique("shopper")
    cart = await owned_cart(stores, owner, {skus["A"]: 1})
    key = unique("key")
    prices = {skus["A"]: eur(100)}
    first = await stores.checkout.place_order(
        CheckoutRequest(cart.id, owner, prices, idempotency_key=key)
    )

    # when the call is retried with the key, and the key is used for another cart
    again = await stores.checkout.place_order(
        CheckoutRequest(cart.id, owner, prices, idempotency_key=key)
    )
    with pytest.raises(CartNotActive):
        await stores.checkout.place_order(CheckoutRequest(cart.id, owner, prices))
    await stores.orders.transition(first.id, OrderStatus.CANCELLED, actor="test")
    with pytest.raises(IdempotencyKeyReused) as reused:
        await stores.checkout.place_order(
            CheckoutRequest(cart.id, owner, prices, idempotency_key=key)
        )

    # then the retry returns the first order; the reuse for a new order is refused
    assert again == first
    assert reused.value.code == "IDEMPOTENCY_KEY_REUSED"
    assert await stores.inventory.available([skus["A"]]) == {skus["A"]: 5}


async def test_the_last_use_of_a_limited_code_is_taken_exactly_once(stores, database_url):
    # given a code with one use left and eight shoppers who applied it
    skus = await stocked(stores, A=20)
    code = unique("LASTONE")
    await stores.discounts.create_discount_code(
        DiscountCodeRecord(code, DiscountKind.PERCENTAGE, 5000, usage_limit=3, times_used=2)
    )
    shoppers = [unique("shopper") for _ in range(8)]
    carts = []
    for owner in shoppers:
        cart = await owned_cart(stores, owner, {skus["A"]: 1})
        await stores.carts.apply_discount(cart.id, CartAccess.owner(owner), code)
        carts.append(cart)

    # when all eight check out at once
    results = await asyncio.gather(
        *(
            stores.checkout.place_order(CheckoutRequest(cart.id, owner, {skus["A"]: eur(1000)}))
            for cart, owner in zip(carts, shoppers, strict=True)
        ),
        return_exceptions=True,
    )

    # then one order got the discount, seven were told the code is used up
    placed = [r for r in results if not isinstance(r, BaseException)]
    refused = [r for r in results if isinstance(r, InvalidDiscount)]
    assert (len(placed), len(refused)) == (1, 7)
    assert placed[0].discount_total == eur(500)
    assert {r.reason for r in refused} == {"EXHAUSTED"}
    assert (
        await fetchval(database_url, "SELECT times_used FROM discount_codes WHERE code = $1", code)
        == 3
    )
    assert await stores.inventory.available([skus["A"]]) == {skus["A"]: 19}


async def test_a_connection_killed_mid_checkout_leaves_no_half_written_order(
    stores, engine, database_url
):
    # given a cart holding its stock, and a trigger that stalls the checkout after the order,
    # its lines and its allocation were written, before COMMIT
    skus = await stocked(stores, A=4)
    owner = unique("shopper")
    cart = await owned_cart(stores, owner, {skus["A"]: 3})
    await stores.inventory.reserve(cart.id, [StockRequest(skus["A"], 3)], timedelta(hours=1))
    admin = await asyncpg.connect(database_url)
    await admin.execute(
        "CREATE FUNCTION stall() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN PERFORM pg_sleep(30); RETURN NEW; END $$; "
        "CREATE TRIGGER stall_checkout AFTER INSERT ON order_events "
        "FOR EACH ROW EXECUTE FUNCTION stall();"
    )
    try:
        # when the database connection dies while the checkout is inside its transaction
        task = asyncio.create_task(
            stores.checkout.place_order(CheckoutRequest(cart.id, owner, {skus["A"]: eur(100)}))
        )
        pid = None
        for _ in range(200):
            pid = await admin.fetchval(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event = 'PgSleep'"
            )
            if pid:
                break
            await asyncio.sleep(0.05)
        assert pid is not None, "the checkout never reached the stalled statement"
        written = await admin.fetchval(
            "SELECT count(*) FROM pg_locks WHERE pid = $1 AND relation = 'orders'::regclass", pid
        )
        await admin.execute("SELECT pg_terminate_backend($1)", pid)
        with pytest.raises(DataSourceUnavailable) as died:
            await task
    finally:
        await admin.execute("DROP TRIGGER stall_checkout ON order_events; DROP FUNCTION stall();")
        await admin.close()

    # then the checkout reports the outage, and neither the order nor its allocation exists
    assert written >= 1  # it had written to orders when it died
    where = urlsplit(database_url)
    assert f"PostgreSQL at {where.hostname}:{where.port or 5432}{where.path} (DATABASE_URL)" in str(
        died.value
    )
    orders, stock, after = await _state(stores, database_url, owner, [skus["A"]])
    assert (orders, stock) == (0, [(4, 0)])
    assert (after.id, after.status, after.version) == (cart.id, CartStatus.ACTIVE, cart.version)
    assert [(h.sku, h.quantity) for h in await stores.inventory.reservations(cart.id)] == [
        (skus["A"], 3)
    ]

    # and the retried checkout on a fresh connection succeeds
    order = await stores.checkout.place_order(
        CheckoutRequest(cart.id, owner, {skus["A"]: eur(100)})
    )
    assert (order.status, order.item_count) == (OrderStatus.PENDING_PAYMENT, 3)
    assert await stores.inventory.available([skus["A"]]) == {skus["A"]: 1}


class _ExplodingTax:
    def tax(self, lines, taxable):
        raise RuntimeError("tax service exploded")


async def test_an_error_inside_the_checkout_transaction_rolls_everything_back(
    stores, engine, database_url
):
    # given a cart with a limited code, and a tax calculator that fails after the stock was
    # allocated and the code redeemed
    skus = await stocked(stores, A=3)
    code = unique("ROLLBACK")
    await stores.discounts.create_discount_code(
        DiscountCodeRecord(code, DiscountKind.PERCENTAGE, 1000, usage_limit=1)
    )
    owner = unique("shopper")
    cart = await owned_cart(stores, owner, {skus["A"]: 2})
    cart = await stores.carts.apply_discount(cart.id, CartAccess.owner(owner), code)
    checkout = PostgresCheckout(engine, tax=_ExplodingTax())

    # when the checkout runs
    with pytest.raises(RuntimeError, match="tax service exploded"):
        await checkout.place_order(CheckoutRequest(cart.id, owner, {skus["A"]: eur(100)}))

    # then nothing it did inside the transaction survived
    orders, stock, after = await _state(stores, database_url, owner, [skus["A"]])
    assert (orders, stock) == (0, [(3, 0)])
    assert after == cart
    discount = await stores.discounts.discount_code(code)
    assert discount is not None
    assert discount.times_used == 0
