"""Origin verification: only requests that came through CloudFront reach the gateway.

The API origin (API Gateway or the ALB) has a public hostname; WAF, rate rules and caching sit
in CloudFront. CloudFront adds ``x-origin-verify: <secret>`` to every request it sends the
origin, and with ``VITRINE_ORIGIN_VERIFY_SECRET`` (or ``..._SECRET_ARN``) set the gateway
refuses any request without that exact value with 403, in AppSync's error shape. ``/healthz``
stays open so that load-balancer health checks (which do not pass through CloudFront) work.
"""

from __future__ import annotations

import hmac
import json

from starlette.types import ASGIApp, Receive, Scope, Send

ORIGIN_VERIFY_HEADER = "x-origin-verify"
OPEN_PATHS = frozenset({"/healthz"})
_BODY = json.dumps(
    {
        "data": None,
        "errors": [
            {
                "message": "Requests must come through the API's CloudFront distribution",
                "extensions": {"errorType": "Forbidden", "code": "FORBIDDEN"},
            }
        ],
    }
).encode()


class OriginVerify:
    """Refuses HTTP and WebSocket requests whose origin-verify header does not match."""

    def __init__(self, app: ASGIApp, secret: str) -> None:
        if not secret:
            raise ValueError("the origin-verify secret must not be empty")
        self._app = app
        self._secret = secret.encode()

    def _verified(self, scope: Scope) -> bool:
        values = [
            v for k, v in scope.get("headers", []) if k.lower() == ORIGIN_VERIFY_HEADER.encode()
        ]
        return len(values) == 1 and hmac.compare_digest(values[0], self._secret)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or scope["path"] in OPEN_PATHS:
            await self._app(scope, receive, send)
            return
        if self._verified(scope):
            await self._app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        await send(
            {
                "type": "http.response.start",
                "status": 403,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(_BODY)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": _BODY})
