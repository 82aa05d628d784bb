"""HTTP hardening in front of the GraphQL endpoint: body size limit and security headers."""

from __future__ import annotations

import base64
import hashlib
import json
import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

GRAPHIQL_PATHS = frozenset({"/graphql", "/graphql/"})
STOREFRONT_PREFIX = "/storefront"
_INLINE = re.compile(r"<(script|style)>(.*?)</\1>", re.DOTALL)

SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
)
API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"


def graphiql_csp(page: str) -> str:
    """A CSP for the GraphiQL page: its own origin only, plus the page's inline script and
    stylesheet by hash (GraphiQL's editor also sets inline styles at run time)."""
    hashes: dict[str, list[str]] = {"script": [], "style": []}
    for kind, body in _INLINE.findall(page):
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        hashes[kind].append(f"'sha256-{digest}'")
    return "; ".join(
        (
            "default-src 'self'",
            "script-src 'self' " + " ".join(hashes["script"]),
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            "font-src 'self' data:",
            "connect-src 'self'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "form-action 'self'",
        )
    )


class SecurityHeaders:
    """Adds nosniff, no-referrer, frame denial and a CSP to every response: GraphiQL's on its
    page, the storefront's on everything under /storefront, the API's elsewhere."""

    def __init__(
        self,
        app: ASGIApp,
        graphiql_page_csp: str | None = None,
        storefront_csp: str | None = None,
    ) -> None:
        self._app = app
        self._graphiql_csp = graphiql_page_csp
        self._storefront_csp = storefront_csp

    def _csp(self, path: str, html: bool) -> str:
        if self._graphiql_csp and html and path in GRAPHIQL_PATHS:
            return self._graphiql_csp
        if self._storefront_csp and (
            path == STOREFRONT_PREFIX or path.startswith(STOREFRONT_PREFIX + "/")
        ):
            return self._storefront_csp
        return API_CSP

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [h for h in SECURITY_HEADERS if h[0] not in present]
                if b"content-security-policy" not in present:
                    html = any(
                        name.lower() == b"content-type" and value.startswith(b"text/html")
                        for name, value in headers
                    )
                    csp = self._csp(scope["path"], html)
                    headers.append((b"content-security-policy", csp.encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self._app(scope, receive, send_with_headers)


class _BodyTooLarge(Exception):
    pass


def _too_large_body(max_bytes: int) -> bytes:
    return json.dumps(
        {
            "data": None,
            "errors": [
                {
                    "message": f"The request body is larger than the maximum of {max_bytes} bytes.",
                    "extensions": {
                        "errorType": "PayloadTooLarge",
                        "code": "PAYLOAD_TOO_LARGE",
                        "limit": "bodyBytes",
                        "maximum": max_bytes,
                    },
                }
            ],
        }
    ).encode()


class BodySizeLimit:
    """Refuses request bodies over ``max_bytes`` with 413 and a typed GraphQL error, by the
    declared Content-Length or, for chunked bodies, as soon as the limit is passed."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self._app = app
        self._max_bytes = max_bytes

    async def _refuse(self, send: Send) -> None:
        body = _too_large_body(self._max_bytes)
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name.lower() == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0
                if declared > self._max_bytes:
                    await self._refuse(send)
                    return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self._max_bytes:
                    raise _BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self._app(scope, counting_receive, tracking_send)
        except _BodyTooLarge:
            if not started:
                await self._refuse(send)


__all__ = ["BodySizeLimit", "SecurityHeaders", "graphiql_csp"]
