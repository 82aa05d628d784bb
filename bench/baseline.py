"""Bench-only pieces of the checkout benchmark, loaded into ``bench.serve`` by its flags.

``--static-tokens``: ``Bearer bench:<sub>`` is the Cognito user ``<sub>`` (no JWT check), so
thousands of distinct shoppers (one open cart each) cost nothing to create. Both checkout
variants use it, so it does not bias their ratio; it leaves out RS256 verification.

``--unsafe-checkout``: the *same* ``checkoutComplete`` flow (GraphQL, catalog prices from
DynamoDB, the one place-order transaction with cart and stock row locks in SKU order, the
test payment provider, the settle transaction) minus exactly:

1. the mutation's idempotency record: no ``idempotency_records`` claim before the action and
   no stored response after it (``resolvers.checkout.once`` runs the action directly);
2. the order's idempotency key: the order is inserted with ``idempotency_key`` NULL (no
   unique-index entry, no replay lookup);
3. reservations: allocation locks the stock rows and checks ``on_hand - allocated`` only;
   it neither sums live ``stock_reservations`` nor converts the cart's holds.

It still never oversells (the row locks and ``CHECK (allocated <= on_hand)`` remain), but a
retried request would place a second order and a cart's holds would be ignored.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

import datasources.postgres.shopping.checkout as checkout_module
import resolvers.checkout as checkout_resolvers
from datasources.postgres.shopping.checkout import PostgresCheckout
from datasources.postgres.shopping.db import Tx
from datasources.postgres.shopping.stock_locks import ensure_available, merge_requests
from datasources.shopping_records import CheckoutRequest, OrderRecord, StockLevel, StockRequest
from gateway.bootstrap import Services
from resolvers.context import AuthMode, Identity
from resolvers.errors import Unauthorized

TOKEN_PREFIX = "bench:"

_LOCK_STOCK = sa.text(
    "SELECT sku, on_hand, allocated, version FROM stock_items "
    "WHERE sku = ANY(CAST(:skus AS text[])) ORDER BY sku FOR UPDATE"
)
_ALLOCATE = sa.text(
    "UPDATE stock_items s SET allocated = s.allocated + w.quantity, version = s.version + 1, "
    "updated_at = now() FROM unnest(CAST(:skus AS text[]), CAST(:quantities AS int[])) "
    "AS w(sku, quantity) WHERE s.sku = w.sku"
)


class StaticTokens:
    """A TokenVerifier for the bench: ``bench:<sub>[:<group>,...]`` is that Cognito user (in
    those groups, e.g. ``bench:merchant:admin``)."""

    async def verify(self, token: str) -> Identity:
        if not token.startswith(TOKEN_PREFIX) or len(token) == len(TOKEN_PREFIX):
            raise Unauthorized("not a bench token")
        sub, _, groups = token[len(TOKEN_PREFIX) :].partition(":")
        return Identity(
            mode=AuthMode.AMAZON_COGNITO_USER_POOLS,
            subject=sub,
            username=sub,
            groups=frozenset(g for g in groups.split(",") if g),
        )


async def allocate_without_reservations(
    tx: Tx, cart_id: uuid.UUID, lines: Sequence[StockRequest], *, now: datetime | None
) -> dict[str, StockLevel]:
    """``inventory.allocate_for_order`` minus the reservation sum and the holds conversion."""
    del cart_id, now
    wanted = merge_requests(lines)
    rows = await tx.rows("baseline.lock_stock", _LOCK_STOCK, {"skus": list(wanted)})
    levels = {
        row.sku: StockLevel(
            sku=row.sku,
            on_hand=row.on_hand,
            allocated=row.allocated,
            reserved=0,
            version=row.version,
        )
        for row in rows
    }
    ensure_available(levels, wanted)
    await tx.execute(
        "baseline.allocate",
        _ALLOCATE,
        {"skus": list(wanted), "quantities": list(wanted.values())},
    )
    return levels


class KeylessCheckout(PostgresCheckout):
    """PostgresCheckout that stores no idempotency key on the order."""

    async def place_order(self, request: CheckoutRequest) -> OrderRecord:
        return await super().place_order(dataclasses.replace(request, idempotency_key=None))


async def _no_idempotency(
    run: Any,
    operation: str,
    key: str | None,
    action: Callable[[], Awaitable[Any]],
    **_: Any,
) -> Any:
    del run, operation, key
    return await action()


def make_unsafe(services: Services) -> Services:
    """Patch this process into the baseline checkout (see the module docs); bench only."""
    assert services.shopping is not None
    assert services.engine is not None
    setattr(checkout_module, "allocate_for_order", allocate_without_reservations)  # noqa: B010
    setattr(checkout_resolvers, "once", _no_idempotency)  # noqa: B010
    shopping = dataclasses.replace(
        services.shopping,
        checkout=KeylessCheckout(
            services.engine, tax=services.shopping.tax, shipping=services.shopping.shipping
        ),
    )
    return dataclasses.replace(services, shopping=shopping)


def with_static_tokens(services: Services) -> Services:
    """``services`` trusting ``bench:<sub>`` bearer tokens."""
    return dataclasses.replace(services, tokens=StaticTokens())
