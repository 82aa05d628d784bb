"""Stripe's webhook events read as payment callbacks (``/webhooks/payments/stripe``).

The ``Stripe-Signature`` header is verified with the endpoint's signing secret (``whsec_...``)
and a five-minute tolerance, as Stripe's libraries do. Events that settle a payment:

======================================  =========================================
Stripe event                            callback
======================================  =========================================
``payment_intent.succeeded``            CAPTURED, ``amount_received``
``payment_intent.payment_failed``       DECLINED with ``last_payment_error``'s code
``payment_intent.canceled``             DECLINED (``canceled``)
======================================  =========================================

The order is the PaymentIntent's ``metadata.order_id`` (set at authorization). Any other
event type is acknowledged and ignored, so Stripe does not retry it.
"""

from __future__ import annotations

from typing import Any

import stripe
from pydantic import SecretStr, ValidationError
from starlette.datastructures import Headers

from datasources.shopping_records import PaymentStatus
from gateway.payment_webhooks import CallbackReader, CallbackRefused, PaymentCallback

STRIPE_SIGNATURE_HEADER = "stripe-signature"
TOLERANCE_SECONDS = 300


def stripe_reader(secret: SecretStr) -> CallbackReader:
    """Reads Stripe events signed with ``secret``."""
    key = secret.get_secret_value()

    def read(body: bytes, headers: Headers) -> PaymentCallback | None:
        signature = headers.get(STRIPE_SIGNATURE_HEADER, "")
        try:
            event = stripe.Webhook.construct_event(
                body.decode("utf-8"), signature, key, tolerance=TOLERANCE_SECONDS
            )
        except stripe.SignatureVerificationError:
            raise CallbackRefused(401, "BAD_SIGNATURE", "Stripe-Signature is not valid") from None
        except (ValueError, UnicodeDecodeError):
            raise CallbackRefused(400, "BAD_CALLBACK", "not a Stripe event") from None
        return callback_of(event.to_dict())

    return read


def callback_of(event: dict[str, Any]) -> PaymentCallback | None:
    """The callback a Stripe event stands for, None when it settles nothing."""
    kind = event.get("type")
    if kind not in (
        "payment_intent.succeeded",
        "payment_intent.payment_failed",
        "payment_intent.canceled",
    ):
        return None
    intent = (event.get("data") or {}).get("object") or {}
    order_id = (intent.get("metadata") or {}).get("order_id")
    if not order_id:
        return None  # not a PaymentIntent this gateway created
    error = intent.get("last_payment_error") or {}
    succeeded = kind == "payment_intent.succeeded"
    try:
        return PaymentCallback(
            order_id=order_id,
            provider_ref=intent.get("id", ""),
            status=PaymentStatus.CAPTURED if succeeded else PaymentStatus.DECLINED,
            amount=intent.get("amount_received" if succeeded else "amount", 0),
            currency=str(intent.get("currency", "")).upper(),
            failure_code=None
            if succeeded
            else (error.get("decline_code") or error.get("code") or "canceled"),
        )
    except ValidationError as invalid:
        raise CallbackRefused(400, "BAD_CALLBACK", str(invalid.errors()[0]["msg"])) from None
