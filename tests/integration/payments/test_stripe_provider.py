"""The Stripe adapter against Stripe's documented HTTP shapes (a local server that records
each request and answers as the API reference shows), and against Stripe's test mode when
STRIPE_SECRET_KEY holds a test key."""

from __future__ import annotations

import os
import time
import uuid
from urllib.parse import parse_qs

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from datasources.errors import DataSourceUnavailable, PaymentTimeout
from datasources.payments.stripe_provider import StripeConfig, StripePaymentProvider
from datasources.records import Money
from datasources.shopping_records import PaymentOutcome, PaymentRequest, VoidOutcome

SECRET = "sk_test_recorded"
AMOUNT = Money(12_900, "EUR")


def provider_for(
    server: HTTPServer, *, retries: int = 0, timeout: float = 5.0
) -> StripePaymentProvider:
    return StripePaymentProvider(
        StripeConfig(
            secret_key=SECRET,
            api_base=server.url_for("").rstrip("/"),
            timeout_seconds=timeout,
            max_network_retries=retries,
        )
    )


def payment(token: str = "pm_card_visa", key: str = "checkout-1") -> PaymentRequest:
    return PaymentRequest(
        order_id="order-1", amount=AMOUNT, payment_token=token, idempotency_key=key
    )


def intent(status: str, **extra: object) -> dict[str, object]:
    return {
        "id": "pi_3Q0abc",
        "object": "payment_intent",
        "amount": AMOUNT.amount,
        "currency": "eur",
        "capture_method": "manual",
        "status": status,
        "next_action": None,
        **extra,
    }


def form(request: Request) -> dict[str, list[str]]:
    return parse_qs(request.get_data(as_text=True))


async def test_authorization_is_a_confirmed_manual_capture_payment_intent(
    httpserver: HTTPServer,
) -> None:
    httpserver.expect_oneshot_request("/v1/payment_intents", method="POST").respond_with_json(
        intent("requires_capture")
    )
    answer = await provider_for(httpserver).authorize(payment())
    request, _ = httpserver.log[0]
    assert (answer.outcome, answer.provider_ref) == (PaymentOutcome.SUCCEEDED, "pi_3Q0abc")
    assert request.headers["Authorization"] == f"Bearer {SECRET}"
    assert request.headers["Idempotency-Key"] == "checkout-1"
    assert form(request) == {
        "amount": ["12900"],
        "currency": ["eur"],
        "payment_method": ["pm_card_visa"],
        "confirm": ["true"],
        "capture_method": ["manual"],
        "automatic_payment_methods[enabled]": ["true"],
        "automatic_payment_methods[allow_redirects]": ["never"],
        "metadata[order_id]": ["order-1"],
    }


async def test_card_error_is_a_decline_with_stripes_decline_code(httpserver: HTTPServer) -> None:
    httpserver.expect_oneshot_request("/v1/payment_intents", method="POST").respond_with_json(
        {
            "error": {
                "type": "card_error",
                "code": "card_declined",
                "decline_code": "insufficient_funds",
                "message": "Your card has insufficient funds.",
                "payment_intent": intent("requires_payment_method"),
            }
        },
        status=402,
    )
    answer = await provider_for(httpserver).authorize(payment("pm_card_chargeDeclined"))
    assert (answer.outcome, answer.provider_ref, answer.decline_code) == (
        PaymentOutcome.DECLINED,
        "pi_3Q0abc",
        "insufficient_funds",
    )


async def test_three_d_secure_requires_action_with_the_redirect(httpserver: HTTPServer) -> None:
    url = "https://hooks.stripe.com/3d_secure_2/hosted?merchant=acct_1"
    httpserver.expect_oneshot_request("/v1/payment_intents", method="POST").respond_with_json(
        intent(
            "requires_action",
            next_action={"type": "redirect_to_url", "redirect_to_url": {"url": url}},
        )
    )
    answer = await provider_for(httpserver).authorize(payment("pm_card_authenticationRequired"))
    assert (answer.outcome, answer.next_action_url) == (PaymentOutcome.REQUIRES_ACTION, url)


