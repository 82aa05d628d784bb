"""The fan-out baseline: a bare Starlette WebSocket broadcast, no GraphQL, no event bus, no
auth (``python -m bench.broadcast_server --port N``).

It speaks just enough graphql-transport-ws for the same subscriber drivers (ack the
``connection_init``, remember the ``subscribe`` id, answer ``ping``), and
``POST /broadcast {"sku", "available"}`` pushes to every socket the same ``next`` message
the gateway sends for ``onInventoryChanged { sku available }``. Same uvicorn settings as
``bench.serve``; the difference between the two is what the GraphQL layer costs.
"""

from __future__ import annotations

import argparse

import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from bench.fanout import next_message
from bench.subscribers import PROTOCOL


def create_broadcast_app() -> Starlette:
    """The baseline app: ``/graphql`` (WebSocket), ``/broadcast``, counters, ``/healthz``."""
    sockets: dict[WebSocket, str] = {}

    async def subscriber(websocket: WebSocket) -> None:
        await websocket.accept(subprotocol=PROTOCOL)
        try:
            await websocket.receive_text()  # connection_init: no credentials to check
            await websocket.send_text('{"type":"connection_ack"}')
            subscribe = orjson.loads(await websocket.receive_text())
            sockets[websocket] = str(subscribe["id"])
            while True:
                message = orjson.loads(await websocket.receive_text())
                if message.get("type") == "ping":
                    await websocket.send_text('{"type":"pong"}')
        except WebSocketDisconnect:
            pass
        finally:
            sockets.pop(websocket, None)

    async def broadcast(request: Request) -> Response:
        body = orjson.loads(await request.body())
        sku, available = str(body["sku"]), int(body["available"])
        sent = 0
        for websocket, operation_id in list(sockets.items()):
            try:
                await websocket.send_text(next_message(operation_id, sku, available).decode())
                sent += 1
            except (WebSocketDisconnect, RuntimeError):
                sockets.pop(websocket, None)
        return JSONResponse({"sent": sent, "available": available})

    async def subscribers(_: Request) -> Response:
        return JSONResponse({"inventory": len(sockets)})

    async def healthz(_: Request) -> Response:
        return JSONResponse({"status": "ok"})

    return Starlette(
        routes=[
            WebSocketRoute("/graphql", subscriber),
            Route("/broadcast", broadcast, methods=["POST"]),
            Route("/_bench/subscribers", subscribers),
            Route("/healthz", healthz),
        ]
    )


def main(argv: list[str] | None = None) -> None:
    """Serve the baseline until terminated."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    uvicorn.run(
        create_broadcast_app(),
        host="127.0.0.1",
        port=args.port,
        workers=1,
        loop="uvloop",
        http="httptools",
        access_log=False,
        log_level="warning",
    )


if __name__ == "__main__":
    main()
