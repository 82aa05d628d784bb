"""The PaymentProvider port on Stripe PaymentIntents (the official ``stripe`` library).

An authorization is a PaymentIntent confirmed with ``capture_method=manual``: the card is
held, and ``capture`` takes the money once the order exists. Every call carries the
checkout's idempotency key, so a retried checkout never charges twice. Stripe's answers map
onto the port as follows:

==================================  ==============================================
Stripe                              port
==================================  ==============================================
status ``requires_capture``         authorization SUCCEEDED
status ``requires_action``          REQUIRES_ACTION with the 3-D Secure URL
``CardError`` (402)                 DECLINED with Stripe's ``decline_code``
``InvalidRequestError`` (400/404)   DECLINED with Stripe's error ``code``
no answer, 5xx, 429                 PaymentTimeout (the outcome is unknown)
bad or revoked API key              DataSourceUnavailable (a configuration fault)
cancel of a ``succeeded`` intent    void ALREADY_CAPTURED (refund it instead)
==================================  ==============================================
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import stripe
from stripe.params import PaymentIntentCreateParams

from datasources.errors import DataSourceUnavailable, IdempotencyKeyReused, PaymentTimeout
from datasources.records import Money
from datasources.shopping_records import (
    PaymentAuthorization,
    PaymentOutcome,
    PaymentRequest,
    VoidOutcome,
)

PROVIDER_NAME = "stripe"
AUTHORIZED_STATUSES = frozenset({"requires_capture", "succeeded"})


@dataclass(frozen=True)
class StripeConfig:
    """How to reach Stripe: the secret key, and an API base for stripe-mock or tests."""

    secret_key: str
    api_base: str | None = None
    timeout_seconds: float = 10.0
    max_network_retries: int = 2


class StripePaymentProvider:
    """Authorize, capture, void and refund through Stripe PaymentIntents."""

    name = PROVIDER_NAME

    def __init__(self, config: StripeConfig) -> None:
        self._client = stripe.StripeClient(
            config.secret_key,
            http_client=stripe.HTTPXClient(timeout=config.timeout_seconds),
            base_addresses={"api": config.api_base} if config.api_base else {},
            max_network_retries=config.max_network_retries,
        )

    async def authorize(self, request: PaymentRequest) -> PaymentAuthorization:
        """Hold ``request.amount`` on the card: a confirmed, manually captured PaymentIntent."""
        params: PaymentIntentCreateParams = {
            "amount": request.amount.amount,
            "currency": request.amount.currency.lower(),
            "payment_method": request.payment_token,
            "confirm": True,
            "capture_method": "manual",
            "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"},
            "metadata": {"order_id": request.order_id},
        }
        try:
            intent = await self._client.v1.payment_intents.create_async(
                params,
                {"idempotency_key": request.idempotency_key},
            )
        except stripe.CardError as declined:
            return PaymentAuthorization(
                PaymentOutcome.DECLINED,
                _declined_intent_id(declined) or "",
                _decline_code(declined),
            )
        except stripe.IdempotencyError as reused:
            raise IdempotencyKeyReused(request.idempotency_key) from reused
        except stripe.InvalidRequestError as invalid:
            return PaymentAuthorization(
                PaymentOutcome.DECLINED,
                _declined_intent_id(invalid) or "",
                invalid.code or "invalid_request",
            )
        except stripe.StripeError as error:
            raise _unavailable_or_timeout(error) from error
        if intent.status in AUTHORIZED_STATUSES:
            return PaymentAuthorization(PaymentOutcome.SUCCEEDED, intent.id)
        if intent.status == "requires_action":
            return PaymentAuthorization(
                PaymentOutcome.REQUIRES_ACTION, intent.id, next_action_url=_action_url(intent)
            )
        return PaymentAuthorization(PaymentOutcome.DECLINED, intent.id, f"status_{intent.status}")

    async def capture(
        self, provider_ref: str, amount: Money, *, idempotency_key: str
    ) -> PaymentOutcome:
        """Capture ``amount`` of an authorized PaymentIntent (DECLINED if Stripe refuses)."""
        try:
            intent = await self._client.v1.payment_intents.capture_async(
                provider_ref,
                {"amount_to_capture": amount.amount},
                {"idempotency_key": idempotency_key},
            )
        except (stripe.CardError, stripe.InvalidRequestError):
            return PaymentOutcome.DECLINED
        except stripe.StripeError as error:
            raise _unavailable_or_timeout(error) from error
        if intent.status == "succeeded" and intent.currency == amount.currency.lower():
            return PaymentOutcome.SUCCEEDED
        return PaymentOutcome.DECLINED

    async def refund(self, provider_ref: str, amount: Money, *, idempotency_key: str) -> None:
        """Refund ``amount`` of a captured PaymentIntent (ValueError if Stripe refuses)."""
        try:
            await self._client.v1.refunds.create_async(
                {"payment_intent": provider_ref, "amount": amount.amount},
                {"idempotency_key": idempotency_key},
            )
        except stripe.InvalidRequestError as refused:
            raise ValueError(f"Stripe refused the refund of {provider_ref}: {refused}") from None
        except stripe.StripeError as error:
            raise _unavailable_or_timeout(error) from error

    async def void(self, provider_ref: str, *, idempotency_key: str) -> VoidOutcome:
        """Cancel a PaymentIntent that was not captured; when Stripe refuses because of the
        intent's state, its status decides (``succeeded``: ALREADY_CAPTURED, ``canceled``:
        VOIDED)."""
        intents = self._client.v1.payment_intents
        try:
            await intents.cancel_async(
                provider_ref,
                {"cancellation_reason": "requested_by_customer"},
                {"idempotency_key": idempotency_key},
            )
        except stripe.InvalidRequestError as refused:
            try:
                intent = await intents.retrieve_async(provider_ref)
            except stripe.StripeError as error:
                raise _unavailable_or_timeout(error) from error
            if intent.status == "succeeded":
                return VoidOutcome.ALREADY_CAPTURED
            if intent.status == "canceled":
                return VoidOutcome.VOIDED
            raise ValueError(f"Stripe refused to cancel {provider_ref}: {refused}") from None
        except stripe.StripeError as error:
            raise _unavailable_or_timeout(error) from error
        return VoidOutcome.VOIDED


def _unavailable_or_timeout(error: stripe.StripeError) -> Exception:
    """A key problem is a configuration fault; anything else leaves the outcome unknown."""
    if isinstance(error, stripe.AuthenticationError | stripe.PermissionError):
        return DataSourceUnavailable("Stripe", f"the API key was refused ({error.code})")
    return PaymentTimeout(PROVIDER_NAME, f"{type(error).__name__}: {error.user_message or error}")


def _error_body(error: stripe.StripeError) -> dict[str, Any]:
    body = error.json_body if isinstance(error.json_body, dict) else {}
    detail = body.get("error")
    return detail if isinstance(detail, dict) else {}


def _decline_code(error: stripe.StripeError) -> str:
    detail = _error_body(error)
    return str(detail.get("decline_code") or detail.get("code") or "card_declined")


def _declined_intent_id(error: stripe.StripeError) -> str | None:
    intent = _error_body(error).get("payment_intent")
    return str(intent["id"]) if isinstance(intent, dict) and "id" in intent else None


def _action_url(intent: stripe.PaymentIntent) -> str | None:
    action = intent.next_action
    if action is None or action.redirect_to_url is None:
        return None
    return action.redirect_to_url.url
