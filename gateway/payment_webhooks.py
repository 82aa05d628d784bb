"""Payment provider callbacks: ``POST /webhooks/payments/{provider}``.

A provider tells the gateway how a payment ended after the checkout returned (3-D Secure
completed or failed, a capture that timed out settled). The body is JSON::

    {"orderId": "<order uuid>", "providerRef": "pi_...", "status": "CAPTURED",
     "amount": 12900, "currency": "EUR", "failureCode": null}

signed with HMAC-SHA256 of the raw body under ``VITRINE_PAYMENT_WEBHOOK_SECRET``, sent as
``x-vitrine-signature: sha256=<hex>`` (the route exists only when the secret and a database
are configured). Callbacks are idempotent: a replayed callback (same provider, reference and
status) changes nothing and answers 200 with the order's state; a callback the order's state
machine refuses (a late "declined" for a paid order) answers 409 and changes nothing.

With ``VITRINE_PAYMENT_PROVIDER=stripe`` and ``STRIPE_WEBHOOK_SECRET`` set,
``/webhooks/payments/stripe`` takes Stripe's own events instead, verified by their
``Stripe-Signature`` header (see gateway/stripe_webhooks.py).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Mapping

import structlog
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError
from starlette.datastructures import Headers

from datasources.errors import (
    AlreadyExists,
    CurrencyMismatch,
    DataSourceUnavailable,
    IllegalTransition,
    OrderNotFound,
)
from datasources.events.publishing import publish_order_moves
from datasources.ports import EventBus
from datasources.records import Money
from datasources.shopping_records import PaymentResult, PaymentStatus
from resolvers.context import ShoppingSources

log = structlog.get_logger("vitrine.payments")

SIGNATURE_HEADER = "x-vitrine-signature"
MAX_BODY_BYTES = 64 * 1024
WEBHOOK_PATH = "/webhooks/payments/{provider}"


class PaymentCallback(BaseModel):
    """A provider's word on how a payment ended."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    order_id: str = Field(alias="orderId", min_length=1, max_length=64)
    provider_ref: str = Field(alias="providerRef", min_length=1, max_length=255)
    status: PaymentStatus
    amount: int = Field(ge=0)
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    failure_code: str | None = Field(default=None, alias="failureCode", max_length=255)


def sign(secret: str, body: bytes) -> str:
    """The signature header value of ``body``: ``sha256=<hex HMAC>``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _answer(http_status: int, **content: object) -> JSONResponse:
    return JSONResponse(status_code=http_status, content=content)


class CallbackRefused(Exception):
    """A callback that is not authentic or not readable: answered with ``status`` and
    ``error``, and nothing changes."""

    def __init__(self, status: int, error: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.error = error


CallbackReader = Callable[[bytes, Headers], PaymentCallback | None]
"""Authenticates and reads one provider's callback body: the callback, None for an event
that needs no action, or CallbackRefused."""


def vitrine_signed_reader(secret: SecretStr) -> CallbackReader:
    """Callbacks in Vitrine's own JSON shape, HMAC-signed in ``x-vitrine-signature``."""
    key = secret.get_secret_value()

    def read(body: bytes, headers: Headers) -> PaymentCallback:
        presented = headers.get(SIGNATURE_HEADER, "")
        if not hmac.compare_digest(presented.encode(), sign(key, body).encode()):
            raise CallbackRefused(401, "BAD_SIGNATURE", f"{SIGNATURE_HEADER} is not valid")
        try:
            return PaymentCallback.model_validate_json(body)
        except ValidationError as error:
            raise CallbackRefused(400, "BAD_CALLBACK", str(error.errors()[0]["msg"])) from None

    return read


async def _settle(
    provider: str, callback: PaymentCallback, shopping: ShoppingSources, events: EventBus
) -> JSONResponse:
    result = PaymentResult(
        provider=provider,
        provider_ref=callback.provider_ref,
        status=callback.status,
        amount=Money(callback.amount, callback.currency),
        failure_code=callback.failure_code,
    )
    try:
        before = (await shopping.orders.orders_by_ids([callback.order_id]))[0]
        order = await shopping.checkout.settle_payment(
            callback.order_id, result, actor=f"webhook:{provider}"
        )
    except OrderNotFound:
        return _answer(404, error="ORDER_NOT_FOUND", message="no such order")
    except IllegalTransition as refused:
        log.warning("payment_callback_refused", order_id=callback.order_id, error=str(refused))
        return _answer(
            409,
            error="ILLEGAL_TRANSITION",
            message=str(refused),
            orderStatus=refused.from_status,
        )
    except (CurrencyMismatch, AlreadyExists, ValueError) as wrong:
        return _answer(422, error="CALLBACK_REFUSED", message=str(wrong))
    except DataSourceUnavailable as down:
        return _answer(503, error="SERVICE_UNAVAILABLE", message=str(down))
    if before is not None:
        await publish_order_moves(events, shopping.inventory, order, [before.status])
    return _answer(200, orderId=order.id, status=order.status.value)


def mount_payment_webhooks(
    app: FastAPI,
    shopping: ShoppingSources | None,
    readers: Mapping[str, CallbackReader],
    events: EventBus,
) -> bool:
    """Add the callback route when a database and at least one provider's reader are
    configured; an order the callback moved is published as ORDER_STATUS_CHANGED."""
    if shopping is None or not readers:
        return False

    @app.post(WEBHOOK_PATH, include_in_schema=False)
    async def payment_callback(provider: str, request: Request) -> JSONResponse:
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:
            return _answer(413, error="PAYLOAD_TOO_LARGE")
        read = readers.get(provider)
        if read is None or provider != shopping.payments.name:
            return _answer(404, error="UNKNOWN_PROVIDER", message=f"no payment provider {provider}")
        try:
            callback = read(body, request.headers)
        except CallbackRefused as refused:
            return _answer(refused.status, error=refused.error, message=str(refused))
        if callback is None:
            return _answer(200, ignored=True)
        return await _settle(provider, callback, shopping, events)

    return True
