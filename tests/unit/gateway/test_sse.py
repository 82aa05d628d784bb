"""The Server-Sent Events transport's logic without a server: request parsing, content
negotiation, event encoding, and the response's keep-alives, stalled clients and
disconnects (driven through fake ASGI ``send``/``receive`` callables)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from typing import Any

import orjson
import pytest

from gateway.sse import (
    COMPLETE,
    KEEP_ALIVE,
    EventStreamResponse,
    StreamRefused,
    accepts_event_stream,
    encode_next,
    parse_stream_request,
    wants_event_stream,
)

JSON = "application/json"


def test_a_json_body_is_a_graphql_request() -> None:
    body = orjson.dumps(
        {
            "query": "subscription S($sku: String!) { onInventoryChanged(sku: $sku) { sku } }",
            "variables": {"sku": "SKU-1"},
            "operationName": "S",
            "extensions": {"trace": "on"},
        }
    )
    request = parse_stream_request("application/json; charset=utf-8", body)
    assert (request.variables, request.operation_name, request.extensions, request.protocol) == (
        {"sku": "SKU-1"},
        "S",
        {"trace": "on"},
        "sse",
    )
    assert request.query is not None
    assert request.query.startswith("subscription S(")


def test_a_persisted_query_may_come_without_its_document() -> None:
    extensions = {"persistedQuery": {"version": 1, "sha256Hash": "ab" * 32}}
    request = parse_stream_request(JSON, orjson.dumps({"extensions": extensions}))
    assert (request.query, request.extensions) == (None, extensions)


@pytest.mark.parametrize(
    ("content_type", "body", "status", "code", "message"),
    [
        ("text/plain", b"{}", 415, "UNSUPPORTED_MEDIA_TYPE", "Send the request as"),
        (None, b"{}", 415, "UNSUPPORTED_MEDIA_TYPE", "Send the request as"),
        (JSON, b"{", 400, "BAD_REQUEST", "The body is not valid JSON: "),
        (JSON, b'"query"', 400, "BAD_REQUEST", "The body must be a JSON object"),
        (JSON, b"[]", 400, "BAD_REQUEST", "Batched operations are not supported"),
        (JSON, b"{}", 400, "BAD_REQUEST", "query: required"),
        (JSON, b'{"query": "  "}', 400, "BAD_REQUEST", "query: required"),
        (JSON, b'{"query": 3}', 400, "BAD_REQUEST", "query: required"),
        (JSON, b'{"query": "{ a }", "variables": "x"}', 400, "BAD_REQUEST", "variables: must"),
        (JSON, b'{"query": "{ a }", "operationName": 1}', 400, "BAD_REQUEST", "operationName:"),
        (JSON, b'{"query": "{ a }", "extensions": []}', 400, "BAD_REQUEST", "extensions: must"),
    ],
)
def test_a_body_that_is_no_graphql_request_is_refused_by_name(
    content_type: str | None, body: bytes, status: int, code: str, message: str
) -> None:
    with pytest.raises(StreamRefused) as refused:
        parse_stream_request(content_type, body)
    assert (refused.value.status, refused.value.code) == (status, code)
    assert str(refused.value).startswith(message)
    assert orjson.loads(refused.value.response().body) == {
        "data": None,
        "errors": [
            {
                "message": str(refused.value),
                "extensions": {"errorType": refused.value.error_type, "code": code},
            }
        ],
    }


@pytest.mark.parametrize(
    ("accept", "wants", "accepts"),
    [
        ("text/event-stream", True, True),
        ("text/event-stream; charset=utf-8", True, True),
        ("application/json, text/event-stream", False, True),
        ("text/event-stream, application/graphql-response+json", False, True),
        ("application/json", False, False),
        ("*/*", False, True),
        (None, False, True),
    ],
)
def test_accept_headers(accept: str | None, wants: bool, accepts: bool) -> None:
    assert (wants_event_stream(accept), accepts_event_stream(accept)) == (wants, accepts)


def test_a_next_event_is_one_data_line_even_for_text_with_newlines() -> None:
    encoded = encode_next({"data": {"note": "two\nlines"}})
    assert encoded == b'event: next\ndata: {"data":{"note":"two\\nlines"}}\n\n'
    assert COMPLETE == b"event: complete\ndata:\n\n"


class Events:
    """An events generator driven by the test, recording whether it was closed."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[bytes | None] = asyncio.Queue()
        self.closed = False

    async def generate(self) -> AsyncGenerator[bytes, None]:
        try:
            while (chunk := await self.queue.get()) is not None:
                yield chunk
        finally:
            self.closed = True


