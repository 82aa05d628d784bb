"""The JWKS cache: one fetch per key set, rate-limited refreshes, stale keys kept on failure.

The fetch is replaced at the adapter boundary (a coroutine returning the JWKS document) and
the clock is a counter, so these run with no I/O and no sleeping.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from gateway.cognito import JwksError, JwksKeys, SigningKeysUnavailable, parse_jwks
from tests.support.jwt_forge import SigningKey

K1, K2, K3 = SigningKey("k1"), SigningKey("k2"), SigningKey("k3")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class FakeJwksEndpoint:
    """Serves ``published`` keys; counts fetches; fails while ``down``."""

    def __init__(self, *published: SigningKey) -> None:
        self.published = list(published)
        self.fetches = 0
        self.down = False
        self.gate: asyncio.Event | None = None

    async def __call__(self) -> object:
        self.fetches += 1
        if self.gate is not None:
            await self.gate.wait()
        if self.down:
            raise JwksError("connection refused")
        return {"keys": [k.jwk() for k in self.published]}


def cache(endpoint: FakeJwksEndpoint, clock: Clock) -> JwksKeys:
    return JwksKeys(endpoint, max_age=3600, min_refresh_interval=30, retry_after=5, clock=clock)


async def test_known_kids_are_served_from_one_fetch() -> None:
    # given a pool publishing k1
    endpoint, clock = FakeJwksEndpoint(K1), Clock()
    keys = cache(endpoint, clock)
    # when 50 lookups of k1 happen, 10 of them concurrently before the first fetch ends
    endpoint.gate = asyncio.Event()
    pending = asyncio.gather(*(keys.key_for("k1") for _ in range(10)))
    await asyncio.sleep(0)
    endpoint.gate.set()
    first = await pending
    rest = [await keys.key_for("k1") for _ in range(40)]
    # then one fetch served them all
    assert endpoint.fetches == 1
    assert {k.key_id for k in first + rest if k is not None} == {"k1"}
    assert keys.kids == frozenset({"k1"})


async def test_unknown_kid_refreshes_once_per_interval() -> None:
    # given a cached set with k1, and a rotation to k2 at the pool
    endpoint, clock = FakeJwksEndpoint(K1), Clock()
    keys = cache(endpoint, clock)
    await keys.key_for("k1")
    endpoint.published = [K1, K2]
    # when k2 is asked for, then a never-published k3 many times, then k3 after the interval
    rotated = await keys.key_for("k2")
    probes = [await keys.key_for("k3") for _ in range(100)]
    fetches_after_probes = endpoint.fetches
    clock.now += 30
    late = await keys.key_for("k3")
    # then the rotation cost one fetch, the probes none, and the next interval one more
    assert rotated is not None
    assert rotated.key_id == "k2"
    assert probes == [None] * 100
    assert fetches_after_probes == 2
    assert late is None
    assert endpoint.fetches == 3


async def test_concurrent_unknown_kids_share_one_fetch() -> None:
    endpoint, clock = FakeJwksEndpoint(K1), Clock()
    keys = cache(endpoint, clock)
    await keys.key_for("k1")
    endpoint.gate = asyncio.Event()
    pending = asyncio.gather(*(keys.key_for("k9") for _ in range(20)))
    await asyncio.sleep(0)
    endpoint.gate.set()
    assert await pending == [None] * 20
    assert endpoint.fetches == 2


async def test_a_stale_set_is_refreshed_and_kept_when_the_refresh_fails() -> None:
    # given a set fetched an hour ago, and the JWKS endpoint down now
    endpoint, clock = FakeJwksEndpoint(K1), Clock()
    keys = cache(endpoint, clock)
    await keys.key_for("k1")
    clock.now += 3600
    endpoint.down = True
    # when k1 is asked for twice within the retry delay, and again after it with the pool back
    during_outage = [await keys.key_for("k1") for _ in range(2)]
    fetches_during_outage = endpoint.fetches
    clock.now += 5
    endpoint.down = False
    endpoint.published = [K2]
    after = await keys.key_for("k1")
    # then the stale key kept working, one failed fetch was tried, and the refreshed set (which
    # dropped k1) is used once the pool answers
    assert [k.key_id for k in during_outage if k is not None] == ["k1", "k1"]
    assert fetches_during_outage == 2
    assert keys.failures == 1
    assert after is None
    assert keys.kids == frozenset({"k2"})


async def test_no_keys_at_all_is_unavailable_and_retries_are_spaced() -> None:
    # given a JWKS endpoint that is down from the start
    endpoint, clock = FakeJwksEndpoint(K1), Clock()
    endpoint.down = True
    keys = cache(endpoint, clock)
    # when tokens keep arriving
    for _ in range(10):
        with pytest.raises(SigningKeysUnavailable) as unavailable:
            await keys.key_for("k1")
    fetches_while_down = endpoint.fetches
    clock.now += 5
    endpoint.down = False
    recovered = await keys.key_for("k1")
    # then one fetch was tried, each request was told the keys are unavailable, and the cache
    # recovers after the retry delay
    assert fetches_while_down == 1
    assert "could not be fetched" in str(unavailable.value)
    assert recovered is not None
    assert recovered.key_id == "k1"


def test_only_rs256_signing_keys_are_taken_from_a_jwks() -> None:
    rsa = K1.jwk()
    document: dict[str, Any] = {
        "keys": [
            rsa,
            {**K2.jwk(), "alg": "RS512"},
            {**K3.jwk(), "use": "enc"},
            {"kty": "oct", "kid": "hmac", "k": "c2VjcmV0", "alg": "HS256"},
            {**K2.jwk(), "kid": ""},
            {"kty": "RSA", "kid": "broken", "n": "!!", "e": "AQAB"},
            "not a key",
        ]
    }
    assert set(parse_jwks(document)) == {"k1"}


@pytest.mark.parametrize(
    "document",
    [{}, {"keys": "none"}, {"keys": []}, [], {"keys": [{"kty": "oct", "kid": "x", "k": "YQ"}]}],
)
def test_a_jwks_without_usable_keys_is_an_error(document: object) -> None:
    with pytest.raises(JwksError):
        parse_jwks(document)
