"""A TCP proxy in front of a real service that a test can cut: connections are refused
(closed at once) while it is down, and the open ones are dropped when it goes down."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterator
from urllib.parse import urlparse

from datasources.s3.blob_store import S3BlobStore
from gateway.bootstrap import bucket_config
from gateway.settings import Settings

CHUNK = 64 * 1024


class TcpProxy:
    """Forwards 127.0.0.1:<port> to ``target`` (``http://host:port``) until cut."""

    def __init__(self, target: str) -> None:
        parsed = urlparse(target)
        assert parsed.hostname is not None
        assert parsed.port is not None
        self._target = (parsed.hostname, parsed.port)
        self._server: asyncio.Server | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._down = False
        self._refuse_left: int | None = None
        self.refused = 0
        """Connections closed unserved because the proxy was down."""

    @property
    def url(self) -> str:
        """The proxy's endpoint URL."""
        assert self._server is not None
        port = self._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)

    async def close(self) -> None:
        self._drop_all()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    def down(self) -> None:
        """Cut the service off: drop open connections, refuse new ones (any thread)."""
        assert self._loop is not None
        self._loop.call_soon_threadsafe(self._go_down)

    def up(self) -> None:
        """Serve again."""
        self._down = False

    def blip(self, connections: int) -> None:
        """Go down until ``connections`` more connections were refused, then serve again:
        a short outage measured in attempts, not in seconds (any thread)."""
        assert self._loop is not None
        self._loop.call_soon_threadsafe(self._go_down, connections)

    def _go_down(self, refusals: int | None = None) -> None:
        self._down = True
        self._refuse_left = refusals
        self._drop_all()

    def _drop_all(self) -> None:
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._down:
            self.refused += 1
            writer.transport.abort()
            if self._refuse_left is not None:
                self._refuse_left -= 1
                self._down = self._refuse_left > 0
            return
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self._target)
        except OSError:
            writer.transport.abort()
            return
        self._writers.update({writer, upstream_writer})
        try:
            await asyncio.gather(_pipe(reader, upstream_writer), _pipe(upstream_reader, writer))
        finally:
            for end in (writer, upstream_writer):
                self._writers.discard(end)
                end.transport.abort()


async def _pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    with contextlib.suppress(OSError, asyncio.IncompleteReadError):
        while data := await source.read(CHUNK):
            sink.write(data)
            await sink.drain()
    with contextlib.suppress(OSError):
        if sink.can_write_eof():
            sink.write_eof()


@contextlib.asynccontextmanager
async def tcp_proxy(target: str) -> AsyncIterator[TcpProxy]:
    """A running proxy to ``target`` for the block."""
    proxy = TcpProxy(target)
    await proxy.start()
    try:
        yield proxy
    finally:
        await proxy.close()


def blob_store_through(proxy: TcpProxy, settings: Settings) -> S3BlobStore:
    """The asset bucket reached through ``proxy`` (which the test can cut), with no retries
    of the S3 client's own: what is retried is the caller's doing."""
    config = dataclasses.replace(bucket_config(settings), endpoint_url=proxy.url, max_attempts=1)
    return S3BlobStore(config)
