"""Cognito user-pool tokens, verified as AppSync verifies them.

RS256 only, with the keys the pool publishes at its JWKS URL (fetched with httpx, cached, and
fetched again when a token names an unknown ``kid``, at most once per
``COGNITO_JWKS_MIN_REFRESH_SECONDS`` so that a stream of forged ``kid`` values cannot turn
every request into a fetch). Then ``iss``, ``exp``/``nbf``/``iat`` (with a small leeway),
``token_use`` (ID or access token, optionally only one kind), the app client (``aud`` of an
ID token, ``client_id`` of an access token) and ``cognito:groups``.

The signature and standard claims are checked by PyJWT; nothing here does cryptography.
Every rejection is an ``Unauthorized`` whose message says what was wrong, never a key.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlparse

import structlog

from gateway.settings import CognitoTokenUse, Settings
from resolvers.context import AuthMode, Identity
from resolvers.errors import Unauthorized

if TYPE_CHECKING:
    import jwt

# PyJWT (with cryptography) and httpx are imported by the functions that use them, on the
# first token or JWKS fetch: requests without a token never load them (Lambda cold start).

log = structlog.get_logger("vitrine.cognito")

ALGORITHM = "RS256"
MAX_TOKEN_CHARS = 16 * 1024
MAX_JWKS_BYTES = 256 * 1024
MAX_JWKS_KEYS = 64
_REQUIRED_CLAIMS = ["iss", "sub", "exp", "iat", "token_use"]
_TOKEN_NAMES = {"id": "an ID token", "access": "an access token"}
_LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}

JwksFetch = Callable[[], Awaitable[object]]
Clock = Callable[[], float]


class SigningKeysUnavailable(Exception):
    """The pool's JWKS could not be fetched and no key is cached: no token can be checked now."""


class JwksError(Exception):
    """The JWKS document could not be fetched or holds no usable key."""


class TokenVerifier(Protocol):
    """Turns a presented bearer token into the caller's identity, or raises Unauthorized."""

    async def verify(self, token: str) -> Identity:
        """The identity the token proves; Unauthorized when it proves nothing."""
        ...


@dataclass(frozen=True)
class CognitoConfig:
    """What a token must satisfy, from settings."""

    issuer: str
    jwks_url: str
    app_client_ids: frozenset[str]
    token_use: CognitoTokenUse = CognitoTokenUse.ANY
    leeway_seconds: int = 30
    jwks_cache_seconds: int = 3600
    jwks_min_refresh_seconds: int = 30
    fetch_timeout_seconds: float = 5.0

    @classmethod
    def from_settings(cls, settings: Settings) -> CognitoConfig | None:
        """The configuration, or None when no user pool (or issuer) is configured."""
        issuer = settings.cognito_issuer_value()
        jwks_url = settings.cognito_jwks_url_value()
        if issuer is None or jwks_url is None:
            return None
        return cls(
            issuer=issuer,
            jwks_url=jwks_url,
            app_client_ids=frozenset(settings.cognito_app_client_ids),
            token_use=settings.cognito_token_use,
            leeway_seconds=settings.cognito_leeway_seconds,
            jwks_cache_seconds=settings.cognito_jwks_cache_seconds,
            jwks_min_refresh_seconds=settings.cognito_jwks_min_refresh_seconds,
            fetch_timeout_seconds=float(max(settings.connect_timeout_seconds, 5)),
        )


class HttpJwks:
    """GETs the JWKS document with httpx (no redirects, bounded size and time)."""

    def __init__(self, url: str, timeout_seconds: float = 5.0) -> None:
        self.url = url
        self._timeout = timeout_seconds
        # The local stack's moto answers on loopback: never route that through HTTP(S)_PROXY.
        self._trust_env = (urlparse(url).hostname or "") not in _LOOPBACK_HOSTS

    async def __call__(self) -> object:
        """The parsed JSON document."""
        import httpx

        body = bytearray()
        try:
            async with (
                httpx.AsyncClient(
                    timeout=self._timeout, trust_env=self._trust_env, follow_redirects=False
                ) as client,
                client.stream("GET", self.url, headers={"accept": "application/json"}) as response,
            ):
                if response.status_code != 200:
                    raise JwksError(f"{self.url} answered HTTP {response.status_code}")
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) > MAX_JWKS_BYTES:
                        raise JwksError(f"{self.url} sent more than {MAX_JWKS_BYTES} bytes")
        except httpx.HTTPError as error:
            raise JwksError(f"{self.url} did not answer ({type(error).__name__})") from error
        try:
            return json.loads(body)
        except ValueError as error:
            raise JwksError(f"{self.url} did not send JSON") from error


