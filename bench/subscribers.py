"""Subscriber driver processes: each holds a share of the graphql-transport-ws sockets.

``python -m bench.subscribers`` reads one JSON line (its config), opens its sockets, then
answers JSON-line commands on stdin/stdout: ``{"wait": k, "seconds": s}`` (until each
socket could have k ``next`` messages; answers how many arrived), ``{"collect": true}``
(every socket's (monotonic time, marker) deliveries) and ``{"close": true}``. While
measuring it only stamps and keeps the raw frames; it parses them at ``collect``.

:class:`SubscriberPool` runs several such processes from the benchmark's event loop (one
asyncio process cannot read thousands of sockets as fast as a gateway writes them on a
2-core machine, and the pool reports what it costs).
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import uvloop
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from bench.fanout import Delivery, marker_of

PROTOCOL = Subprotocol("graphql-transport-ws")
OPENING_AT_ONCE = 32
LINE_LIMIT = 1 << 26


@dataclass(frozen=True)
class Subscription:
    """What every socket subscribes to (``init`` is per socket)."""

    url: str
    query: str
    variables: dict[str, Any]


def _text(message: object) -> str:
    """A JSON text frame (graphql-transport-ws servers refuse binary frames)."""
    return orjson.dumps(message).decode()


class _Sockets:
    """The sockets of one driver process and what they received."""

    def __init__(self, subscription: Subscription, inits: Sequence[dict[str, str]]) -> None:
        self._subscription = subscription
        self._inits = inits
        self.frames: list[list[tuple[float, bytes]]] = [[] for _ in inits]
        self.other: list[bytes] = []
        self.received = 0
        self._target = 0
        self._reached = asyncio.Event()
        self._connections: list[ClientConnection] = []
        self._readers: list[asyncio.Task[None]] = []

    async def open(self) -> tuple[int, str | None]:
        """Open and subscribe every socket; (how many opened, the first error)."""
        gate = asyncio.Semaphore(OPENING_AT_ONCE)
        results = await asyncio.gather(
            *(self._open(index, gate) for index in range(len(self._inits))), return_exceptions=True
        )
        errors = [r for r in results if isinstance(r, BaseException)]
        return len(results) - len(errors), (repr(errors[0]) if errors else None)

    async def _open(self, index: int, gate: asyncio.Semaphore) -> None:
        async with gate:
            ws = await connect(
                self._subscription.url,
                subprotocols=[PROTOCOL],
                compression=None,
                open_timeout=60,
                max_queue=None,
            )
            self._connections.append(ws)
            await ws.send(_text({"type": "connection_init", "payload": self._inits[index]}))
            ack = orjson.loads(await ws.recv(decode=False))
            if ack.get("type") != "connection_ack":
                raise RuntimeError(f"no connection_ack: {ack}")
            payload = {"query": self._subscription.query, "variables": self._subscription.variables}
            await ws.send(_text({"id": "1", "type": "subscribe", "payload": payload}))
            self._readers.append(asyncio.create_task(self._read(ws, self.frames[index])))

    async def _read(self, ws: ClientConnection, frames: list[tuple[float, bytes]]) -> None:
        with contextlib.suppress(ConnectionClosed):
            while True:
                frame = await ws.recv(decode=False)
                at = time.monotonic()
                if b'"next"' in frame:
                    frames.append((at, frame))
                    self.received += 1
                    if self.received >= self._target:
                        self._reached.set()
                elif b'"ping"' in frame:
                    await ws.send('{"type":"pong"}')
                else:
                    self.other.append(frame)

    async def wait(self, per_socket: int, seconds: float) -> int:
        """Wait until ``per_socket`` ``next`` messages per open socket arrived (or timeout)."""
        self._target = per_socket * len(self._readers)
        self._reached.clear()
        if self.received < self._target:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(seconds):
                    await self._reached.wait()
        return self.received

    def collect(self) -> dict[str, Any]:
        """Deliveries per socket, and frames that were neither ``next`` nor ``ping``."""
        deliveries: list[list[Delivery]] = [
            [(at, marker_of(frame)) for at, frame in frames] for frames in self.frames
        ]
        return {"deliveries": deliveries, "other": [f.decode(errors="replace") for f in self.other]}

    async def close(self) -> None:
        """Close every socket."""
        for reader in self._readers:
            reader.cancel()
        await asyncio.gather(*(ws.close() for ws in self._connections), return_exceptions=True)


async def _serve() -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=LINE_LIMIT)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)

    def answer(value: object) -> None:
        sys.stdout.buffer.write(orjson.dumps(value) + b"\n")
        sys.stdout.buffer.flush()

    config = orjson.loads(await reader.readline())
    sockets = _Sockets(Subscription(**config["subscription"]), config["inits"])
    opened, error = await sockets.open()
    answer({"opened": opened, "error": error})
    while line := await reader.readline():
        command = orjson.loads(line)
        if "wait" in command:
            answer({"received": await sockets.wait(command["wait"], command["seconds"])})
        elif "collect" in command:
            answer(sockets.collect())
        elif "close" in command:
            await sockets.close()
            answer({"closed": True})
            return


class SubscriberPool:
    """Driver processes holding ``len(inits)`` subscriptions between them."""

    def __init__(
        self, subscription: Subscription, inits: Sequence[dict[str, str]], processes: int
    ) -> None:
        self._subscription = subscription
        share = -(-len(inits) // processes)
        self._shares = [list(inits[i : i + share]) for i in range(0, len(inits), share)]
        self._children: list[asyncio.subprocess.Process] = []

    @property
    def pids(self) -> list[int]:
        """Process ids of the drivers."""
        return [child.pid for child in self._children]

    async def open(self, log_dir: Path) -> int:
        """Start the drivers and open every socket; how many opened (raises on any failure)."""
        for number, share in enumerate(self._shares):
            log = (log_dir / f"subscribers-{number}.log").open("ab")
            child = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bench.subscribers",
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=log,
                limit=LINE_LIMIT,
            )
            log.close()
            self._children.append(child)
            config = {"subscription": self._subscription.__dict__, "inits": share}
            self._send(child, config)
        answers = await self._answers()
        failed = [a["error"] for a in answers if a["error"]]
        if failed:
            raise RuntimeError(f"subscriptions failed to open: {failed[0]}")
        return sum(int(a["opened"]) for a in answers)

    async def wait(self, per_socket: int, seconds: float) -> int:
        """Until every socket could have ``per_socket`` messages; how many arrived in all."""
        for child in self._children:
            self._send(child, {"wait": per_socket, "seconds": seconds})
        return sum(int(a["received"]) for a in await self._answers())

    async def collect(self) -> tuple[list[list[Delivery]], list[str]]:
        """Every socket's deliveries, and the frames that were neither ``next`` nor ``ping``."""
        for child in self._children:
            self._send(child, {"collect": True})
        deliveries: list[list[Delivery]] = []
        other: list[str] = []
        for answer in await self._answers():
            deliveries += [[(at, marker) for at, marker in d] for d in answer["deliveries"]]
            other += answer["other"]
        return deliveries, other

    async def close(self) -> None:
        """Close the sockets and end the drivers."""
        for child in self._children:
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self._send(child, {"close": True})
        for child in self._children:
            try:
                await asyncio.wait_for(child.wait(), 30)
            except TimeoutError:
                child.kill()
                await child.wait()
        self._children = []

    @staticmethod
    def _send(child: asyncio.subprocess.Process, value: object) -> None:
        assert child.stdin is not None
        child.stdin.write(orjson.dumps(value) + b"\n")

    async def _answers(self) -> list[dict[str, Any]]:
        async def one(child: asyncio.subprocess.Process) -> dict[str, Any]:
            assert child.stdout is not None
            assert child.stdin is not None
            await child.stdin.drain()
            line = await child.stdout.readline()
            if not line:
                raise RuntimeError(f"subscriber driver {child.pid} exited")
            answer: dict[str, Any] = orjson.loads(line)
            return answer

        return list(await asyncio.gather(*(one(child) for child in self._children)))


if __name__ == "__main__":
    uvloop.run(_serve())
