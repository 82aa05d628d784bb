"""A deterministic payment provider for local runs and tests.

The outcome is chosen by the payment token, using Stripe's test payment-method names:

==========================================  =======================================
token                                       outcome
==========================================  =======================================
``pm_card_visa`` (and any ``pm_card_ok*``)  authorized, captured
``pm_card_chargeDeclined``                  declined (``generic_decline``)
``pm_card_chargeDeclinedInsufficientFunds`` declined (``insufficient_funds``)
``pm_card_authenticationRequired``          requires action (3-D Secure), no capture
``pm_card_timeout``                         PaymentTimeout (after ``timeout_seconds``)
anything else                               declined (``invalid_payment_method``)
==========================================  =======================================

Like Stripe, a repeated idempotency key returns the first answer, and provider references
are derived from the idempotency key, so replays are stable across runs.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from datasources.errors import PaymentTimeout
from datasources.ports import PaymentProvider
from datasources.records import Money
from datasources.shopping_records import (
    PaymentAuthorization,
    PaymentOutcome,
    PaymentRequest,
    PaymentResult,
    PaymentStatus,
    VoidOutcome,
)

SUCCEED = "pm_card_visa"
DECLINE = "pm_card_chargeDeclined"
DECLINE_INSUFFICIENT_FUNDS = "pm_card_chargeDeclinedInsufficientFunds"
REQUIRE_ACTION = "pm_card_authenticationRequired"
TIME_OUT = "pm_card_timeout"


@dataclass
class TestPaymentProvider:
    """The PaymentProvider port, deterministic by payment token (see the module docstring)."""

    __test__ = False  # not a pytest test class

    timeout_seconds: float = 0.0
    name: str = "test"
    calls: list[tuple[str, str]] = field(default_factory=list)
    _authorizations: dict[str, PaymentAuthorization] = field(default_factory=dict)
    _amounts: dict[str, Money] = field(default_factory=dict)
    _captured: dict[str, Money] = field(default_factory=dict)
    _refunded: dict[str, Money] = field(default_factory=dict)
    _voided: set[str] = field(default_factory=set)

    async def authorize(self, request: PaymentRequest) -> PaymentAuthorization:
        """Authorize by token; a repeated idempotency key gets the first answer."""
        self.calls.append(("authorize", request.payment_token))
        known = self._authorizations.get(request.idempotency_key)
        if known is not None:
            return known
        token = request.payment_token
        if token == TIME_OUT:
            if self.timeout_seconds:
                await asyncio.sleep(self.timeout_seconds)
            raise PaymentTimeout(self.name, "authorization timed out")
        reference = "pi_test_" + hashlib.sha256(request.idempotency_key.encode()).hexdigest()[:24]
        if token == SUCCEED or token.startswith("pm_card_ok"):
            answer = PaymentAuthorization(PaymentOutcome.SUCCEEDED, reference)
        elif token == REQUIRE_ACTION:
            answer = PaymentAuthorization(
                PaymentOutcome.REQUIRES_ACTION,
                reference,
                next_action_url=f"https://payments.test/3ds/{reference}",
            )
        elif token == DECLINE:
            answer = PaymentAuthorization(PaymentOutcome.DECLINED, reference, "generic_decline")
        elif token == DECLINE_INSUFFICIENT_FUNDS:
            answer = PaymentAuthorization(PaymentOutcome.DECLINED, reference, "insufficient_funds")
        else:
            answer = PaymentAuthorization(
                PaymentOutcome.DECLINED, reference, "invalid_payment_method"
            )
        self._authorizations[request.idempotency_key] = answer
        self._amounts[reference] = request.amount
        return answer

    async def capture(
        self, provider_ref: str, amount: Money, *, idempotency_key: str
    ) -> PaymentOutcome:
        """Capture a successful authorization of at least ``amount``."""
        self.calls.append(("capture", provider_ref))
        if provider_ref in self._captured:
            return PaymentOutcome.SUCCEEDED
        authorized = self._amounts.get(provider_ref)
        succeeded = any(
            a.provider_ref == provider_ref and a.outcome is PaymentOutcome.SUCCEEDED
            for a in self._authorizations.values()
        )
        if provider_ref in self._voided:
            return PaymentOutcome.DECLINED
        if not succeeded or authorized is None or authorized.currency != amount.currency:
            return PaymentOutcome.DECLINED
        if amount.amount > authorized.amount:
            return PaymentOutcome.DECLINED
        self._captured[provider_ref] = amount
        return PaymentOutcome.SUCCEEDED

    async def refund(self, provider_ref: str, amount: Money, *, idempotency_key: str) -> None:
        """Refund a capture (ValueError if nothing was captured under ``provider_ref``)."""
        self.calls.append(("refund", provider_ref))
        if provider_ref not in self._captured:
            raise ValueError(f"nothing captured under {provider_ref}")
        self._refunded[provider_ref] = amount

    async def void(self, provider_ref: str, *, idempotency_key: str) -> VoidOutcome:
        """Cancel an authorization (ALREADY_CAPTURED once money was taken under it)."""
        self.calls.append(("void", provider_ref))
        if provider_ref in self._captured:
            return VoidOutcome.ALREADY_CAPTURED
        if provider_ref not in self._amounts:
            raise ValueError(f"no authorization under {provider_ref}")
        self._voided.add(provider_ref)
        return VoidOutcome.VOIDED

    def captured(self, provider_ref: str) -> Money | None:
        """What was captured under ``provider_ref``, if anything."""
        return self._captured.get(provider_ref)

    def action_completed(self, provider_ref: str, *, succeeded: bool) -> PaymentResult:
        """The provider's callback after the shopper finished (or failed) 3-D Secure.

        A success is captured at once, as an automatic-capture PaymentIntent would be; a voided
        authorization can no longer succeed.
        """
        amount = self._amounts[provider_ref]
        if succeeded and provider_ref not in self._voided:
            self._captured[provider_ref] = amount
            return PaymentResult(self.name, provider_ref, PaymentStatus.CAPTURED, amount)
        return PaymentResult(
            self.name,
            provider_ref,
            PaymentStatus.DECLINED,
            amount,
            failure_code="authentication_failed",
        )


if TYPE_CHECKING:
    _conforms: PaymentProvider = TestPaymentProvider()