async def test_unknown_payment_method_is_a_decline(httpserver: HTTPServer) -> None:
    httpserver.expect_oneshot_request("/v1/payment_intents", method="POST").respond_with_json(
        {
            "error": {
                "type": "invalid_request_error",
                "code": "resource_missing",
                "param": "payment_method",
                "message": "No such PaymentMethod: 'pm_nope'",
            }
        },
        status=400,
    )
    answer = await provider_for(httpserver).authorize(payment("pm_nope"))
    assert (answer.outcome, answer.decline_code) == (PaymentOutcome.DECLINED, "resource_missing")


async def test_capture_and_refund_carry_amount_and_idempotency_key(httpserver: HTTPServer) -> None:
    httpserver.expect_oneshot_request(
        "/v1/payment_intents/pi_3Q0abc/capture", method="POST"
    ).respond_with_json(intent("succeeded", amount_received=AMOUNT.amount))
    httpserver.expect_oneshot_request("/v1/refunds", method="POST").respond_with_json(
        {"id": "re_1", "object": "refund", "payment_intent": "pi_3Q0abc", "status": "succeeded"}
    )
    stripe = provider_for(httpserver)
    captured = await stripe.capture("pi_3Q0abc", AMOUNT, idempotency_key="capture-1")
    await stripe.refund("pi_3Q0abc", AMOUNT, idempotency_key="refund-1")
    (capture_request, _), (refund_request, _) = httpserver.log
    assert captured is PaymentOutcome.SUCCEEDED
    assert form(capture_request) == {"amount_to_capture": ["12900"]}
    assert capture_request.headers["Idempotency-Key"] == "capture-1"
    assert form(refund_request) == {"payment_intent": ["pi_3Q0abc"], "amount": ["12900"]}
    assert refund_request.headers["Idempotency-Key"] == "refund-1"


async def test_refused_refund_is_a_value_error(httpserver: HTTPServer) -> None:
    httpserver.expect_oneshot_request("/v1/refunds", method="POST").respond_with_json(
        {
            "error": {
                "type": "invalid_request_error",
                "code": "charge_already_refunded",
                "message": "Charge ch_1 has already been refunded.",
            }
        },
        status=400,
    )
    with pytest.raises(ValueError, match="already been refunded"):
        await provider_for(httpserver).refund("pi_3Q0abc", AMOUNT, idempotency_key="refund-2")


async def test_void_cancels_the_payment_intent_with_the_idempotency_key(
    httpserver: HTTPServer,
) -> None:
    httpserver.expect_oneshot_request(
        "/v1/payment_intents/pi_3Q0abc/cancel", method="POST"
    ).respond_with_json(intent("canceled", cancellation_reason="requested_by_customer"))
    voided = await provider_for(httpserver).void("pi_3Q0abc", idempotency_key="void-1")
    [(request, _)] = httpserver.log
    assert voided is VoidOutcome.VOIDED
    assert form(request) == {"cancellation_reason": ["requested_by_customer"]}
    assert request.headers["Idempotency-Key"] == "void-1"


@pytest.mark.parametrize(
    ("status", "expected"),
    [("succeeded", VoidOutcome.ALREADY_CAPTURED), ("canceled", VoidOutcome.VOIDED)],
)
async def test_a_refused_void_is_decided_by_the_intents_status(
    httpserver: HTTPServer, status: str, expected: VoidOutcome
) -> None:
    refusal = {
        "error": {
            "type": "invalid_request_error",
            "code": "payment_intent_unexpected_state",
            "message": f"You cannot cancel this PaymentIntent because it has a status of {status}.",
        }
    }
    httpserver.expect_oneshot_request(
        "/v1/payment_intents/pi_3Q0abc/cancel", method="POST"
    ).respond_with_json(refusal, status=400)
    httpserver.expect_oneshot_request(
        "/v1/payment_intents/pi_3Q0abc", method="GET"
    ).respond_with_json(intent(status))
    assert await provider_for(httpserver).void("pi_3Q0abc", idempotency_key="v") is expected


