"""Carts on PostgreSQL: scoping, lines and limits, optimistic versions, merging, discounts."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from datasources.errors import (
    AlreadyExists,
    CartNotActive,
    CartNotFound,
    CartVersionConflict,
    InvalidDiscount,
    InvalidQuantity,
    NotFound,
)
from datasources.shopping_records import (
    CartAccess,
    CartStatus,
    CheckoutRequest,
    DiscountCodeRecord,
    DiscountKind,
    StockRequest,
)
from tests.integration.shopping.support import eur, owned_cart, stocked, unique

pytestmark = pytest.mark.integration


def _lines(cart) -> dict[str, int]:
    return {line.sku: line.quantity for line in cart.lines}


async def test_an_anonymous_cart_is_visible_only_with_its_token(stores):
    # given an anonymous cart with a line, and a second visitor with a cart of their own
    mine = await stores.carts.create_anonymous_cart("EUR")
    theirs = await stores.carts.create_anonymous_cart("EUR")
    await stores.carts.add_line(
        mine.cart.id, CartAccess.token(mine.token), sku="S-1", product_id="p-1", quantity=1
    )

    # when it is read with its token, another token, a shopper's identity and a junk id
    own = await stores.carts.cart(mine.cart.id, CartAccess.token(mine.token))
    foreign = await stores.carts.cart(mine.cart.id, CartAccess.token(theirs.token))
    as_shopper = await stores.carts.cart(mine.cart.id, CartAccess.owner("someone"))
    junk = await stores.carts.cart("not-a-cart-id", CartAccess.token(mine.token))

    # then only its token sees it; everyone else gets None, and cannot write to it either
    assert own is not None
    assert (own.is_anonymous, own.currency, own.version, _lines(own)) == (
        True,
        "EUR",
        2,
        {"S-1": 1},
    )
    assert len(mine.token) >= 40
    assert (foreign, as_shopper, junk) == (None, None, None)
    with pytest.raises(CartNotFound) as refused:
        await stores.carts.add_line(
            mine.cart.id, CartAccess.token(theirs.token), sku="S-2", product_id="p", quantity=1
        )
    assert refused.value.code == "NOT_FOUND"


async def test_a_shoppers_cart_is_theirs_alone_and_opened_once(stores):
    # given two shoppers
    alice, bob = unique("alice"), unique("bob")

    # when Alice opens her cart ten times at once and Bob tries to read and change it
    opened = await asyncio.gather(*(stores.carts.open_cart(alice, "EUR") for _ in range(10)))
    cart_id = opened[0].id
    seen_by_bob = await stores.carts.cart(cart_id, CartAccess.owner(bob))
    with pytest.raises(CartNotFound):
        await stores.carts.add_line(
            cart_id, CartAccess.owner(bob), sku="S-1", product_id="p", quantity=1
        )
    with pytest.raises(CartNotFound):
        await stores.carts.remove_line(cart_id, CartAccess.owner(bob), sku="S-1")

    # then Alice has exactly one open cart and Bob sees nothing of it
    assert {cart.id for cart in opened} == {cart_id}
    assert opened[0].owner_sub == alice
    assert seen_by_bob is None
    alice_cart = await stores.carts.cart(cart_id, CartAccess.owner(alice))
    assert alice_cart is not None
    assert (alice_cart.status, alice_cart.lines, alice_cart.version) == (CartStatus.ACTIVE, (), 1)


async def test_lines_are_added_changed_and_removed_within_1_to_99(stores):
    # given an empty cart
    owner = unique("shopper")
    access = CartAccess.owner(owner)
    cart = await stores.carts.open_cart(owner, "EUR")

    # when lines are added, topped up, set, removed, and pushed past the limits
    cart = await stores.carts.add_line(cart.id, access, sku="A", product_id="p-a", quantity=2)
    cart = await stores.carts.add_line(cart.id, access, sku="A", product_id="p-a", quantity=3)
    cart = await stores.carts.add_line(cart.id, access, sku="B", product_id="p-b", quantity=1)
    cart = await stores.carts.set_line_quantity(cart.id, access, sku="B", quantity=7)
    before_limits = cart
    with pytest.raises(InvalidQuantity) as over:
        await stores.carts.add_line(cart.id, access, sku="A", product_id="p-a", quantity=95)
    with pytest.raises(InvalidQuantity) as zero:
        await stores.carts.add_line(cart.id, access, sku="C", product_id="p-c", quantity=0)
    with pytest.raises(InvalidQuantity) as hundred:
        await stores.carts.set_line_quantity(cart.id, access, sku="A", quantity=100)
    with pytest.raises(NotFound) as absent:
        await stores.carts.set_line_quantity(cart.id, access, sku="Z", quantity=1)
    unchanged = await stores.carts.cart(cart.id, access)
    cart = await stores.carts.set_line_quantity(cart.id, access, sku="B", quantity=0)
    cart = await stores.carts.remove_line(cart.id, access, sku="A")
    cart = await stores.carts.remove_line(cart.id, access, sku="never-there")

    # then quantities add up, each change raised the version, and refused changes did nothing
    assert (_lines(before_limits), before_limits.version) == ({"A": 5, "B": 7}, 5)
    assert (over.value.sku, over.value.quantity, over.value.maximum) == ("A", 100, 99)
    assert (zero.value.quantity, hundred.value.quantity) == (0, 100)
    assert over.value.code == "INVALID_QUANTITY"
    assert str(absent.value) == f"cart {cart.id} has no line for Z"
    assert unchanged == before_limits
    assert (_lines(cart), cart.version) == ({}, 8)


async def test_two_devices_editing_one_cart_never_lose_an_update(stores):
    # given a cart that a phone and a laptop both read at version 1
    owner = unique("shopper")
    access = CartAccess.owner(owner)
    cart = await stores.carts.open_cart(owner, "EUR")
    phone_view = laptop_view = cart.version

    # when the phone adds a lamp, then the laptop adds a sofa with its stale version
    await stores.carts.add_line(
        cart.id, access, sku="LAMP", product_id="p", quantity=1, expected_version=phone_view
    )
    with pytest.raises(CartVersionConflict) as conflict:
        await stores.carts.add_line(
            cart.id, access, sku="SOFA", product_id="p", quantity=1, expected_version=laptop_view
        )

    # then the laptop is told to re-read, and after it does its change lands beside the lamp
    assert (conflict.value.expected, conflict.value.actual) == (1, 2)
    assert conflict.value.code == "VERSION_CONFLICT"
    fresh = await stores.carts.cart(cart.id, access)
    assert fresh is not None
    assert _lines(fresh) == {"LAMP": 1}
    merged = await stores.carts.add_line(
        cart.id, access, sku="SOFA", product_id="p", quantity=1, expected_version=fresh.version
    )
    assert (_lines(merged), merged.version) == ({"LAMP": 1, "SOFA": 1}, 3)


async def test_concurrent_edits_of_one_cart_all_land_or_fail_cleanly(stores):
    # given a cart at version 1
    owner = unique("shopper")
    access = CartAccess.owner(owner)
    cart = await stores.carts.open_cart(owner, "EUR")

    # when 20 unversioned adds of one unit and 10 adds expecting version 1 run at once
    unversioned = await asyncio.gather(
        *(
            stores.carts.add_line(cart.id, access, sku="MUG", product_id="p", quantity=1)
            for _ in range(20)
        )
    )
    versioned = await asyncio.gather(
        *(
            stores.carts.add_line(
                cart.id, access, sku=f"V{i}", product_id="p", quantity=1, expected_version=21
            )
            for i in range(10)
        ),
        return_exceptions=True,
    )

    # then no unversioned add was lost, and exactly one versioned add won
    assert len(unversioned) == 20
    winners = [r for r in versioned if not isinstance(r, BaseException)]
    losers = [r for r in versioned if isinstance(r, CartVersionConflict)]
    assert (len(winners), len(losers)) == (1, 9)
    final = await stores.carts.cart(cart.id, access)
    assert final is not None
    assert final.line("MUG") is not None
    assert final.line("MUG").quantity == 20  # type: ignore[union-attr]
    assert (final.version, len(final.lines)) == (22, 2)


async def test_signing_in_merges_the_anonymous_cart_into_the_shoppers_cart(stores):
    # given a shopper's cart with 2 lamps, and an anonymous cart with 98 lamps, a rug, a code
    # and a hold on the rug
    skus = await stocked(stores, RUG=5)
    code = unique("MERGE10")
    await stores.discounts.create_discount_code(
        DiscountCodeRecord(code, DiscountKind.PERCENTAGE, 1000)
    )
    owner = unique("shopper")
    await owned_cart(stores, owner, {"LAMP": 2})
    anonymous = await stores.carts.create_anonymous_cart("EUR")
    token = CartAccess.token(anonymous.token)
    await stores.carts.add_line(anonymous.cart.id, token, sku="LAMP", product_id="p", quantity=98)
    await stores.carts.add_line(
        anonymous.cart.id, token, sku=skus["RUG"], product_id="p", quantity=1
    )
    await stores.carts.apply_discount(anonymous.cart.id, token, code)
    await stores.inventory.reserve(
        anonymous.cart.id, [StockRequest(skus["RUG"], 1)], timedelta(minutes=10)
    )

    # when the visitor signs in (and the sign-in is retried), or someone guesses the token
    merged = await stores.carts.merge_anonymous(anonymous.cart.id, anonymous.token, owner)
    retried = await stores.carts.merge_anonymous(anonymous.cart.id, anonymous.token, owner)
    with pytest.raises(CartNotFound):
        await stores.carts.merge_anonymous(anonymous.cart.id, "guessed-token", owner)

    # then the shopper's cart holds both carts' lines (capped at 99) and the code
    assert merged.owner_sub == owner
    assert _lines(merged) == {"LAMP": 99, skus["RUG"]: 1}
    assert merged.discount_code == code
    assert retried == merged
    # and the anonymous cart is closed, its hold released
    old = await stores.carts.cart(anonymous.cart.id, token)
    assert old is not None
    assert old.status is CartStatus.MERGED
    assert await stores.inventory.reservations(anonymous.cart.id) == ()
    assert await stores.inventory.available([skus["RUG"]]) == {skus["RUG"]: 5}


async def test_discount_codes_apply_only_inside_their_window_limit_and_currency(stores):
    # given codes in every state
    now = datetime.now(UTC)
    day = timedelta(days=1)
    names = {
        state: unique(state) for state in ("OK", "SOON", "OVER", "USED", "OFF", "USD", "FIXED")
    }
    for record in (
        DiscountCodeRecord(names["OK"].lower(), DiscountKind.PERCENTAGE, 1500, usage_limit=10),
        DiscountCodeRecord(names["SOON"], DiscountKind.PERCENTAGE, 1000, starts_at=now + day),
        DiscountCodeRecord(names["OVER"], DiscountKind.PERCENTAGE, 1000, ends_at=now - day),
        DiscountCodeRecord(
            names["USED"], DiscountKind.PERCENTAGE, 1000, usage_limit=1, times_used=1
        ),
        DiscountCodeRecord(names["OFF"], DiscountKind.PERCENTAGE, 1000, active=False),
        DiscountCodeRecord(names["USD"], DiscountKind.FIXED, 500, currency="USD"),
        DiscountCodeRecord(names["FIXED"], DiscountKind.FIXED, 500, currency="EUR"),
    ):
        await stores.discounts.create_discount_code(record)
    owner = unique("shopper")
    access = CartAccess.owner(owner)
    cart = await owned_cart(stores, owner, {"A": 1})

    # when each code is applied
    reasons = {}
    for state in ("SOON", "OVER", "USED", "OFF", "USD"):
        with pytest.raises(InvalidDiscount) as refused:
            await stores.carts.apply_discount(cart.id, access, names[state])
        reasons[state] = refused.value.reason
    with pytest.raises(InvalidDiscount) as unknown:
        await stores.carts.apply_discount(cart.id, access, "NO-SUCH-CODE")
    unchanged = await stores.carts.cart(cart.id, access)
    applied = await stores.carts.apply_discount(cart.id, access, names["OK"].lower())
    replaced = await stores.carts.apply_discount(cart.id, access, names["FIXED"])
    removed = await stores.carts.remove_discount(cart.id, access)
    with pytest.raises(AlreadyExists):
        await stores.discounts.create_discount_code(
            DiscountCodeRecord(names["OK"], DiscountKind.PERCENTAGE, 100)
        )

    # then each refusal says why and changed nothing; valid codes apply case-insensitively
    assert reasons == {
        "SOON": "NOT_STARTED",
        "OVER": "EXPIRED",
        "USED": "EXHAUSTED",
        "OFF": "INACTIVE",
        "USD": "CURRENCY_MISMATCH",
    }
    assert (unknown.value.reason, unknown.value.code) == ("NOT_FOUND", "INVALID_DISCOUNT")
    assert unchanged == cart
    assert (applied.discount_code, applied.version) == (names["OK"], cart.version + 1)
    assert replaced.discount_code == names["FIXED"]
    assert removed.discount_code is None
    stored = await stores.discounts.discount_code(names["OK"].lower())
    assert stored is not None
    assert (stored.code, stored.value, stored.usage_limit, stored.times_used) == (
        names["OK"],
        1500,
        10,
        0,
    )


async def test_a_cart_being_paid_for_cannot_be_edited(stores):
    # given a cart whose order awaits payment
    skus = await stocked(stores, A=3)
    owner = unique("shopper")
    access = CartAccess.owner(owner)
    cart = await owned_cart(stores, owner, {skus["A"]: 1})
    await stores.checkout.place_order(CheckoutRequest(cart.id, owner, {skus["A"]: eur(100)}))

    # when the shopper tries to add a line, and opens their cart
    with pytest.raises(CartNotActive) as refused:
        await stores.carts.add_line(cart.id, access, sku="B", product_id="p", quantity=1)
    opened = await stores.carts.open_cart(owner, "EUR")

    # then the edit is refused and the open cart is the one being paid for
    assert (refused.value.status, refused.value.code) == ("CHECKING_OUT", "CART_NOT_ACTIVE")
    assert (opened.id, opened.status, _lines(opened)) == (
        cart.id,
        CartStatus.CHECKING_OUT,
        {skus["A"]: 1},
    )
