"""Builds the per-request context: identity, data sources and fresh loaders."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from strawberry.fastapi import BaseContext

from datasources.loaders import Loaders
from gateway.auth import cart_token, identify
from gateway.cognito import SigningKeysUnavailable, TokenVerifier
from gateway.settings import Settings
from resolvers.context import Context, DataSources
from resolvers.errors import Unauthorized


class RejectedCredentials(Exception):
    """Credentials were presented and are not valid: the whole request is refused (401)."""


class CredentialsUnverifiable(Exception):
    """A token was presented but cannot be checked right now (the user pool's keys are out of
    reach): the request is refused as unavailable (503), not as unauthenticated."""


class RequestContext(Context, BaseContext):
    """The resolver context carried through strawberry's FastAPI integration."""

    def __init__(self, **kwargs: object) -> None:
        BaseContext.__init__(self)
        Context.__init__(self, **kwargs)  # type: ignore[arg-type]


def context_getter_for(
    settings: Settings, sources: DataSources, tokens: TokenVerifier
) -> Callable[[Request], Awaitable[RequestContext]]:
    """A FastAPI dependency that builds a fresh context for every request."""
    api_keys = settings.api_key_values()

    async def get_context(request: Request) -> RequestContext:
        try:
            identity = await identify(request.headers, api_keys, tokens)
        except Unauthorized as error:
            raise RejectedCredentials(str(error)) from error
        except SigningKeysUnavailable as error:
            raise CredentialsUnverifiable(str(error)) from error
        return RequestContext(
            request_id=request.state.request_id,
            identity=identity,
            sources=sources,
            loaders=Loaders.for_request(sources.catalog, batching=settings.dataloaders),
            caching=settings.resolver_cache,
            cart_token=cart_token(request.headers),
        )

    return get_context