async def test_a_void_refused_for_another_reason_is_a_value_error(httpserver: HTTPServer) -> None:
    httpserver.expect_oneshot_request(
        "/v1/payment_intents/pi_3Q0abc/cancel", method="POST"
    ).respond_with_json(
        {"error": {"type": "invalid_request_error", "message": "No such payment_intent"}},
        status=400,
    )
    httpserver.expect_oneshot_request(
        "/v1/payment_intents/pi_3Q0abc", method="GET"
    ).respond_with_json(intent("processing"))
    with pytest.raises(ValueError, match="refused to cancel"):
        await provider_for(httpserver).void("pi_3Q0abc", idempotency_key="v")


async def test_server_error_is_retried_with_the_same_idempotency_key(
    httpserver: HTTPServer,
) -> None:
    httpserver.expect_ordered_request("/v1/payment_intents", method="POST").respond_with_json(
        {"error": {"type": "api_error", "message": "Something went wrong"}}, status=503
    )
    httpserver.expect_ordered_request("/v1/payment_intents", method="POST").respond_with_json(
        intent("requires_capture")
    )
    answer = await provider_for(httpserver, retries=1).authorize(payment(key="checkout-retry"))
    keys = [request.headers["Idempotency-Key"] for request, _ in httpserver.log]
    assert answer.outcome is PaymentOutcome.SUCCEEDED
    assert keys == ["checkout-retry", "checkout-retry"]


async def test_no_answer_in_time_is_a_payment_timeout(httpserver: HTTPServer) -> None:
    def too_slow(_: Request) -> Response:
        time.sleep(1.0)
        return Response("{}", content_type="application/json")

    httpserver.expect_oneshot_request("/v1/payment_intents").respond_with_handler(too_slow)
    with pytest.raises(PaymentTimeout, match="payment provider stripe"):
        await provider_for(httpserver, timeout=0.2).authorize(payment())


async def test_refused_api_key_is_a_configuration_fault(httpserver: HTTPServer) -> None:
    httpserver.expect_oneshot_request("/v1/payment_intents").respond_with_json(
        {"error": {"type": "invalid_request_error", "message": "Invalid API Key provided"}},
        status=401,
    )
    with pytest.raises(DataSourceUnavailable, match="Stripe is unavailable: the API key"):
        await provider_for(httpserver).authorize(payment())


LIVE_KEY = os.environ.get("STRIPE_SECRET_KEY", "")


@pytest.mark.skipif(
    not LIVE_KEY.startswith("sk_test_"),
    reason="set STRIPE_SECRET_KEY to a Stripe test-mode key (sk_test_...) to run against Stripe",
)
async def test_stripe_test_mode_authorizes_captures_refunds_and_declines() -> None:
    stripe = StripePaymentProvider(StripeConfig(secret_key=LIVE_KEY))
    run = uuid.uuid4().hex
    held = await stripe.authorize(payment("pm_card_visa", key=f"vitrine-{run}-ok"))
    again = await stripe.authorize(payment("pm_card_visa", key=f"vitrine-{run}-ok"))
    captured = await stripe.capture(held.provider_ref, AMOUNT, idempotency_key=f"{run}-cap")
    await stripe.refund(held.provider_ref, AMOUNT, idempotency_key=f"{run}-ref")
    declined = await stripe.authorize(payment("pm_card_chargeDeclined", key=f"vitrine-{run}-no"))
    assert held.outcome is PaymentOutcome.SUCCEEDED
    assert again.provider_ref == held.provider_ref
    assert captured is PaymentOutcome.SUCCEEDED
    assert (declined.outcome, declined.decline_code) == (PaymentOutcome.DECLINED, "generic_decline")
