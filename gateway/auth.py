"""Who is calling: AppSync auth modes resolved from request headers."""

from __future__ import annotations

import hmac
from collections.abc import Mapping

from gateway.cognito import TokenVerifier
from resolvers.context import AuthMode, Identity
from resolvers.errors import Unauthorized

API_KEY_HEADER = "x-api-key"
AUTHORIZATION_HEADER = "authorization"
CART_TOKEN_HEADER = "x-cart-token"
"""The anonymous cart's token (returned once by ``cartCreate``): who holds it may use the cart."""
MAX_CART_TOKEN_CHARS = 256
_BEARER = "bearer"


def bearer_token(value: str) -> str:
    """The token of an Authorization header: ``Bearer <jwt>`` or, as AppSync accepts, the bare
    token; Unauthorized for anything else."""
    text = value.strip()
    scheme, _, rest = text.partition(" ")
    if scheme.lower() == _BEARER:
        text = rest.strip()
        if not text:
            raise Unauthorized("The Authorization header has no token after 'Bearer'")
    elif rest:
        raise Unauthorized(
            "The Authorization header must hold a Cognito token ('Bearer <token>' or the token)"
        )
    if not text:
        raise Unauthorized("The Authorization header is empty")
    return text


def cart_token(headers: Mapping[str, str]) -> str | None:
    """The anonymous cart token the caller sent, if any (blank or oversized ones are ignored:
    they match no cart)."""
    token = (headers.get(CART_TOKEN_HEADER) or "").strip()
    return token if 0 < len(token) <= MAX_CART_TOKEN_CHARS else None


async def identify(
    headers: Mapping[str, str], api_keys: frozenset[str], tokens: TokenVerifier
) -> Identity:
    """The caller's identity; Unauthorized for credentials that are presented but not valid.

    A Cognito token (``Authorization``) wins over an API key sent with it, as in AppSync for
    fields that allow Cognito; an invalid token is refused even when a valid key comes along.
    With neither, the caller is anonymous and may read nothing.
    """
    authorization = headers.get(AUTHORIZATION_HEADER)
    if authorization is not None:
        return await tokens.verify(bearer_token(authorization))
    presented = headers.get(API_KEY_HEADER)
    if presented is None:
        return Identity.anonymous()
    given = presented.encode("utf-8", "surrogateescape")
    if any(hmac.compare_digest(given, key.encode("utf-8")) for key in api_keys):
        return Identity(mode=AuthMode.API_KEY, subject=f"api-key:{presented[-4:]}")
    raise Unauthorized("The x-api-key header does not hold a valid API key")
