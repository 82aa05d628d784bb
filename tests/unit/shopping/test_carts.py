"""Carts through the real schema on fakes: tokens, prices from the catalog, bad input,
versions, discount codes, merging at sign-in and idempotency keys."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from datasources.records import Money, ProductStatus
from datasources.shopping_records import DiscountCodeRecord, DiscountKind
from resolvers.global_ids import to_global_id
from tests.fakes.blobs import FakeBlobStore
from tests.fakes.catalog import FakeAssetUrls, FakeCatalog
from tests.fakes.shopping import FakeShop
from tests.graphql_client import SchemaClient
from tests.support.shopping_api import (
    CART_LINE_REMOVE,
    CART_LINE_UPDATE,
    CART_MERGE,
    CART_QUERY,
    DISCOUNT_APPLY,
    DISCOUNT_REMOVE,
    SHOPPER_A,
    SHOPPER_B,
    STOREFRONT,
    add,
    anonymous_cart,
    line,
    new_key,
    result_of,
    shopper_cart,
)

SOFA = line("prod-001", "SKU-001-G", 2)  # 101.00 EUR, 5 in stock


async def test_an_anonymous_cart_is_seen_only_with_its_token(execute: Any) -> None:
    # given a storefront that created an anonymous cart
    cart_id, token = await anonymous_cart(execute)

    # when it reads the cart with and without the token, and another token
    with_token, errors = await execute(CART_QUERY, {"id": cart_id}, STOREFRONT, cart_token=token)
    without, errors_without = await execute(CART_QUERY, {"id": cart_id}, STOREFRONT)
    other, errors_other = await execute(
        CART_QUERY, {"id": cart_id}, STOREFRONT, cart_token=token[:-1] + "x"
    )

    # then only the token shows it: an empty EUR cart at version 1
    assert errors == errors_without == errors_other == []
    assert with_token is not None
    cart = with_token["cart"]
    assert (cart["id"], cart["isAnonymous"], cart["version"], cart["currency"]) == (
        cart_id,
        True,
        1,
        "EUR",
    )
    assert cart["lines"] == []
    assert cart["totals"]["total"] == {"amount": 0, "currency": "EUR"}
    assert without == other == {"cart": None}
    assert len(token) >= 40


async def test_a_signed_in_shopper_gets_their_open_cart_every_time(execute: Any) -> None:
    # when a shopper calls cartCreate twice
    first = await shopper_cart(execute, SHOPPER_A)
    second = await shopper_cart(execute, SHOPPER_A)
    other = await shopper_cart(execute, SHOPPER_B)

    # then it is the same open cart, not shared with anyone else
    assert first == second
    assert other != first


async def test_lines_are_priced_from_the_catalog_at_read_time(
    execute: Any, catalog: FakeCatalog
) -> None:
    # given a cart with two sofas and a lamp
    cart_id, token = await anonymous_cart(execute)
    added = await add(
        execute, STOREFRONT, cart_id, SOFA, line("prod-002", "SKU-002-B", 1), cart_token=token
    )
    assert added["__typename"] == "CartLinesAddSuccess"
    cart = added["cart"]
    assert [
        (x["sku"], x["quantity"], x["unitPrice"]["amount"], x["total"]["amount"])
        for x in cart["lines"]
    ] == [
        ("SKU-001-G", 2, 10_100, 20_200),
        ("SKU-002-B", 1, 12_200, 12_200),
    ]
    assert cart["lines"][0]["product"]["name"] == "Product 001"
    assert cart["lines"][0]["variant"] == {"sku": "SKU-001-G", "title": "Green"}
    assert (cart["totals"]["subtotal"]["amount"], cart["totals"]["total"]["amount"]) == (
        32_400,
        32_400,
    )
    assert (cart["version"], cart["itemCount"]) == (3, 3)

    # when the merchant changes a price in the catalog
    product = catalog.products["prod-001"]
    catalog.products["prod-001"] = replace(
        product,
        variants=(replace(product.variants[0], price=Money(9_000, "EUR")), product.variants[1]),
    )
    data, errors = await execute(CART_QUERY, {"id": cart_id}, STOREFRONT, cart_token=token)

    # then the cart shows the new price at once (prices are not stored in carts)
    assert errors == []
    assert data is not None
    assert data["cart"]["lines"][0]["unitPrice"] == {"amount": 9_000, "currency": "EUR"}
    assert data["cart"]["totals"]["total"]["amount"] == 18_000 + 12_200


@pytest.mark.parametrize(
    ("given", "code", "details"),
    [
        (
            line("prod-001", "SKU-001-G", -1),
            "INVALID_QUANTITY",
            {"sku": "SKU-001-G", "requested": -1},
        ),
        (line("prod-001", "SKU-001-G", 0), "INVALID_QUANTITY", {"requested": 0}),
        (line("prod-001", "SKU-001-G", 100), "INVALID_QUANTITY", {"requested": 100}),
        (line("prod-001", "SKU-001-G", 1_000_000), "INVALID_QUANTITY", {"requested": 1_000_000}),
        (line("prod-001", "SKU-999-X", 1), "UNKNOWN_SKU", {"sku": "SKU-999-X"}),
        (line("prod-404", "SKU-001-G", 1), "UNKNOWN_SKU", {"sku": "SKU-001-G"}),
        (line("prod-020", "SKU-020-G", 1), "NOT_FOR_SALE", {"sku": "SKU-020-G"}),
        (line("prod-021", "SKU-021-USD", 1), "CURRENCY_MISMATCH", {"sku": "SKU-021-USD"}),
        (
            line("prod-001", "SKU-001-G", 6),
            "INSUFFICIENT_STOCK",
            {"sku": "SKU-001-G", "requested": 6, "available": 5},
        ),
    ],
    ids=[
        "negative",
        "zero",
        "over-99",
        "huge",
        "unknown-sku",
        "unknown-product",
        "archived",
        "currency-mismatch",
        "more-than-in-stock",
    ],
)
async def test_bad_lines_are_typed_errors_and_change_nothing(
    execute: Any, given: dict[str, object], code: str, details: dict[str, object]
) -> None:
    # given an anonymous EUR cart holding one sofa
    cart_id, token = await anonymous_cart(execute)
    await add(execute, STOREFRONT, cart_id, line("prod-003", "SKU-003-G", 1), cart_token=token)

    # when a bad line is added
    result = await add(execute, STOREFRONT, cart_id, given, cart_token=token)

    # then the typed error names it, and the cart is as it was
    assert result["__typename"] == "CartLinesAddError"
    assert result["code"] == code
    assert {k: result[k] for k in details} == details
    data, _ = await execute(CART_QUERY, {"id": cart_id}, STOREFRONT, cart_token=token)
    assert data is not None
    assert [(x["sku"], x["quantity"]) for x in data["cart"]["lines"]] == [("SKU-003-G", 1)]
    assert data["cart"]["version"] == 2


async def test_a_quantity_beyond_32_bits_is_refused_by_graphql(execute: Any) -> None:
    cart_id, token = await anonymous_cart(execute)
    data, errors = await execute(
        'mutation($c: ID!) { cartLinesAdd(cartId: $c, lines: [{productId: "x", sku: "S", '
        "quantity: 99999999999}]) { __typename } }",
        {"c": cart_id},
        STOREFRONT,
        cart_token=token,
    )
    assert data is None
    assert errors[0]["message"].startswith("Int cannot represent non 32-bit signed integer value")


async def test_lines_add_up_to_at_most_99_units(execute: Any, shop: FakeShop) -> None:
    # given 500 units in stock and a cart with 98
    shop.put_stock("SKU-004-G", 500)
    cart_id, token = await anonymous_cart(execute)
    await add(execute, STOREFRONT, cart_id, line("prod-004", "SKU-004-G", 98), cart_token=token)

    # when 2 more are added (and the same SKU twice in one call)
    over = await add(
        execute, STOREFRONT, cart_id, line("prod-004", "SKU-004-G", 2), cart_token=token
    )
    twice = await add(
        execute,
        STOREFRONT,
        cart_id,
        line("prod-004", "SKU-004-G", 1),
        line("prod-004", "SKU-004-G", 1),
        cart_token=token,
    )

    # then both are refused with the total they would make
    assert (over["code"], over["requested"]) == ("INVALID_QUANTITY", 100)
    assert (twice["code"], twice["requested"]) == ("INVALID_QUANTITY", 100)


async def test_update_and_remove_lines(execute: Any) -> None:
    # given a shopper's cart with two lines
    cart_id = await shopper_cart(execute, SHOPPER_A)
    await add(execute, SHOPPER_A, cart_id, SOFA, line("prod-002", "SKU-002-G", 1))

    async def update(sku: str, quantity: int) -> dict[str, Any]:
        data, errors = await execute(
            CART_LINE_UPDATE, {"cartId": cart_id, "sku": sku, "quantity": quantity}, SHOPPER_A
        )
        assert errors == []
        return result_of(data, "cartLineUpdate")

    # when quantities are changed, a line set to 0, a missing line and bad numbers tried
    three = await update("SKU-001-G", 3)
    too_many = await update("SKU-001-G", 6)
    negative = await update("SKU-001-G", -2)
    missing = await update("SKU-009-G", 1)
    zero = await update("SKU-002-G", 0)
    data, errors = await execute(
        CART_LINE_REMOVE, {"cartId": cart_id, "sku": "SKU-001-G"}, SHOPPER_A
    )

    # then each is applied or refused with its code
    assert [(x["sku"], x["quantity"]) for x in three["cart"]["lines"]] == [
        ("SKU-001-G", 3),
        ("SKU-002-G", 1),
    ]
    assert (too_many["code"], too_many["requested"], too_many["available"]) == (
        "INSUFFICIENT_STOCK",
        6,
        5,
    )
    assert (negative["code"], negative["requested"]) == ("INVALID_QUANTITY", -2)
    assert (missing["code"], missing["sku"]) == ("LINE_NOT_FOUND", "SKU-009-G")
    assert [x["sku"] for x in zero["cart"]["lines"]] == ["SKU-001-G"]
    assert errors == []
    removed = result_of(data, "cartLineRemove")
    assert removed["cart"]["lines"] == []
    assert removed["cart"]["totals"]["total"]["amount"] == 0


async def test_an_archived_product_stays_in_the_cart_without_a_price(
    execute: Any, catalog: FakeCatalog
) -> None:
    # given a cart with two products
    cart_id, token = await anonymous_cart(execute)
    await add(
        execute, STOREFRONT, cart_id, SOFA, line("prod-002", "SKU-002-G", 1), cart_token=token
    )

    # when the merchant archives one of them
    catalog.products["prod-002"] = replace(
        catalog.products["prod-002"], status=ProductStatus.ARCHIVED
    )
    data, errors = await execute(CART_QUERY, {"id": cart_id}, STOREFRONT, cart_token=token)

    # then its line shows why it has no price, and the totals leave it out
    assert errors == []
    assert data is not None
    lines = data["cart"]["lines"]
    assert [(x["sku"], x["problem"], x["unitPrice"]) for x in lines] == [
        ("SKU-001-G", None, {"amount": 10_100, "currency": "EUR"}),
        ("SKU-002-G", "NOT_FOR_SALE", None),
    ]
    assert data["cart"]["totals"]["subtotal"]["amount"] == 20_200


async def test_a_stale_version_is_refused_so_two_devices_never_overwrite(execute: Any) -> None:
    # given one anonymous cart open on a phone and a laptop, both at version 2
    cart_id, token = await anonymous_cart(execute)
    first = await add(execute, STOREFRONT, cart_id, SOFA, cart_token=token)
    version = first["cart"]["version"]

    # when both change it from the version they read
    phone = await add(
        execute,
        STOREFRONT,
        cart_id,
        line("prod-002", "SKU-002-G", 1),
        cart_token=token,
        version=version,
    )
    laptop = await add(
        execute,
        STOREFRONT,
        cart_id,
        line("prod-003", "SKU-003-G", 1),
        cart_token=token,
        version=version,
    )

    # then the first wins and the second is told the cart moved on
    assert phone["__typename"] == "CartLinesAddSuccess"
    assert (laptop["code"], laptop["currentVersion"]) == ("VERSION_CONFLICT", version + 1)
    data, _ = await execute(CART_QUERY, {"id": cart_id}, STOREFRONT, cart_token=token)
    assert data is not None
    assert [x["sku"] for x in data["cart"]["lines"]] == ["SKU-001-G", "SKU-002-G"]


async def test_concurrent_adds_without_versions_all_count(execute: Any, shop: FakeShop) -> None:
    # given a cart and plenty of stock
    shop.put_stock("SKU-005-G", 100)
    cart_id, token = await anonymous_cart(execute)

    # when ten devices add one unit each at the same time
    results = await asyncio.gather(
        *(
            add(execute, STOREFRONT, cart_id, line("prod-005", "SKU-005-G", 1), cart_token=token)
            for _ in range(10)
        )
    )

    # then no update is lost
    assert {r["__typename"] for r in results} == {"CartLinesAddSuccess"}
    data, _ = await execute(CART_QUERY, {"id": cart_id}, STOREFRONT, cart_token=token)
    assert data is not None
    assert data["cart"]["lines"][0]["quantity"] == 10
    assert data["cart"]["version"] == 11


async def _code(shop: FakeShop, code: str, **fields: Any) -> None:
    shop.discounts[code] = DiscountCodeRecord(code=code, **fields)


async def test_discount_codes_apply_only_when_usable(execute: Any, shop: FakeShop) -> None:
    # given codes: 10 %, expired, used up, not started, inactive, fixed USD, fixed EUR
    now = datetime.now(UTC)
    await _code(shop, "TENOFF", kind=DiscountKind.PERCENTAGE, value=1_000)
    await _code(
        shop, "OLD", kind=DiscountKind.PERCENTAGE, value=1_000, ends_at=now - timedelta(days=1)
    )
    await _code(
        shop, "GONE", kind=DiscountKind.PERCENTAGE, value=1_000, usage_limit=3, times_used=3
    )
    await _code(
        shop, "SOON", kind=DiscountKind.PERCENTAGE, value=1_000, starts_at=now + timedelta(days=1)
    )
    await _code(shop, "OFF", kind=DiscountKind.PERCENTAGE, value=1_000, active=False)
    await _code(shop, "FIVEUSD", kind=DiscountKind.FIXED, value=500, currency="USD")
    cart_id, token = await anonymous_cart(execute)
    await add(execute, STOREFRONT, cart_id, SOFA, cart_token=token)

    async def apply(code: str) -> dict[str, Any]:
        data, errors = await execute(
            DISCOUNT_APPLY, {"cartId": cart_id, "code": code}, STOREFRONT, cart_token=token
        )
        assert errors == []
        return result_of(data, "cartDiscountCodeApply")

    # when each is applied
    refused = {
        code: await apply(code) for code in ("OLD", "GONE", "SOON", "OFF", "FIVEUSD", "NOPE", "")
    }
    applied = await apply("tenoff")

    # then the unusable ones say why, and the usable one takes 10 % off
    assert {code: (r["code"], r["discountRejection"]) for code, r in refused.items()} == {
        "OLD": ("DISCOUNT_CODE_INVALID", "EXPIRED"),
        "GONE": ("DISCOUNT_CODE_INVALID", "EXHAUSTED"),
        "SOON": ("DISCOUNT_CODE_INVALID", "NOT_STARTED"),
        "OFF": ("DISCOUNT_CODE_INVALID", "INACTIVE"),
        "FIVEUSD": ("DISCOUNT_CODE_INVALID", "CURRENCY_MISMATCH"),
        "NOPE": ("DISCOUNT_CODE_INVALID", "NOT_FOUND"),
        "": ("DISCOUNT_CODE_INVALID", "NOT_FOUND"),
    }
    cart = applied["cart"]
    assert cart["discount"] == {
        "code": "TENOFF",
        "amount": {"amount": 2_020, "currency": "EUR"},
        "rejection": None,
    }
    assert (cart["totals"]["discount"]["amount"], cart["totals"]["total"]["amount"]) == (
        2_020,
        18_180,
    )

    # when the code expires while it sits in the cart, then is removed
    shop.discounts["TENOFF"] = replace(shop.discounts["TENOFF"], ends_at=now - timedelta(seconds=1))
    expired, _ = await execute(CART_QUERY, {"id": cart_id}, STOREFRONT, cart_token=token)
    removed, errors = await execute(
        DISCOUNT_REMOVE, {"cartId": cart_id}, STOREFRONT, cart_token=token
    )

    # then the cart shows it takes nothing off now, and then no discount at all
    assert expired is not None
    assert expired["cart"]["discount"]["rejection"] == "EXPIRED"
    assert expired["cart"]["totals"]["total"]["amount"] == 20_200
    assert errors == []
    assert result_of(removed, "cartDiscountCodeRemove")["cart"]["discount"] is None


async def test_merge_moves_the_anonymous_cart_into_the_shoppers_cart(execute: Any) -> None:
    # given an anonymous cart with 2 sofas, and the shopper's own cart with 1 sofa and a lamp
    anonymous, token = await anonymous_cart(execute)
    await add(execute, STOREFRONT, anonymous, SOFA, cart_token=token)
    mine = await shopper_cart(execute, SHOPPER_A)
    await add(
        execute, SHOPPER_A, mine, line("prod-001", "SKU-001-G", 1), line("prod-002", "SKU-002-G", 1)
    )

    # when the shopper signs in on the device holding the token and merges
    data, errors = await execute(CART_MERGE, {"cartId": anonymous}, SHOPPER_A, cart_token=token)
    again, _ = await execute(CART_MERGE, {"cartId": anonymous}, SHOPPER_A, cart_token=token)
    no_token, _ = await execute(CART_MERGE, {"cartId": anonymous}, SHOPPER_A)
    storefront, storefront_errors = await execute(
        CART_MERGE, {"cartId": anonymous}, STOREFRONT, cart_token=token
    )
    leftover, _ = await execute(CART_QUERY, {"id": anonymous}, STOREFRONT, cart_token=token)

    # then the shopper's cart holds the sum; merging again changes nothing
    assert errors == []
    merged = result_of(data, "cartMerge")["cart"]
    assert merged["id"] == mine
    assert [(x["sku"], x["quantity"]) for x in merged["lines"]] == [
        ("SKU-001-G", 3),
        ("SKU-002-G", 1),
    ]
    assert result_of(again, "cartMerge")["cart"]["lines"] == merged["lines"]
    # and it takes the token (NOT_FOUND without it) and a signed-in shopper
    assert result_of(no_token, "cartMerge")["code"] == "NOT_FOUND"
    assert storefront is None
    assert storefront_errors[0]["extensions"]["code"] == "UNAUTHENTICATED"
    # and the anonymous cart is MERGED
    assert leftover is not None
    assert leftover["cart"]["status"] == "MERGED"


async def test_merge_refuses_a_cart_in_another_currency(execute: Any) -> None:
    anonymous, token = await anonymous_cart(execute, currency="USD")
    await shopper_cart(execute, SHOPPER_A)
    data, errors = await execute(CART_MERGE, {"cartId": anonymous}, SHOPPER_A, cart_token=token)
    assert errors == []
    assert result_of(data, "cartMerge")["code"] == "CURRENCY_MISMATCH"


async def test_cart_create_refuses_a_currency_that_is_not_iso_4217(execute: Any) -> None:
    data, errors = await execute(
        'mutation { cartCreate(currency: "euros") { __typename ... on CartCreateError { code field } } }',
        None,
        STOREFRONT,
    )
    assert errors == []
    assert data == {
        "cartCreate": {
            "__typename": "CartCreateError",
            "code": "INVALID_CURRENCY",
            "field": "currency",
        }
    }


async def test_carts_need_an_api_key_or_a_sign_in(execute: Any) -> None:
    from resolvers.context import Identity

    data, errors = await execute(
        "mutation { cartCreate { __typename } }", None, Identity.anonymous()
    )
    assert data is None
    assert errors[0]["extensions"] == {
        "errorType": "UnauthorizedException",
        "code": "UNAUTHENTICATED",
    }


async def test_the_same_idempotency_key_adds_once(execute: Any) -> None:
    # given a cart
    cart_id, token = await anonymous_cart(execute)
    key = new_key()

    # when the same add is sent twice with one key, then with other lines and the same key
    first = await add(execute, STOREFRONT, cart_id, SOFA, cart_token=token, key=key)
    retry = await add(execute, STOREFRONT, cart_id, SOFA, cart_token=token, key=key)
    reused = await add(
        execute, STOREFRONT, cart_id, line("prod-002", "SKU-002-G", 1), cart_token=token, key=key
    )

    # then the retry returns the first outcome without adding again; the reuse is refused
    assert first["cart"]["lines"][0]["quantity"] == 2
    assert retry == first
    assert (reused["code"], reused["field"]) == ("IDEMPOTENCY_KEY_REUSED", "idempotencyKey")


async def test_a_typed_error_is_replayed_for_the_same_key(execute: Any, shop: FakeShop) -> None:
    # given a cart and an add refused for stock
    cart_id, token = await anonymous_cart(execute)
    key = new_key()
    short = await add(
        execute, STOREFRONT, cart_id, line("prod-001", "SKU-001-G", 9), cart_token=token, key=key
    )

    # when stock arrives and the same request is retried with the same key
    shop.put_stock("SKU-001-G", 50)
    retry = await add(
        execute, STOREFRONT, cart_id, line("prod-001", "SKU-001-G", 9), cart_token=token, key=key
    )

    # then the first answer is replayed (a new attempt needs a new key)
    assert short["code"] == "INSUFFICIENT_STOCK"
    assert retry == short
    fresh = await add(
        execute,
        STOREFRONT,
        cart_id,
        line("prod-001", "SKU-001-G", 9),
        cart_token=token,
        key=new_key(),
    )
    assert fresh["__typename"] == "CartLinesAddSuccess"


async def test_a_retry_while_the_first_call_runs_is_a_conflict(
    catalog: FakeCatalog, shop: FakeShop
) -> None:
    # given a store whose stock check waits until the test lets it go
    from tests.fakes.shopping import FakeInventory, fake_shopping

    gate = asyncio.Event()

    class SlowInventory(FakeInventory):
        async def available(self, skus, *, now=None):  # type: ignore[no-untyped-def]
            await gate.wait()
            return await super().available(skus, now=now)

    sources, _ = fake_shopping(shop)
    sources = replace(sources, inventory=SlowInventory(shop))
    client = SchemaClient(catalog, FakeBlobStore(), FakeAssetUrls(), shopping=sources)

    async def execute(
        query: str, variables: Any = None, identity: Any = STOREFRONT, *, cart_token: Any = None
    ) -> Any:
        return await client.execute(query, variables, identity, cart_token=cart_token)

    cart_id, token = await anonymous_cart(execute)
    key = new_key()

    # when the same call is retried while the first is still running
    first = asyncio.create_task(add(execute, STOREFRONT, cart_id, SOFA, cart_token=token, key=key))
    await asyncio.sleep(0.01)
    retry = await add(execute, STOREFRONT, cart_id, SOFA, cart_token=token, key=key)
    gate.set()
    done = await first

    # then the retry is told to wait, and the first completes once
    assert (retry["code"], retry["field"]) == ("IDEMPOTENCY_CONFLICT", "idempotencyKey")
    assert done["cart"]["lines"][0]["quantity"] == 2


async def test_shopping_without_a_database_is_service_unavailable(catalog: FakeCatalog) -> None:
    # given a gateway with no DATABASE_URL (no shopping sources)
    client = SchemaClient(catalog, FakeBlobStore(), FakeAssetUrls())

    # when a storefront reads a cart and the catalog
    cart, cart_errors = await client.execute(CART_QUERY, {"id": to_global_id("Cart", "x")})
    products, product_errors = await client.execute("{ products(first: 1) { totalCount } }")

    # then shopping is a typed ServiceUnavailable naming DATABASE_URL; the catalog works
    assert cart == {"cart": None}
    assert cart_errors[0]["extensions"] == {
        "errorType": "ServiceUnavailable",
        "code": "SERVICE_UNAVAILABLE",
    }
    assert "DATABASE_URL" in cart_errors[0]["message"]
    assert product_errors == []
    assert products == {"products": {"totalCount": 11}}


async def test_an_anonymous_cart_create_is_replayed_with_its_token_for_a_long_key(
    execute: Any,
) -> None:
    # given a storefront that lost the answer of cartCreate
    key = new_key()
    query = (
        "mutation($key: String) { cartCreate(idempotencyKey: $key) { ... on CartCreateSuccess "
        "{ cartToken cart { id } } } }"
    )
    first, errors = await execute(query, {"key": key}, STOREFRONT)
    # when it retries with the same key, and another storefront tries a short, guessable key
    retry, retry_errors = await execute(query, {"key": key}, STOREFRONT)
    short, short_errors = await execute(query, {"key": "cart-create"}, STOREFRONT)
    # then the retry gets the same cart and token; the short key is refused
    assert errors == retry_errors == []
    assert retry == first
    assert short is None
    assert short_errors[0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "at least 32 characters" in short_errors[0]["message"]
