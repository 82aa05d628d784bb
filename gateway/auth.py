"""Who is calling: AppSync auth modes resolved from request headers."""

from __future__ import annotations

import hmac
from collections.abc import Mapping

from resolvers.context import AuthMode, Identity
from resolvers.errors import Unauthorized

API_KEY_HEADER = "x-api-key"


def identify(headers: Mapping[str, str], api_keys: frozenset[str]) -> Identity:
    """The caller's identity; Unauthorized for a key that is presented but not valid.

    Cognito user-pool tokens are verified by the Cognito adapter once it is configured; until
    then a request without a valid API key is anonymous and may read nothing.
    """
    presented = headers.get(API_KEY_HEADER)
    if presented is None:
        return Identity.anonymous()
    if any(hmac.compare_digest(presented, key) for key in api_keys):
        return Identity(mode=AuthMode.API_KEY, subject=f"api-key:{presented[-4:]}")
    raise Unauthorized("The x-api-key header does not hold a valid API key")