def parse_jwks(document: object) -> dict[str, jwt.PyJWK]:
    """The RS256 signing keys of a JWKS document, by ``kid``; JwksError when there are none."""
    entries = document.get("keys") if isinstance(document, Mapping) else None
    if not isinstance(entries, list):
        raise JwksError("the JWKS document has no 'keys' list")
    import jwt

    keys: dict[str, jwt.PyJWK] = {}
    for entry in entries[:MAX_JWKS_KEYS]:
        if not isinstance(entry, dict):
            continue
        kid = entry.get("kid")
        usable = (
            isinstance(kid, str)
            and kid
            and entry.get("kty") == "RSA"
            and entry.get("alg", ALGORITHM) == ALGORITHM
            and entry.get("use", "sig") == "sig"
        )
        if not usable:
            continue
        try:
            keys[str(kid)] = jwt.PyJWK(entry, algorithm=ALGORITHM)
        except (jwt.PyJWTError, ValueError, TypeError):
            continue
    if not keys:
        raise JwksError("the JWKS document holds no RS256 signing key")
    return keys


class JwksKeys:
    """The pool's signing keys: fetched on first use, cached, refreshed under rate limits.

    A known ``kid`` is answered from the cache. After ``max_age`` seconds the next request
    refreshes the set (keeping the old keys if that fails). A ``kid`` missing from a fresh
    set triggers a refresh (a key rotation) at most once per ``min_refresh_interval`` seconds,
    so forged ``kid`` values cannot turn requests into fetches; after a failed fetch nothing
    is fetched for ``retry_after`` seconds. Concurrent requests share one fetch.
    """

    def __init__(
        self,
        fetch: JwksFetch,
        *,
        max_age: float = 3600,
        min_refresh_interval: float = 30,
        retry_after: float = 5,
        clock: Clock = time.monotonic,
    ) -> None:
        self._fetch = fetch
        self._max_age = max_age
        self._min_refresh_interval = min_refresh_interval
        self._retry_after = retry_after
        self._clock = clock
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at: float | None = None
        self._failed_at: float | None = None
        self._kid_refresh_at: float | None = None
        self._lock: asyncio.Lock | None = None
        self._lock_loop: asyncio.AbstractEventLoop | None = None
        self.fetches = 0
        self.failures = 0

    @property
    def kids(self) -> frozenset[str]:
        """The ``kid`` values cached now."""
        return frozenset(self._keys)

    async def key_for(self, kid: str) -> jwt.PyJWK | None:
        """The key named ``kid``, or None when the pool does not publish it.

        SigningKeysUnavailable when no key set could be fetched so far.
        """
        key = self._keys.get(kid)
        if key is not None and not self._stale():
            return key
        async with self._guard():
            if self._stale():  # first use, or the set is older than max_age
                if self._may_fetch():
                    await self._refresh()
                elif not self._keys:
                    raise SigningKeysUnavailable(
                        "the user pool's signing keys could not be fetched; retry shortly"
                    )
                return self._keys.get(kid)
            key = self._keys.get(kid)
            if key is not None or not self._may_fetch() or not self._may_refresh_for_kid():
                return key
            self._kid_refresh_at = self._clock()
            await self._refresh()
            return self._keys.get(kid)

    def _stale(self) -> bool:
        return self._fetched_at is None or self._clock() - self._fetched_at >= self._max_age

    def _may_fetch(self) -> bool:
        return self._failed_at is None or self._clock() - self._failed_at >= self._retry_after

    def _may_refresh_for_kid(self) -> bool:
        return (
            self._kid_refresh_at is None
            or self._clock() - self._kid_refresh_at >= self._min_refresh_interval
        )

    async def _refresh(self) -> None:
        try:
            keys = parse_jwks(await self._fetch())
        except JwksError as error:
            self._failed_at = self._clock()
            self.failures += 1
            log.warning("jwks_fetch_failed", error=str(error), cached_keys=len(self._keys))
            if not self._keys:
                raise SigningKeysUnavailable(
                    f"the user pool's signing keys could not be fetched ({error})"
                ) from error
            return
        self._keys = keys
        self._fetched_at = self._clock()
        self._failed_at = None
        self.fetches += 1
        log.info("jwks_fetched", keys=len(keys))

    def _guard(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        if self._lock is None or self._lock_loop is not loop:
            self._lock, self._lock_loop = asyncio.Lock(), loop
        return self._lock


def _shown(value: object) -> str:
    """A header value quoted for an error message, cut short."""
    text = repr(value)
    return text if len(text) <= 24 else text[:21] + "..."


class CognitoVerifier:
    """Verifies Cognito ID and access tokens of one user pool."""

    def __init__(self, config: CognitoConfig, keys: JwksKeys | None = None) -> None:
        self.config = config
        self.keys = keys or JwksKeys(
            HttpJwks(config.jwks_url, config.fetch_timeout_seconds),
            max_age=config.jwks_cache_seconds,
            min_refresh_interval=config.jwks_min_refresh_seconds,
        )

    async def verify(self, token: str) -> Identity:
        """The Cognito identity the token proves; Unauthorized saying why otherwise."""
        claims = await self.verified_claims(token)
        token_use = claims["token_use"]
        username = claims.get("cognito:username" if token_use == "id" else "username")
        return Identity(
            mode=AuthMode.AMAZON_COGNITO_USER_POOLS,
            subject=claims["sub"],
            username=username if isinstance(username, str) else None,
            groups=frozenset(claims.get("cognito:groups", ())),
            claims=claims,
        )

    async def verified_claims(self, token: str) -> dict[str, Any]:
        """The token's claims once signature, issuer, times, type and client all check out."""
        if len(token) > MAX_TOKEN_CHARS:
            raise Unauthorized("The token is too large to be a Cognito token")
        import jwt

        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise Unauthorized("The token is not a well-formed JWT") from None
        algorithm = header.get("alg")
        if algorithm != ALGORITHM:
            raise Unauthorized(
                f"The token is signed with alg {_shown(algorithm)}; "
                "only RS256-signed Cognito tokens are accepted"
            )
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise Unauthorized("The token header names no signing key (kid)")
        key = await self.keys.key_for(kid)
        if key is None:
            raise Unauthorized(
                "The token is signed with a key that the user pool does not publish (unknown kid)"
            )
        claims = self._decode(token, key)
        self._check_token_use_and_client(claims)
        groups = claims.get("cognito:groups", [])
        if not isinstance(groups, list) or not all(isinstance(g, str) for g in groups):
            raise Unauthorized("The token's cognito:groups claim is not a list of group names")
        return claims

    def _decode(self, token: str, key: jwt.PyJWK) -> dict[str, Any]:
        import jwt

        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                issuer=self.config.issuer,
                leeway=self.config.leeway_seconds,
                options={
                    "require": _REQUIRED_CLAIMS,
                    "verify_aud": False,  # checked per token type below
                    "enforce_minimum_key_length": True,
                },
            )
        except jwt.ExpiredSignatureError:
            raise Unauthorized("The token has expired") from None
        except jwt.ImmatureSignatureError:
            raise Unauthorized(
                "The token is not valid yet (its nbf or iat is in the future)"
            ) from None
        except jwt.InvalidIssuerError:
            raise Unauthorized(
                "The token was issued by another issuer than this API's user pool (iss)"
            ) from None
        except jwt.MissingRequiredClaimError as error:
            raise Unauthorized(f"The token lacks the required {error.claim!r} claim") from None
        except jwt.InvalidSignatureError:
            raise Unauthorized("The token's signature does not verify") from None
        except jwt.DecodeError:
            raise Unauthorized("The token is not a well-formed JWT") from None
        except jwt.PyJWTError as error:
            raise Unauthorized(f"The token is not valid ({type(error).__name__})") from None
        return claims

    def _check_token_use_and_client(self, claims: Mapping[str, Any]) -> None:
        token_use = claims["token_use"]
        if not isinstance(token_use, str) or token_use not in _TOKEN_NAMES:
            raise Unauthorized(
                f"The token's token_use is {_shown(token_use)}; "
                "only Cognito ID and access tokens are accepted"
            )
        required = self.config.token_use
        if required is not CognitoTokenUse.ANY and token_use != required.value:
            raise Unauthorized(
                f"{_TOKEN_NAMES[token_use][0].upper()}{_TOKEN_NAMES[token_use][1:]} was "
                "presented where this API requires "
                f"{_TOKEN_NAMES[required.value]}"
            )
        claim = "aud" if token_use == "id" else "client_id"
        client = claims.get(claim)
        if not isinstance(client, str) or client not in self.config.app_client_ids:
            raise Unauthorized(
                f"The {'ID' if token_use == 'id' else 'access'} token's {claim} is not an app "
                "client of this API"
            )


class CognitoNotConfigured:
    """The verifier when no user pool is configured: every token is refused, saying so."""

    async def verify(self, token: str) -> Identity:
        """Always Unauthorized."""
        raise Unauthorized(
            "Cognito is not configured on this API (no user pool), so tokens cannot be accepted"
        )
