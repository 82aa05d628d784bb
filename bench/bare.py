"""The bare baseline of the edge benchmark: one uvicorn JSON endpoint and nothing else.

``GET /graphql`` answers a JSON object of exactly ``body_bytes`` bytes (orjson-encoded per
request, as a plain JSON endpoint would), the size of the gateway's cached answer it is
compared with; ``/healthz`` tells the benchmark it is up.
"""

from __future__ import annotations

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

_EMPTY = len(orjson.dumps({"data": {"padding": ""}}))


def payload(body_bytes: int) -> dict[str, dict[str, str]]:
    """A ``{"data": ...}`` object whose orjson encoding is ``body_bytes`` long (or the
    smallest such object when ``body_bytes`` is smaller)."""
    return {"data": {"padding": "x" * max(0, body_bytes - _EMPTY)}}


def create_bare_app(body_bytes: int) -> Starlette:
    """A Starlette app with the one JSON endpoint and a health check."""
    data = payload(body_bytes)

    async def graphql(request: Request) -> Response:
        return Response(orjson.dumps(data), media_type="application/json")

    async def healthz(request: Request) -> Response:
        return Response(b'{"status":"ok"}', media_type="application/json")

    return Starlette(routes=[Route("/graphql", graphql), Route("/healthz", healthz)])
