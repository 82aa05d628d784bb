"""The payment provider of processes that take no payments (render workers, indexers)."""

from __future__ import annotations

from datasources.errors import DataSourceUnavailable
from datasources.records import Money
from datasources.shopping_records import (
    PaymentAuthorization,
    PaymentOutcome,
    PaymentRequest,
    VoidOutcome,
)

REASON = "this process takes no payments (VITRINE_PAYMENT_PROVIDER=none)"


class NoPayments:
    """Refuses every payment call with a typed ServiceUnavailable: nothing is charged."""

    name = "none"

    async def authorize(self, request: PaymentRequest) -> PaymentAuthorization:
        """Refused: no provider is configured here."""
        raise DataSourceUnavailable("payments", REASON)

    async def capture(
        self, provider_ref: str, amount: Money, *, idempotency_key: str
    ) -> PaymentOutcome:
        """Refused: no provider is configured here."""
        raise DataSourceUnavailable("payments", REASON)

    async def refund(self, provider_ref: str, amount: Money, *, idempotency_key: str) -> None:
        """Refused: no provider is configured here."""
        raise DataSourceUnavailable("payments", REASON)

    async def void(self, provider_ref: str, *, idempotency_key: str) -> VoidOutcome:
        """Refused: no provider is configured here."""
        raise DataSourceUnavailable("payments", REASON)
