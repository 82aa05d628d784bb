"""The storefront journey end to end over HTTP with real Cognito tokens (moto's user pool),
real PostgreSQL and moto DynamoDB, using the operations in client_examples/operations:
browse anonymously, add to cart, sign in and merge, apply a code, pay, see the order; the
merchant finds and ships it."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from datasources.shopping_records import DiscountCodeRecord, DiscountKind
from gateway.app import create_app
from gateway.bootstrap import Services, build_token_verifier
from gateway.local_cognito import LocalCognito
from gateway.settings import LOCAL_API_KEY, Settings
from tests.conftest import make_settings
from tests.support.demo_pool import bearer, demo_pool
from tests.support.moto_process import MotoProcess
from tests.support.shopping_api import line

pytestmark = pytest.mark.integration

OPERATIONS = Path(__file__).parents[3] / "client_examples" / "operations"
STOREFRONT = {"x-api-key": LOCAL_API_KEY}


def _operation(name: str) -> str:
    return (OPERATIONS / f"{name}.graphql").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def pool(moto: MotoProcess) -> LocalCognito:
    return demo_pool(moto.endpoint_url, "shop")


@pytest.fixture(scope="module")
async def cognito_http(
    moto: MotoProcess, pool: LocalCognito, shop_services: tuple[Settings, Services]
) -> AsyncIterator[httpx.AsyncClient]:
    """The app trusting the moto pool's tokens, over the module's stocked database."""
    base, services = shop_services
    settings = make_settings(
        moto.endpoint_url,
        DATABASE_URL=base.database_url,
        VITRINE_CATALOG_TABLE=base.catalog_table,
        VITRINE_ASSET_BUCKET=base.asset_bucket,
        **pool.environment(),
    )
    app = create_app(settings, dataclasses.replace(services, tokens=build_token_verifier(settings)))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
            yield client


async def _post(
    http: httpx.AsyncClient, query: str, variables: dict[str, Any], headers: dict[str, str]
) -> dict[str, Any]:
    response = await http.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body["errors"]
    data: dict[str, Any] = body["data"]
    return data


async def test_a_shopper_buys_and_the_merchant_ships(
    cognito_http: httpx.AsyncClient, pool: LocalCognito, shop_services: tuple[Settings, Services]
) -> None:
    http = cognito_http
    _, services = shop_services
    assert services.shopping is not None
    code = f"WELCOME{uuid.uuid4().hex[:6].upper()}"
    await services.shopping.discounts.create_discount_code(
        DiscountCodeRecord(code, DiscountKind.PERCENTAGE, 1_000)
    )

    # given an anonymous visitor who puts two sofas in a cart with the storefront's API key
    created = await _post(
        http,
        "mutation { cartCreate { ... on CartCreateSuccess { cartToken cart { id } } } }",
        {},
        STOREFRONT,
    )
    cart_token = created["cartCreate"]["cartToken"]
    anonymous = created["cartCreate"]["cart"]["id"]
    device = {**STOREFRONT, "x-cart-token": cart_token}
    added = await _post(
        http,
        _operation("CartLinesAdd"),
        {
            "cartId": anonymous,
            "lines": [line("prod-002", "SKU-002-G", 2)],
            "expectedVersion": 1,
            "idempotencyKey": uuid.uuid4().hex,
        },
        device,
    )
    assert added["cartLinesAdd"]["cart"]["totals"]["total"]["amount"] == 20_400

    # when they sign in (a real Cognito access token), merge the cart and apply a code
    shopper = {**bearer(pool, "shopper"), "x-cart-token": cart_token}
    merged = await _post(
        http,
        "mutation($c: ID!) { cartMerge(anonymousCartId: $c) { ... on CartMergeSuccess { cart { id } } } }",
        {"c": anonymous},
        shopper,
    )
    cart_id = merged["cartMerge"]["cart"]["id"]
    discounted = await _post(
        http,
        "mutation($c: ID!, $code: String!) { cartDiscountCodeApply(cartId: $c, code: $code) "
        "{ __typename ... on CartDiscountCodeApplySuccess { cart { totals { total { amount } } } } } }",
        {"c": cart_id, "code": code},
        shopper,
    )
    page = await _post(http, _operation("Cart"), {"id": cart_id}, shopper)

    # and pay
    paid = await _post(
        http,
        _operation("CheckoutComplete"),
        {"cartId": cart_id, "paymentToken": "pm_card_visa", "idempotencyKey": uuid.uuid4().hex},
        shopper,
    )
    history = await _post(http, _operation("OrderHistory"), {"first": 5}, shopper)

    # then the cart page showed the discounted total, and the order is paid and listed
    assert discounted["cartDiscountCodeApply"]["cart"]["totals"]["total"]["amount"] == 18_360
    assert page["cart"]["discount"]["code"] == code
    assert [(x["sku"], x["quantity"]) for x in page["cart"]["lines"]] == [("SKU-002-G", 2)]
    order = paid["checkoutComplete"]["order"]
    assert (paid["checkoutComplete"]["__typename"], order["status"]) == (
        "CheckoutCompleteSuccess",
        "PAID",
    )
    assert order["totals"]["total"] == {"amount": 18_360, "currency": "EUR"}
    assert [o["id"] for o in history["myOrders"]["nodes"]] == [order["id"]]

    # when the merchant (a real admin token) finds the shopper's orders and ships this one
    admin = bearer(pool, "admin")
    mine = await _post(
        http, "query($id: ID!) { order(id: $id) { customerId } }", {"id": order["id"]}, shopper
    )
    listed = await _post(
        http,
        "query($f: OrderFilterInput) { orders(filter: $f) { nodes { id status } } }",
        {"f": {"customerId": mine["order"]["customerId"], "statuses": ["PAID"]}},
        admin,
    )
    shipped = await _post(
        http,
        'mutation($id: ID!) { orderFulfill(id: $id, note: "DHL 42") { __typename '
        "... on OrderFulfillSuccess { order { status events { toStatus actor } } } } }",
        {"id": order["id"]},
        admin,
    )
    refused = await http.post(
        "/graphql",
        json={
            "query": "mutation($id: ID!) { orderFulfill(id: $id) { __typename } }",
            "variables": {"id": order["id"]},
        },
        headers=shopper,
    )

    # then it is FULFILLED by that admin, and a shopper may not ship orders
    assert listed["orders"]["nodes"] == [{"id": order["id"], "status": "PAID"}]
    events = shipped["orderFulfill"]["order"]["events"]
    assert [e["toStatus"] for e in events] == ["PENDING_PAYMENT", "PAID", "FULFILLED"]
    assert events[-1]["actor"].startswith("admin:")
    assert refused.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
