"""Idempotency keys in PostgreSQL with Stripe's semantics."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from datasources.errors import IdempotencyConflict, IdempotencyKeyReused
from datasources.idempotency import request_fingerprint, run_idempotently
from datasources.shopping_records import IdempotencyState
from tests.integration.shopping.support import unique

pytestmark = pytest.mark.integration

T0 = datetime(2032, 2, 2, 9, 0, tzinfo=UTC)


async def test_the_same_key_and_request_replays_the_first_response(stores):
    # given a key whose request completed
    store = stores.idempotency
    scope, key = unique("checkout:alice"), unique("key")
    started = await store.begin(scope, key, "hash-1")
    await store.complete(scope, key, {"order": {"id": "o-1", "total": 1299}})

    # when the same request comes again
    again = await store.begin(scope, key, "hash-1")

    # then the first response is replayed
    assert started.state is IdempotencyState.STARTED
    assert again.state is IdempotencyState.REPLAY
    assert again.response == {"order": {"id": "o-1", "total": 1299}}
    assert again.created_at == started.created_at


async def test_the_same_key_with_another_request_is_refused(stores):
    # given a completed key
    store = stores.idempotency
    scope, key = unique("checkout:alice"), unique("key")
    await store.begin(scope, key, "hash-1")
    await store.complete(scope, key, {"ok": True})

    # when it comes with a different request body, in the same and in another scope
    with pytest.raises(IdempotencyKeyReused) as reused:
        await store.begin(scope, key, "hash-2")
    elsewhere = await store.begin(unique("checkout:bob"), key, "hash-2")

    # then the reuse is a typed error; other scopes do not share keys
    assert (reused.value.key, reused.value.code) == (key, "IDEMPOTENCY_KEY_REUSED")
    assert elsewhere.state is IdempotencyState.STARTED


async def test_a_request_still_running_is_a_conflict_until_its_claim_goes_stale(stores):
    # given a key claimed at T0 whose request never finished
    store = stores.idempotency
    scope, key = unique("checkout:alice"), unique("key")
    await store.begin(scope, key, "hash-1", now=T0)

    # when the same request is retried 10 s later, then 2 minutes later
    with pytest.raises(IdempotencyConflict) as conflict:
        await store.begin(scope, key, "hash-1", now=T0 + timedelta(seconds=10))
    taken_over = await store.begin(
        scope, key, "hash-1", now=T0 + timedelta(minutes=2), lock_timeout=timedelta(minutes=1)
    )

    # then the first retry is told to wait; the later one takes the stale claim over
    assert conflict.value.code == "IDEMPOTENCY_CONFLICT"
    assert taken_over.state is IdempotencyState.STARTED
    assert taken_over.created_at == T0 + timedelta(minutes=2)


async def test_expired_keys_are_forgotten_and_purged(stores):
    # given a key completed at T0 that lives one hour
    store = stores.idempotency
    scope, key = unique("checkout:alice"), unique("key")
    await store.begin(scope, key, "hash-1", ttl=timedelta(hours=1), now=T0)
    await store.complete(scope, key, {"first": True})

    # when it is used with another request after it expired, and the purge runs later
    fresh = await store.begin(
        scope, key, "hash-2", ttl=timedelta(hours=1), now=T0 + timedelta(hours=2)
    )
    purged = await store.purge_expired(now=T0 + timedelta(hours=4))
    again = await store.begin(scope, key, "hash-3", now=T0 + timedelta(hours=4))

    # then the expired key started afresh, and the purge removed it (and older ones)
    assert fresh.state is IdempotencyState.STARTED
    assert fresh.expires_at == T0 + timedelta(hours=3)
    assert purged >= 1
    assert again.state is IdempotencyState.STARTED


async def test_abandoning_a_claim_lets_the_retry_run(stores):
    # given a claimed key whose operation failed before changing anything
    store = stores.idempotency
    scope, key = unique("checkout:alice"), unique("key")
    await store.begin(scope, key, "hash-1")
    await store.abandon(scope, key)

    # when the request is retried
    retried = await store.begin(scope, key, "hash-1")

    # then it runs again
    assert retried.state is IdempotencyState.STARTED


async def test_concurrent_calls_with_one_key_run_the_operation_once(stores):
    # given an operation that takes a moment and counts its runs
    store = stores.idempotency
    scope, key = unique("checkout:alice"), unique("key")
    runs = 0

    async def place_order():
        nonlocal runs
        runs += 1
        await asyncio.sleep(0.3)
        return {"order": "o-42"}

    request = request_fingerprint("checkoutComplete", {"cartId": "c-1", "token": "pm_card_visa"})

    # when ten identical requests arrive at once, and one more after they settled
    results = await asyncio.gather(
        *(run_idempotently(store, scope, key, request, place_order) for _ in range(10)),
        return_exceptions=True,
    )
    later = await run_idempotently(store, scope, key, request, place_order)

    # then the operation ran once; the others were told it is in progress; later ones replay
    finished = [r for r in results if not isinstance(r, BaseException)]
    conflicts = [r for r in results if isinstance(r, IdempotencyConflict)]
    assert runs == 1
    assert (len(finished), len(conflicts)) == (1, 9)
    assert (finished[0].response, finished[0].replayed) == ({"order": "o-42"}, False)
    assert (later.response, later.replayed) == ({"order": "o-42"}, True)


async def test_a_failed_operation_releases_its_key(stores):
    # given an operation that fails
    store = stores.idempotency
    scope, key = unique("checkout:alice"), unique("key")

    async def failing():
        raise RuntimeError("provider down")

    async def working():
        return {"ok": 1}

    # when it runs, then the same request is retried with an operation that works
    with pytest.raises(RuntimeError, match="provider down"):
        await run_idempotently(store, scope, key, "h", failing)
    retried = await run_idempotently(store, scope, key, "h", working)

    # then the retry ran
    assert (retried.response, retried.replayed) == ({"ok": 1}, False)


def test_request_fingerprints_ignore_key_order_but_not_values():
    # given the same arguments in another order, and different arguments
    first = request_fingerprint("checkoutComplete", {"cartId": "c-1", "lines": [1, 2]})
    same = request_fingerprint("checkoutComplete", {"lines": [1, 2], "cartId": "c-1"})
    other = request_fingerprint("checkoutComplete", {"cartId": "c-2", "lines": [1, 2]})
    other_operation = request_fingerprint("cartLinesAdd", {"cartId": "c-1", "lines": [1, 2]})

    # then only the order of keys does not matter
    assert first == same
    assert len({first, other, other_operation}) == 3
    assert len(first) == 64
