"""A checkout through the Stripe adapter that needs 3-D Secure, settled by Stripe's signed
webhook event: real PostgreSQL and moto, Stripe answered by a local server in Stripe's
documented shapes."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import parse_qs

import httpx
import orjson
import pytest
from pytest_httpserver import HTTPServer

from gateway.app import create_app
from gateway.bootstrap import Services, build_services, provision
from resolvers.context import AuthMode, Identity
from resolvers.global_ids import from_global_id
from tests.api.shopping.conftest import StaticTokens, executor, stock_catalog
from tests.conftest import make_settings
from tests.support.moto_process import MotoProcess
from tests.support.shopping_api import ORDER_QUERY, add, checkout, line, result_of, shopper_cart

pytestmark = pytest.mark.integration

SIGNING_SECRET = "whsec_vitrine_tests"
BUYER = Identity(mode=AuthMode.AMAZON_COGNITO_USER_POOLS, subject="stripe-buyer")
CHALLENGE = "https://hooks.stripe.com/3d_secure_2/hosted?merchant=acct_1&payment_intent=pi_3ds"


@pytest.fixture(scope="module")
def stripe_api() -> Iterator[HTTPServer]:
    server = HTTPServer()
    server.start()
    yield server
    server.clear()
    server.stop()


@pytest.fixture(scope="module")
async def http(
    moto: MotoProcess, shop_database: str, stripe_api: HTTPServer
) -> AsyncIterator[httpx.AsyncClient]:
    settings = make_settings(
        moto.endpoint_url,
        DATABASE_URL=shop_database,
        VITRINE_PAYMENT_PROVIDER="stripe",
        STRIPE_SECRET_KEY="sk_test_recorded",
        STRIPE_WEBHOOK_SECRET=SIGNING_SECRET,
        VITRINE_STRIPE_API_BASE=stripe_api.url_for("").rstrip("/"),
    )
    services: Services = dataclasses.replace(build_services(settings), tokens=StaticTokens())
    await provision(services)
    await stock_catalog(services)
    app = create_app(settings, services)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
            yield client


def signed(payload: bytes, secret: str = SIGNING_SECRET, at: int | None = None) -> dict[str, str]:
    """The Stripe-Signature header Stripe sends: ``t=<unix time>,v1=<HMAC-SHA256 hex>``."""
    timestamp = int(time.time()) if at is None else at
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256)
    return {"stripe-signature": f"t={timestamp},v1={digest.hexdigest()}"}


def event(kind: str, intent: dict[str, Any]) -> bytes:
    return orjson.dumps(
        {
            "id": "evt_1Q0abc",
            "object": "event",
            "api_version": "2025-10-29",
            "type": kind,
            "data": {"object": intent},
        }
    )


async def test_three_d_secure_checkout_is_settled_by_stripes_signed_event(
    http: httpx.AsyncClient, stripe_api: HTTPServer
) -> None:
    # given Stripe asks for 3-D Secure when the card is held
    stripe_api.expect_oneshot_request("/v1/payment_intents", method="POST").respond_with_json(
        {
            "id": "pi_3ds",
            "object": "payment_intent",
            "amount": 21_800,
            "currency": "eur",
            "status": "requires_action",
            "next_action": {"type": "redirect_to_url", "redirect_to_url": {"url": CHALLENGE}},
        }
    )
    execute = executor(http)
    cart_id = await shopper_cart(execute, BUYER)
    await add(execute, BUYER, cart_id, line("prod-009", "SKU-009-G", 2))
    pending = await checkout(execute, BUYER, cart_id, token="pm_card_threeDSecure2Required")
    assert (pending["code"], pending["nextActionUrl"]) == ("PAYMENT_REQUIRES_ACTION", CHALLENGE)
    order_id = pending["placedOrder"]["id"]
    _, own_id = from_global_id(order_id)
    [(authorize, _)] = stripe_api.log
    assert parse_qs(authorize.get_data(as_text=True))["metadata[order_id]"] == [own_id]

    succeeded = event(
        "payment_intent.succeeded",
        {
            "id": "pi_3ds",
            "object": "payment_intent",
            "amount": 21_800,
            "amount_received": 21_800,
            "currency": "eur",
            "status": "succeeded",
            "metadata": {"order_id": own_id},
        },
    )
    url = "/webhooks/payments/stripe"

    # when forged, stale and unrelated events arrive, then the real one twice
    forged = await http.post(url, content=succeeded, headers=signed(succeeded, "whsec_other"))
    stale = await http.post(
        url, content=succeeded, headers=signed(succeeded, at=int(time.time()) - 3600)
    )
    other = event("customer.created", {"id": "cus_1", "object": "customer"})
    unrelated = await http.post(url, content=other, headers=signed(other))
    settled = await http.post(url, content=succeeded, headers=signed(succeeded))
    replayed = await http.post(url, content=succeeded, headers=signed(succeeded))

    # then only the authentic event settled the order, once
    assert [r.status_code for r in (forged, stale)] == [401, 401]
    assert forged.json()["error"] == "BAD_SIGNATURE"
    assert unrelated.json() == {"ignored": True}
    assert settled.json() == {"orderId": own_id, "status": "PAID"}
    assert replayed.json() == {"orderId": own_id, "status": "PAID"}
    data, errors = await execute(ORDER_QUERY, {"id": order_id}, BUYER)
    assert errors == []
    order = result_of(data, "order")
    assert order["status"] == "PAID"
    assert [(p["provider"], p["status"]) for p in order["payments"]] == [("stripe", "CAPTURED")]


async def test_a_failed_payment_event_cancels_the_order(
    http: httpx.AsyncClient, stripe_api: HTTPServer
) -> None:
    # given an order waiting for 3-D Secure
    stripe_api.expect_oneshot_request("/v1/payment_intents", method="POST").respond_with_json(
        {
            "id": "pi_3ds_2",
            "object": "payment_intent",
            "amount": 10_900,
            "currency": "eur",
            "status": "requires_action",
            "next_action": None,
        }
    )
    execute = executor(http)
    buyer = Identity(mode=AuthMode.AMAZON_COGNITO_USER_POOLS, subject="stripe-buyer-2")
    cart_id = await shopper_cart(execute, buyer)
    await add(execute, buyer, cart_id, line("prod-008", "SKU-008-G", 1))
    pending = await checkout(execute, buyer, cart_id, token="pm_card_threeDSecure2Required")
    _, own_id = from_global_id(pending["placedOrder"]["id"])

    # when Stripe reports the authentication failed
    failed = event(
        "payment_intent.payment_failed",
        {
            "id": "pi_3ds_2",
            "object": "payment_intent",
            "amount": 10_900,
            "currency": "eur",
            "status": "requires_payment_method",
            "last_payment_error": {"code": "payment_intent_authentication_failure"},
            "metadata": {"order_id": own_id},
        },
    )
    answer = await http.post("/webhooks/payments/stripe", content=failed, headers=signed(failed))

    # then the order is cancelled with the reason recorded
    assert answer.json() == {"orderId": own_id, "status": "CANCELLED"}
    data, errors = await execute(ORDER_QUERY, {"id": pending["placedOrder"]["id"]}, buyer)
    assert errors == []
    payments = result_of(data, "order")["payments"]
    assert (payments[-1]["status"], payments[-1]["failureCode"]) == (
        "DECLINED",
        "payment_intent_authentication_failure",
    )
