"""GraphQL over Server-Sent Events: graphql-sse's "distinct connections" mode.

``POST /graphql/stream`` (or ``POST /graphql`` with ``Accept: text/event-stream``) takes the
JSON body of a GraphQL-over-HTTP request and answers ``text/event-stream``: a ``next`` event
per result (one for a query or mutation, one per event for a subscription), then
``complete``, with ``: keep-alive`` comments while the stream is quiet. The credentials are
the HTTP headers (``Authorization``, ``x-api-key``, ``x-cart-token``), checked before the
stream opens, as on HTTP.

Refused before the stream opens, as JSON with a typed error: a body that is not a GraphQL
request (400 ``BAD_REQUEST``), not JSON (415), an ``Accept`` that excludes event streams
(406), invalid credentials (401, as on HTTP), one stream more than the caller's limit (429
``TOO_MANY_CONNECTIONS``; WebSockets and streams count against the same limit). What GraphQL
says about the document (syntax, validation, an unknown operation name, a refused persisted
query) comes as a ``next`` event carrying the errors, then ``complete``, as the protocol asks.
A subscription that ends with an error (token expired, subscriber fell behind, event stream
interrupted) sends that error as its last ``next`` and completes; a client that reads nothing
for ``send_timeout_seconds`` is dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Mapping
from contextlib import aclosing
from typing import Any

import orjson
import structlog
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from graphql import GraphQLError
from starlette.requests import HTTPConnection
from starlette.types import Message, Receive, Scope, Send
from strawberry.http import GraphQLRequestData
from strawberry.schema.base import BaseSchema
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

from gateway.errors import describe
from gateway.operation_kind import is_query, operation_problem, request_timeout
from gateway.persisted_queries import PersistedQueries, PersistedQueryError
from gateway.websockets import ConnectionLimiter, identity_key
from resolvers.context import Context

log = structlog.get_logger("vitrine.sse")

STREAM_PATH = "/graphql/stream"
EVENT_STREAM = "text/event-stream"
JSON_MEDIA_TYPES = frozenset({"application/json", "application/graphql-response+json"})
KEEP_ALIVE = b": keep-alive\n\n"
COMPLETE = b"event: complete\ndata:\n\n"
# Intermediaries must neither cache nor buffer an event stream.
STREAM_HEADERS = {"cache-control": "no-store", "x-accel-buffering": "no"}
ALL_OPERATIONS = frozenset(
    {OperationType.QUERY, OperationType.MUTATION, OperationType.SUBSCRIPTION}
)

ContextGetter = Callable[[HTTPConnection], Awaitable[Context]]


class StreamRefused(Exception):
    """A stream request refused before the stream opens; answered as JSON with one typed
    error (the GraphQL-over-HTTP shape)."""

    def __init__(self, status: int, message: str, error_type: str, code: str) -> None:
        super().__init__(message)
        self.status = status
        self.error_type = error_type
        self.code = code

    def response(self) -> JSONResponse:
        """The refusal as the client receives it."""
        extensions = {"errorType": self.error_type, "code": self.code}
        error = {"message": str(self), "extensions": extensions}
        return JSONResponse(status_code=self.status, content={"data": None, "errors": [error]})


def _bad_request(message: str) -> StreamRefused:
    return StreamRefused(400, message, "BadRequest", "BAD_REQUEST")


def _media_types(header: str | None) -> set[str]:
    return {
        part.split(";", 1)[0].strip().lower() for part in (header or "").split(",") if part.strip()
    }


def wants_event_stream(accept: str | None) -> bool:
    """Whether a request to ``/graphql`` asks for an event stream instead of JSON: it accepts
    ``text/event-stream`` and no JSON media type (graphql-sse clients send exactly that)."""
    types = _media_types(accept)
    return EVENT_STREAM in types and not types & JSON_MEDIA_TYPES


def accepts_event_stream(accept: str | None) -> bool:
    """Whether a response in ``text/event-stream`` is acceptable (no Accept means any)."""
    types = _media_types(accept)
    return not types or bool(types & {EVENT_STREAM, "text/*", "*/*"})


def parse_stream_request(content_type: str | None, body: bytes) -> GraphQLRequestData:
    """The GraphQL request of a JSON body ``{query, variables, operationName, extensions}``;
    StreamRefused (400, or 415 for a body that is not JSON) naming what is wrong."""
    if "application/json" not in _media_types(content_type):
        raise StreamRefused(
            415,
            "Send the request as application/json: {query, variables, operationName, extensions}",
            "UnsupportedMediaType",
            "UNSUPPORTED_MEDIA_TYPE",
        )
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise _bad_request(f"The body is not valid JSON: {error}") from error
    if isinstance(data, list):
        raise _bad_request("Batched operations are not supported on event streams: send one")
    if not isinstance(data, dict):
        raise _bad_request("The body must be a JSON object {query, variables, operationName}")
    query, variables = data.get("query"), data.get("variables")
    operation_name, extensions = data.get("operationName"), data.get("extensions")
    if extensions is not None and not isinstance(extensions, dict):
        raise _bad_request("extensions: must be a JSON object")
    persisted = isinstance(extensions, dict) and "persistedQuery" in extensions
    if not (isinstance(query, str) and query.strip()) and not (query is None and persisted):
        raise _bad_request("query: required, a GraphQL document as a string")
    if variables is not None and not isinstance(variables, dict):
        raise _bad_request("variables: must be a JSON object")
    if operation_name is not None and not isinstance(operation_name, str):
        raise _bad_request("operationName: must be a string")
    return GraphQLRequestData(
        query=query,
        variables=variables,
        operation_name=operation_name,
        extensions=extensions,
        protocol="sse",
    )


def encode_next(payload: Mapping[str, Any]) -> bytes:
    """A ``next`` event (orjson writes no newline, so the data is one line)."""
    return b"event: next\ndata: " + orjson.dumps(payload) + b"\n\n"


async def _disconnected(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


async def _next_event(events: AsyncIterator[bytes]) -> bytes:
    return await anext(events)


class EventStreamResponse(Response):
    """``text/event-stream`` from encoded events: keep-alive comments while they are quiet,
    each write bounded by ``send_timeout_seconds`` (a client that reads nothing is dropped),
    over as soon as the client disconnects; ``on_close`` runs once it is over, however it
    ended, after the events' generator is closed."""

    media_type = EVENT_STREAM

    def __init__(
        self,
        events: AsyncGenerator[bytes, None],
        *,
        keep_alive_seconds: float,
        send_timeout_seconds: float,
        on_close: Callable[[], None] = lambda: None,
    ) -> None:
        self.status_code = 200
        self.background = None
        self.init_headers(STREAM_HEADERS)
        self._events = events
        self._keep_alive = keep_alive_seconds
        self._send_timeout = send_timeout_seconds
        self._on_close = on_close
        self.stalled = False
        """Whether the stream was dropped because the client stopped reading."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        pump = asyncio.create_task(self._pump(send))
        disconnect = asyncio.create_task(_disconnected(receive))
        try:
            await asyncio.wait({pump, disconnect}, return_when=asyncio.FIRST_COMPLETED)
            if pump.done():
                pump.result()
        finally:
            for task in (pump, disconnect):
                task.cancel()
            await asyncio.gather(pump, disconnect, return_exceptions=True)
            await self._events.aclose()
            self._on_close()

    async def _pump(self, send: Send) -> None:
        start = {"type": "http.response.start", "status": self.status_code}
        if not await self._write(send, {**start, "headers": self.raw_headers}):
            return
        pending: asyncio.Task[bytes] | None = None
        try:
            while True:
                pending = pending or asyncio.create_task(_next_event(self._events))
                done, _ = await asyncio.wait({pending}, timeout=self._keep_alive)
                chunk = KEEP_ALIVE
                if done:
                    finished, pending = pending, None
                    try:
                        chunk = finished.result()
                    except StopAsyncIteration:
                        break
                if not await self._write(send, _body(chunk, more=True)):
                    return
            await self._write(send, _body(b"", more=False))
        finally:
            if pending is not None:
                pending.cancel()
                with contextlib.suppress(BaseException):
                    await pending

    async def _write(self, send: Send, message: Message) -> bool:
        try:
            async with asyncio.timeout(self._send_timeout):
                await send(message)
        except TimeoutError:
            self.stalled = True
            log.warning("sse_client_stalled", send_timeout_seconds=self._send_timeout)
            return False
        return True


def _body(chunk: bytes, *, more: bool) -> Message:
    return {"type": "http.response.body", "body": chunk, "more_body": more}


class ServerSentEvents:
    """Runs GraphQL requests as event streams over the gateway's schema, with the
    per-identity connection limit the WebSockets use."""

    def __init__(
        self,
        schema: BaseSchema,
        *,
        limiter: ConnectionLimiter | None,
        persisted: PersistedQueries | None = None,
        keep_alive_seconds: float = 15.0,
        send_timeout_seconds: float = 30.0,
        timeout_seconds: float | None = None,
        max_tokens: int = 5000,
        suggestions: bool = True,
    ) -> None:
        self._schema = schema
        self._limiter = limiter
        self._persisted = persisted
        self._keep_alive = keep_alive_seconds
        self._send_timeout = send_timeout_seconds
        self._timeout_seconds = timeout_seconds
        self._max_tokens = max_tokens
        self._suggestions = suggestions

    async def handle(self, request: Request, context: Context) -> Response:
        """The event stream answering ``request`` for the caller in ``context``, or a typed
        JSON refusal."""
        try:
            if not accepts_event_stream(request.headers.get("accept")):
                raise StreamRefused(
                    406,
                    f"This endpoint answers {EVENT_STREAM}: accept it",
                    "NotAcceptable",
                    "NOT_ACCEPTABLE",
                )
            request_data = parse_stream_request(
                request.headers.get("content-type"), await request.body()
            )
            slot = self._acquire(context)
        except StreamRefused as refused:
            return refused.response()
        request_id = getattr(request.state, "request_id", None)
        return EventStreamResponse(
            self._results(context, request_data, request_id),
            keep_alive_seconds=self._keep_alive,
            send_timeout_seconds=self._send_timeout,
            on_close=lambda: self._release(slot),
        )

    def _acquire(self, context: Context) -> str | None:
        if self._limiter is None:
            return None
        key = identity_key(context.identity)
        if not self._limiter.acquire(key):
            log.warning("sse_connection_limit", identity=key, limit=self._limiter.limit)
            raise StreamRefused(
                429,
                "Too many open subscription connections for this caller "
                f"(at most {self._limiter.limit})",
                "TooManyConnections",
                "TOO_MANY_CONNECTIONS",
            )
        return key

    def _release(self, slot: str | None) -> None:
        if slot is not None and self._limiter is not None:
            self._limiter.release(slot)

    def _encode(self, result: ExecutionResult, request_id: str | None) -> bytes:
        payload: dict[str, Any] = {"data": result.data}
        if result.errors:
            payload["errors"] = [
                describe(error, request_id, suggestions=self._suggestions).formatted
                for error in result.errors
            ]
        if result.extensions:
            payload["extensions"] = result.extensions
        return encode_next(payload)

    def _refusal(self, error: GraphQLError, request_id: str | None) -> bytes:
        return self._encode(ExecutionResult(data=None, errors=[error]), request_id)

    async def _results(
        self, context: Context, request_data: GraphQLRequestData, request_id: str | None
    ) -> AsyncGenerator[bytes, None]:
        if self._persisted is not None:
            try:
                request_data = await self._persisted.resolve(request_data)
            except PersistedQueryError as error:
                yield self._refusal(error.graphql_error(), request_id)
                yield COMPLETE
                return
        problem = operation_problem(request_data, self._max_tokens)
        if problem is not None:
            yield self._refusal(problem, request_id)
            yield COMPLETE
            return
        limit = self._timeout_seconds if is_query(request_data, self._max_tokens) else None
        results = await self._schema.stream(
            request_data.query,
            variable_values=request_data.variables,
            context_value=context,
            operation_name=request_data.operation_name,
            operation_extensions=request_data.extensions,
            allowed_operation_types=ALL_OPERATIONS,
        )
        async with aclosing(results):
            while True:
                try:
                    async with asyncio.timeout(limit):
                        result = await anext(results)
                except StopAsyncIteration:
                    break
                except TimeoutError:
                    log.warning("request_timeout", seconds=limit, transport="sse")
                    yield self._refusal(request_timeout(limit).graphql_error(), request_id)
                    break
                # Incremental delivery (@defer/@stream) is not enabled on this schema.
                assert isinstance(result, ExecutionResult)
                if self._persisted is not None and result.data is not None:
                    await self._persisted.remember(request_data)
                yield self._encode(result, request_id)
        yield COMPLETE


def mount_event_streams(
    app: FastAPI, streams: ServerSentEvents, context_getter: ContextGetter
) -> None:
    """Serve ``POST /graphql/stream``: the caller's identity from its headers (invalid
    credentials are refused as on HTTP), then the stream."""

    @app.post(STREAM_PATH, include_in_schema=False)
    async def graphql_stream(request: Request) -> Response:
        return await streams.handle(request, await context_getter(request))


__all__ = [
    "STREAM_PATH",
    "EventStreamResponse",
    "ServerSentEvents",
    "StreamRefused",
    "mount_event_streams",
    "parse_stream_request",
    "wants_event_stream",
]
