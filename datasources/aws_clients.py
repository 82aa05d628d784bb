"""aioboto3 clients kept open for the life of an event loop (one per loop, since the CLI
runs several loops in one process and an aiohttp session cannot cross loops).

aioboto3 (and aiohttp under it) is imported on the first client, not with this module: the
Lambda handler's cold start should not pay for a client that a request may never open.
"""

from __future__ import annotations

import asyncio
import weakref
from typing import Any


class LoopBoundClients:
    """A long-lived aioboto3 client of one service, one per running event loop."""

    def __init__(self, service: str, client_kwargs: dict[str, Any]) -> None:
        self._service = service
        self._kwargs = client_kwargs
        self._session: Any = None
        self._clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Any] = (
            weakref.WeakKeyDictionary()
        )

    async def get(self) -> Any:
        """The client of the running loop, opened on first use."""
        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None:
            if self._session is None:
                self._session = aio_session()
            client = await self._session.client(self._service, **self._kwargs).__aenter__()
            self._clients[loop] = client
        return client

    async def close(self) -> None:
        """Close the client of the running loop."""
        client = self._clients.pop(asyncio.get_running_loop(), None)
        if client is not None:
            await client.__aexit__(None, None, None)


def aio_session() -> Any:
    """A new aioboto3 session (imports aioboto3 on first call)."""
    import aioboto3

    return aioboto3.Session()
