"""Running an operation once per idempotency key, over any IdempotencyStore.

Scope keys per caller and operation (``checkout:<cognito sub>``) so that two shoppers' keys
never meet. Return typed failures that should be replayed (Stripe replays 4xx answers too) as
part of the response; an exception abandons the claim, so a retry runs the operation again.
Operations that write in several steps should be safe to re-run after a crash: the checkout
is, when the same key is passed as ``CheckoutRequest.idempotency_key``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

import orjson

from datasources.ports import IdempotencyStore
from datasources.shopping_records import IdempotencyState


def request_fingerprint(operation: str, payload: Mapping[str, object]) -> str:
    """SHA-256 of the operation name and its canonical JSON arguments (keys sorted)."""
    material = orjson.dumps(
        {"operation": operation, "arguments": payload},
        option=orjson.OPT_SORT_KEYS,
        default=str,
    )
    return hashlib.sha256(material).hexdigest()


@dataclass(frozen=True, slots=True)
class IdempotentResult:
    """The operation's response and whether it was replayed from the first run."""

    response: Mapping[str, object]
    replayed: bool


async def run_idempotently(
    store: IdempotencyStore,
    scope: str,
    key: str,
    request_hash: str,
    operation: Callable[[], Awaitable[Mapping[str, object]]],
) -> IdempotentResult:
    """Run ``operation`` once for ``key``; a repeat with the same request replays its response.

    Raises IdempotencyKeyReused (same key, other request) and IdempotencyConflict (the first
    run is still going).
    """
    begun = await store.begin(scope, key, request_hash)
    if begun.state is IdempotencyState.REPLAY:
        return IdempotentResult(response=begun.response or {}, replayed=True)
    try:
        response = await operation()
    except BaseException:
        await store.abandon(scope, key)
        raise
    await store.complete(scope, key, response)
    return IdempotentResult(response=response, replayed=False)
