"""Subscription WebSockets: authentication from ``connection_init``, a per-identity limit on
open connections, and the legacy graphql-ws protocol held to the same init timeout.

Browsers cannot set headers on a WebSocket, so clients send their credentials in the
``connection_init`` payload, under the HTTP header names (``Authorization``, ``x-api-key``,
``x-cart-token``, any case); headers sent with the upgrade request are used when the payload
has none.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta
from typing import Any

from starlette.websockets import WebSocketState
from strawberry.asgi import ASGIWebSocketAdapter
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler

from gateway.auth import API_KEY_HEADER, AUTHORIZATION_HEADER, CART_TOKEN_HEADER
from resolvers.context import Identity

CREDENTIAL_HEADERS = (AUTHORIZATION_HEADER, API_KEY_HEADER, CART_TOKEN_HEADER)
TOO_MANY_CONNECTIONS_CLOSE_CODE = 4429
INIT_TIMEOUT_CLOSE_CODE = 4408

Identify = Callable[[Mapping[str, str]], Awaitable[Identity]]


def credential_headers(
    connection_params: object, upgrade_headers: Mapping[str, str]
) -> dict[str, str]:
    """The credential headers of a connection: the ``connection_init`` payload's (keys in
    any case), else those of the upgrade request."""
    found = {name: upgrade_headers[name] for name in CREDENTIAL_HEADERS if name in upgrade_headers}
    if isinstance(connection_params, Mapping):
        given = {
            str(key).lower(): value
            for key, value in connection_params.items()
            if str(key).lower() in CREDENTIAL_HEADERS and isinstance(value, str)
        }
        if given:
            found = given
    return found


def rejection(message: str, error_type: str, code: str) -> ConnectionRejectionError:
    """A refused ``connection_init``: graphql-ws sends the payload as ``connection_error``,
    graphql-transport-ws closes with 4403."""
    return ConnectionRejectionError({"message": message, "errorType": error_type, "code": code})


def identity_key(identity: Identity) -> str:
    """Whose connections these are, for the per-identity limit."""
    return f"{identity.mode.value}:{identity.subject or 'anonymous'}"


class ConnectionLimiter:
    """Open connections per identity in this process; refuses one over ``limit``."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._open: Counter[str] = Counter()

    def acquire(self, key: str) -> bool:
        """Count a new connection of ``key``; False (and nothing counted) at the limit."""
        if self._open[key] >= self.limit:
            return False
        self._open[key] += 1
        return True

    def release(self, key: str) -> None:
        """A connection of ``key`` closed."""
        self._open[key] -= 1
        if self._open[key] <= 0:
            del self._open[key]

    def open_connections(self, key: str) -> int:
        """Connections of ``key`` open now."""
        return self._open[key]


class ClosingSafeWebSocketAdapter(ASGIWebSocketAdapter):
    """Strawberry's adapter, tolerant of a socket the gateway already closed (a refused
    connection_init closes with its own code before the protocol handler tries to)."""

    def _closed(self) -> bool:
        return bool(self.ws.application_state == WebSocketState.DISCONNECTED)

    async def send_json(self, message: Mapping[str, object]) -> None:
        """Send unless closed."""
        if not self._closed():
            await super().send_json(message)

    async def close(self, code: int, reason: str) -> None:
        """Close unless closed."""
        if not self._closed():
            await super().close(code, reason)


class LegacyGraphQLWSHandler(BaseGraphQLWSHandler[Any, Any]):
    """The legacy graphql-ws protocol, closing a socket that sends no ``connection_init``
    within the router's wait timeout (strawberry enforces it for graphql-transport-ws only)."""

    async def handle(self) -> None:
        """Run the protocol with the init timeout armed."""
        timeout: timedelta = getattr(self.view, "connection_init_wait_timeout", timedelta(0))
        watchdog = asyncio.create_task(self._close_without_init(timeout.total_seconds()))
        try:
            await super().handle()
        finally:
            watchdog.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watchdog

    async def _close_without_init(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
        if not self.connection_acknowledged:
            await self.websocket.close(
                code=INIT_TIMEOUT_CLOSE_CODE, reason="Connection initialisation timeout"
            )
