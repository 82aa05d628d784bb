"""``OrderStore.bought_together`` on PostgreSQL: co-occurrence on paid and fulfilled orders."""

from __future__ import annotations

import pytest

from datasources.payments.simulated import SUCCEED, TestPaymentProvider
from datasources.shopping_records import CheckoutRequest, CoPurchase, OrderStatus
from tests.integration.shopping.support import eur, owned_cart, stocked, unique

pytestmark = pytest.mark.integration


async def _order(stores, lines: dict[str, int]):
    owner = unique("shopper")
    cart = await owned_cart(stores, owner, lines)
    result = await stores.checkout.checkout(
        CheckoutRequest(cart.id, owner, {sku: eur(1000) for sku in lines}),
        payment_token=SUCCEED,
        provider=TestPaymentProvider(),
    )
    return result.order


async def test_bought_together_counts_paid_and_fulfilled_orders_most_first(stores):
    # given A+B paid, A+B+C fulfilled, A+D refunded, B+C paid (products are product-<sku>)
    skus = await stocked(stores, A=10, B=10, C=10, D=10)
    first = await _order(stores, {skus["A"]: 1, skus["B"]: 1})
    shipped = await _order(stores, {skus["A"]: 1, skus["B"]: 2, skus["C"]: 1})
    await stores.orders.transition(shipped.id, OrderStatus.FULFILLED, actor="admin:eve")
    refunded = await _order(stores, {skus["A"]: 1, skus["D"]: 1})
    await stores.orders.transition(refunded.id, OrderStatus.REFUNDED, actor="admin:eve")
    await _order(stores, {skus["B"]: 1, skus["C"]: 1})
    assert first.status is OrderStatus.PAID
    # when asking what was bought with A, with B, and with a product nobody bought
    with_a = await stores.orders.bought_together(f"product-{skus['A']}", 10)
    with_b = await stores.orders.bought_together(f"product-{skus['B']}", 10)
    with_b_top = await stores.orders.bought_together(f"product-{skus['B']}", 1)
    nobody = await stores.orders.bought_together(unique("product"), 10)
    # then B twice and C once for A (the refunded order does not count); A and C twice
    # each for B, tied, so by product id
    assert with_a == (
        CoPurchase(product_id=f"product-{skus['B']}", orders=2),
        CoPurchase(product_id=f"product-{skus['C']}", orders=1),
    )
    assert with_b == (
        CoPurchase(product_id=f"product-{skus['A']}", orders=2),
        CoPurchase(product_id=f"product-{skus['C']}", orders=2),
    )
    assert with_b_top == with_b[:1]
    assert nobody == ()
