"""Builds the per-request context: identity, data sources and fresh loaders."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

from starlette.requests import HTTPConnection
from strawberry.fastapi import BaseContext

from gateway.auth import cart_token, identify
from gateway.cognito import SigningKeysUnavailable, TokenVerifier
from gateway.settings import Settings
from resolvers.context import Context, DataSources, Identity
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
        self.connection_slot: str | None = None
        """The per-identity connection slot a subscription WebSocket holds, if any."""


def context_getter_for(
    settings: Settings, sources: DataSources, tokens: TokenVerifier
) -> Callable[[HTTPConnection], Awaitable[RequestContext]]:
    """A FastAPI dependency that builds a fresh context for every request.

    A subscription WebSocket starts anonymous: its credentials come with ``connection_init``
    (``VitrineGraphQLRouter.on_ws_connect``), since browsers cannot set WebSocket headers.
    """
    api_keys = settings.api_key_values()

    async def get_context(request: HTTPConnection) -> RequestContext:
        if request.scope["type"] == "websocket":
            return RequestContext(
                request_id=uuid.uuid4().hex,
                identity=Identity.anonymous(),
                sources=sources,
                loaders=sources.new_loaders(batching=settings.dataloaders),
                caching=settings.resolver_cache,
            )
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
            loaders=sources.new_loaders(batching=settings.dataloaders),
            caching=settings.resolver_cache,
            cart_token=cart_token(request.headers),
            client_ip=request.client.host if request.client is not None else None,
        )

    return get_context