async def _never_disconnects() -> dict[str, Any]:
    await asyncio.Event().wait()
    raise AssertionError("unreachable")


def _bodies(sent: list[dict[str, Any]]) -> list[bytes]:
    return [m["body"] for m in sent if m["type"] == "http.response.body"]


async def test_keep_alives_fill_the_quiet_and_the_stream_ends_after_its_events() -> None:
    # given a stream whose events come only after two keep-alives were sent
    events, sent, closed = Events(), [], []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)
        if _bodies(sent).count(KEEP_ALIVE) == 2:
            events.queue.put_nowait(b"event: next\ndata: {}\n\n")
            events.queue.put_nowait(None)

    response = EventStreamResponse(
        events.generate(),
        keep_alive_seconds=0.01,
        send_timeout_seconds=5,
        on_close=lambda: closed.append(True),
    )
    # when it is served
    async with asyncio.timeout(5):
        await response({"type": "http"}, _never_disconnects, send)  # type: ignore[arg-type]

    # then: headers, the keep-alives, the event, the end of the body; closed once
    assert sent[0]["type"] == "http.response.start"
    assert dict(sent[0]["headers"])[b"content-type"].startswith(b"text/event-stream")
    assert _bodies(sent) == [KEEP_ALIVE, KEEP_ALIVE, b"event: next\ndata: {}\n\n", b""]
    assert sent[-1]["more_body"] is False
    assert (events.closed, closed, response.stalled) == (True, [True], False)


async def test_a_client_that_reads_nothing_is_dropped_after_the_send_timeout() -> None:
    # given a client whose connection takes the headers and then nothing more
    events, sent, closed = Events(), [], []

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.body":
            await asyncio.Event().wait()
        sent.append(message)

    events.queue.put_nowait(b"event: next\ndata: {}\n\n")
    response = EventStreamResponse(
        events.generate(),
        keep_alive_seconds=5,
        send_timeout_seconds=0.05,
        on_close=lambda: closed.append(True),
    )
    # when the stream has an event for it
    async with asyncio.timeout(5):
        await response({"type": "http"}, _never_disconnects, send)  # type: ignore[arg-type]

    # then it is dropped as stalled: its events are closed and its slot given back
    assert [m["type"] for m in sent] == ["http.response.start"]
    assert (response.stalled, events.closed, closed) == (True, True, [True])


async def test_a_disconnect_ends_a_stream_that_waits_for_events() -> None:
    # given a stream waiting for an event that never comes
    events, sent, closed = Events(), [], []
    disconnect = asyncio.Event()

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)
        disconnect.set()

    async def receive() -> dict[str, Any]:
        await disconnect.wait()
        return {"type": "http.disconnect"}

    response = EventStreamResponse(
        events.generate(),
        keep_alive_seconds=5,
        send_timeout_seconds=5,
        on_close=lambda: closed.append(True),
    )
    # when the client goes away
    async with asyncio.timeout(5):
        await response({"type": "http"}, receive, send)  # type: ignore[arg-type]

    # then the events' generator is closed and the slot given back, once
    assert [m["type"] for m in sent] == ["http.response.start"]
    assert (events.closed, closed, response.stalled) == (True, [True], False)
