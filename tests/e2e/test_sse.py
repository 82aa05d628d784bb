"""GraphQL over Server-Sent Events (graphql-sse, distinct connections mode) against a real
gateway (uvicorn on a loopback port, PostgreSQL, moto, Redis pub/sub when Redis is up): the
Python ``httpx-sse`` parser and node's ``graphql-sse`` client, each event triggered by a
mutation over HTTP on another connection; then the bad input."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import shutil
import threading
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
import websockets
from httpx_sse import aconnect_sse
from redis.asyncio import Redis
from redis.exceptions import RedisError

from datasources.events.in_process import InProcessEventBus
from datasources.events.records import DomainEvent, Topic
from datasources.events.redis_bus import RedisEventBus
from datasources.ports import EventBus
from gateway.app import create_app
from gateway.bootstrap import build_services, provision
from gateway.local_stack.scratch_databases import scratch_database
from gateway.websockets import ConnectionLimiter, identity_key
from resolvers.context import AuthMode, Identity
from tests import factories
from tests.api.shopping.conftest import StaticTokens, headers_for, stock_catalog
from tests.conftest import make_settings
from tests.support.moto_process import MotoProcess, free_port
from tests.support.shopping_api import (
    MERCHANT,
    ORDER_FULFILL,
    SHOPPER_A,
    SHOPPER_B,
    STOREFRONT,
    Result,
    add,
    checkout,
    line,
    new_key,
    result_of,
    shopper_cart,
)

pytestmark = pytest.mark.integration

NODE_DIR = Path(__file__).parent / "node"
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
MAX_CONNECTIONS = 2
MAX_PENDING = 8
KEEP_ALIVE_SECONDS = 0.3
STREAM = "/graphql/stream"

ON_ORDER = """subscription OnOrder($id: ID!) {
  onOrderStatusChanged(orderId: $id) { status previousStatus order { id status } } }"""
ON_INVENTORY = """subscription OnInventory($sku: String!, $filter: AWSJSON) {
  onInventoryChanged(sku: $sku, filter: $filter) { sku available } }"""
ON_CART = """subscription OnCart($id: ID!) { onCartChanged(cartId: $id) { cart { id version } } }"""
CATEGORIES = "query Categories { categories { slug } }"
CART_CREATE = """mutation CartCreate {
  cartCreate { __typename ... on CartCreateSuccess { cart { itemCount } } } }"""

Event = tuple[str, Any]


@dataclasses.dataclass(frozen=True)
class Gateway:
    url: str
    events: EventBus
    limiter: ConnectionLimiter


async def _redis_up() -> bool:
    client = Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        await client.ping()
    except (RedisError, OSError):
        return False
    finally:
        await client.aclose()
    return True


@pytest.fixture(scope="module")
async def gateway(moto: MotoProcess, shopping_server_url: str) -> AsyncIterator[Gateway]:
    async with scratch_database(shopping_server_url, "vitrine_sse") as database_url:
        settings = make_settings(
            moto.endpoint_url,
            DATABASE_URL=database_url,
            VITRINE_WS_MAX_CONNECTIONS_PER_IDENTITY=str(MAX_CONNECTIONS),
            VITRINE_SSE_KEEP_ALIVE_SECONDS=str(KEEP_ALIVE_SECONDS),
            VITRINE_EVENT_MAX_PENDING=str(MAX_PENDING),
        )
        services = dataclasses.replace(build_services(settings), tokens=StaticTokens())
        await provision(services)
        await stock_catalog(services)
        await services.close()  # the server thread's loop opens its own connections
        # Only the event bus on Redis (channels of this run alone): the caches and rate limits
        # stay in-process, so that nothing is shared with other test runs on the same Redis.
        events: EventBus = (
            RedisEventBus(
                REDIS_URL, f"vitrine-test-sse-{uuid.uuid4().hex[:8]}:", max_pending=MAX_PENDING
            )
            if await _redis_up()
            else InProcessEventBus(MAX_PENDING)
        )
        services = dataclasses.replace(services, events=events)
        port = free_port()
        app = create_app(settings, services)
        server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 20
        while not server.started and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        yield Gateway(f"http://127.0.0.1:{port}", events, app.state.ws_limiter)
        server.should_exit = True
        await asyncio.to_thread(thread.join, 10)


@pytest.fixture
async def http(gateway: Gateway) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=gateway.url, timeout=30) as client:
        yield client


@pytest.fixture
async def execute(http: httpx.AsyncClient) -> Any:
    async def run(
        query: str,
        variables: dict[str, Any] | None = None,
        identity: Identity = STOREFRONT,
        *,
        cart_token: str | None = None,
    ) -> Result:
        response = await http.post(
            "/graphql",
            json={"query": query, "variables": variables or {}},
            headers=headers_for(identity, cart_token),
        )
        assert response.status_code == 200, response.text
        body = response.json()
        return body.get("data"), body.get("errors", [])

    return run


def _subscribers(gateway: Gateway) -> int:
    count: int = gateway.events.subscriber_count  # type: ignore[attr-defined]
    return count


async def _subscribed(gateway: Gateway, count: int) -> None:
    """Wait until the gateway's bus has ``count`` subscribers (bounded)."""
    async with asyncio.timeout(15):
        # Counts, not time: the bus reports its subscribers, it has no event to wait on.
        while _subscribers(gateway) < count:  # noqa: ASYNC110
            await asyncio.sleep(0.02)


async def _events(
    http: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    identity: Identity = STOREFRONT,
    *,
    path: str = STREAM,
    limit: int = 1000,
) -> list[Event]:
    """The stream's events as (event, data) until ``complete`` or ``limit`` of them."""
    received: list[Event] = []
    body = {"query": query, "variables": variables or {}}
    async with aconnect_sse(http, "POST", path, json=body, headers=headers_for(identity)) as source:
        assert source.response.status_code == 200
        assert source.response.headers["content-type"].startswith("text/event-stream")
        async for message in source.aiter_sse():
            received.append((message.event, message.json() if message.data else None))
            if message.event == "complete" or len(received) >= limit:
                break
    return received


async def _paid_order(execute: Any, sku_index: int) -> dict[str, Any]:
    variant = factories.product(sku_index).variants[0]
    cart_id = await shopper_cart(execute, SHOPPER_A)
    await add(execute, SHOPPER_A, cart_id, line(f"prod-{sku_index:03d}", variant.sku, 1))
    order: dict[str, Any] = (await checkout(execute, SHOPPER_A, cart_id))["order"]
    return order


def _without_extensions(received: list[Event]) -> list[Event]:
    """The events with their payloads' ``extensions`` left out (data-source call counts)."""
    return [
        (event, {k: v for k, v in data.items() if k != "extensions"} if data else data)
        for event, data in received
    ]


def _codes(data: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in data["errors"]]


# --- real clients -------------------------------------------------------------------------


async def test_httpx_sse_receives_the_shoppers_order_move(
    gateway: Gateway, http: httpx.AsyncClient, execute: Any
) -> None:
    # given a shopper's paid order and their event stream on it
    order = await _paid_order(execute, 1)
    before = _subscribers(gateway)
    stream = asyncio.ensure_future(_events(http, ON_ORDER, {"id": order["id"]}, SHOPPER_A, limit=1))
    await _subscribed(gateway, before + 1)

    # when the merchant fulfils it over HTTP
    data, errors = await execute(ORDER_FULFILL, {"id": order["id"], "key": new_key()}, MERCHANT)
    async with asyncio.timeout(15):
        received = await stream

    # then the stream carried the move as a `next` event
    assert errors == []
    assert result_of(data, "orderFulfill")["__typename"] == "OrderFulfillSuccess"
    assert _without_extensions(received) == [
        (
            "next",
            {
                "data": {
                    "onOrderStatusChanged": {
                        "status": "FULFILLED",
                        "previousStatus": "PAID",
                        "order": {"id": order["id"], "status": "FULFILLED"},
                    }
                }
            },
        )
    ]


@pytest.mark.parametrize("path", [STREAM, "/graphql"])
async def test_a_query_and_a_mutation_are_one_next_then_complete(
    http: httpx.AsyncClient, execute: Any, path: str
) -> None:
    # given the categories as plain HTTP answers them
    over_http, errors = await execute(CATEGORIES)

    # when a query and a mutation are sent as event streams (on /graphql: by Accept alone)
    query = await _events(http, CATEGORIES, path=path)
    mutation = await _events(http, CART_CREATE, path=path)

    # then each is answered by one `next` and `complete`, the query with the same data
    assert errors == []
    assert over_http is not None
    assert len(over_http["categories"]) > 1
    assert _without_extensions(query) == [("next", {"data": over_http}), ("complete", None)]
    assert _without_extensions(mutation) == [
        (
            "next",
            {"data": {"cartCreate": {"__typename": "CartCreateSuccess", "cart": {"itemCount": 0}}}},
        ),
        ("complete", None),
    ]


async def test_plain_json_requests_to_graphql_are_not_streams(http: httpx.AsyncClient) -> None:
    # when a client that accepts JSON and event streams posts to /graphql
    response = await http.post(
        "/graphql",
        json={"query": CATEGORIES},
        headers={**headers_for(STOREFRONT), "accept": "application/json, text/event-stream"},
    )
    # then it gets JSON as before
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert "errors" not in response.json()


def _node_or_skip() -> str:
    node = shutil.which("node")
    if node is None or not (NODE_DIR / "node_modules" / "graphql-sse").exists():
        pytest.skip("node and tests/e2e/node/node_modules are needed (make install runs npm ci)")
    return node


async def _node_client(gateway: Gateway, spec: dict[str, Any]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        _node_or_skip(),
        str(NODE_DIR / "subscribe-sse.mjs"),
        gateway.url + STREAM,
        json.dumps(spec),
        cwd=NODE_DIR,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def _printed(process: asyncio.subprocess.Process) -> list[dict[str, Any]]:
    try:
        async with asyncio.timeout(30):
            out, err = await process.communicate()
    except TimeoutError:
        process.kill()
        out, err = await process.communicate()
        pytest.fail(f"the node client did not finish: {out.decode()} {err.decode()}")
    assert err.decode() == ""
    return [json.loads(raw) for raw in out.decode().splitlines()]


async def test_node_graphql_sse_client_receives_stock_after_a_checkout(
    gateway: Gateway, execute: Any
) -> None:
    # given node's graphql-sse client following a SKU's stock with the API key
    before = _subscribers(gateway)
    variant = factories.product(4).variants[0]
    process = await _node_client(
        gateway,
        {
            "query": ON_INVENTORY,
            "variables": {"sku": variant.sku, "filter": {"available": {"lt": 5}}},
            "headers": headers_for(STOREFRONT),
        },
    )
    await _subscribed(gateway, before + 1)

    # when a shopper buys one unit over HTTP
    cart_id = await shopper_cart(execute, SHOPPER_B)
    await add(execute, SHOPPER_B, cart_id, line("prod-004", variant.sku, 1))
    done = await checkout(execute, SHOPPER_B, cart_id)
    messages = await _printed(process)

    # then the node client connected and printed the units left
    assert done["order"]["status"] == "PAID"
    assert process.returncode == 0
    assert messages[0] == {"connected": True}
    assert len(messages) == 2
    assert "errors" not in messages[1]["next"]
    assert messages[1]["next"]["data"] == {
        "onInventoryChanged": {"sku": variant.sku, "available": 4}
    }


async def test_node_graphql_sse_client_with_a_bad_token_is_refused(gateway: Gateway) -> None:
    # when node's client subscribes with a token the gateway does not accept
    process = await _node_client(
        gateway,
        {
            "query": ON_INVENTORY,
            "variables": {"sku": "SKU-001-G"},
            "headers": {"authorization": "Bearer forged"},
        },
    )
    messages = await _printed(process)

    # then the request is refused with 401 UNAUTHENTICATED, as on HTTP
    assert process.returncode == 1
    assert messages == [
        {
            "refused": 401,
            "body": {
                "data": None,
                "errors": [
                    {
                        "message": "not a test token",
                        "extensions": {
                            "errorType": "UnauthorizedException",
                            "code": "UNAUTHENTICATED",
                        },
                    }
                ],
            },
        }
    ]


async def test_keep_alive_comments_while_the_stream_is_quiet(
    gateway: Gateway, http: httpx.AsyncClient
) -> None:
    # given a subscription on which nothing happens
    body = {"query": ON_INVENTORY, "variables": {"sku": "SKU-QUIET"}}
    lines: list[str] = []
    async with http.stream(
        "POST",
        STREAM,
        json=body,
        headers={**headers_for(STOREFRONT), "accept": "text/event-stream"},
    ) as response:
        # when the client reads the raw stream (bounded)
        async with asyncio.timeout(15):
            async for raw in response.aiter_lines():
                lines.append(raw)
                if lines.count(": keep-alive") >= 2:
                    break

    # then it holds keep-alive comments and no event
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert {line for line in lines if line} == {": keep-alive"}


async def test_subscriber_that_falls_behind_gets_a_typed_next_then_complete(
    gateway: Gateway, http: httpx.AsyncClient, execute: Any
) -> None:
    # given events that cross Redis, and a shopper's stream on their cart
    if not isinstance(gateway.events, RedisEventBus):
        pytest.skip(f"no Redis at {REDIS_URL}: the burst is published straight to Redis")
    cart_id = await shopper_cart(execute, SHOPPER_A)
    before = _subscribers(gateway)
    stream = asyncio.ensure_future(_events(http, ON_CART, {"id": cart_id}, SHOPPER_A))
    await _subscribed(gateway, before + 1)

    # when far more events than its queue holds arrive at once (each one reads the cart)
    burst = 50 * MAX_PENDING
    redis = Redis.from_url(REDIS_URL)
    async with redis.pipeline(transaction=False) as pipe:
        for version in range(burst):
            event = DomainEvent(Topic.CART_CHANGED, cart_id, {"version": version, "ownerSub": None})
            pipe.publish(gateway.events.channel(Topic.CART_CHANGED), event.to_json())
        await pipe.execute()
    await redis.aclose()
    async with asyncio.timeout(30):
        received = await stream

    # then the stream ends with SUBSCRIBER_FELL_BEHIND as its last `next`, then `complete`
    *delivered, (last_event, last), (end, _) = received
    assert (last_event, end) == ("next", "complete")
    assert last["data"] is None
    assert _codes(last) == ["SUBSCRIBER_FELL_BEHIND"]
    assert len(delivered) < burst
    assert all(event == "next" and "errors" not in data for event, data in delivered)
    async with asyncio.timeout(10):
        while _subscribers(gateway) > before:  # noqa: ASYNC110
            await asyncio.sleep(0.02)


# --- bad input ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "content_type", "status", "code", "message"),
    [
        (b"{not json", "application/json", 400, "BAD_REQUEST", "The body is not valid JSON"),
        (
            b'[{"query": "{ categories { slug } }"}]',
            "application/json",
            400,
            "BAD_REQUEST",
            "Batched operations are not supported on event streams: send one",
        ),
        (b'{"variables": {}}', "application/json", 400, "BAD_REQUEST", "query: required"),
        (
            b'{"query": "{ categories { slug } }", "variables": [1]}',
            "application/json",
            400,
            "BAD_REQUEST",
            "variables: must be a JSON object",
        ),
        (
            b"query=%7B%20categories%20%7D",
            "application/x-www-form-urlencoded",
            415,
            "UNSUPPORTED_MEDIA_TYPE",
            "Send the request as application/json",
        ),
    ],
)
async def test_a_malformed_body_is_refused_with_a_typed_error(
    http: httpx.AsyncClient,
    content: bytes,
    content_type: str,
    status: int,
    code: str,
    message: str,
) -> None:
    response = await http.post(
        STREAM,
        content=content,
        headers={
            **headers_for(STOREFRONT),
            "content-type": content_type,
            "accept": "text/event-stream",
        },
    )
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == code
    assert error["message"].startswith(message)


async def test_an_accept_without_event_streams_is_406(http: httpx.AsyncClient) -> None:
    response = await http.post(
        STREAM,
        json={"query": CATEGORIES},
        headers={**headers_for(STOREFRONT), "accept": "application/json"},
    )
    assert response.status_code == 406
    assert response.json()["errors"][0]["extensions"] == {
        "errorType": "NotAcceptable",
        "code": "NOT_ACCEPTABLE",
    }


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"query": CATEGORIES, "operationName": "Nope"},
            "Unknown operation named 'Nope'.",
        ),
        (
            {"query": "query { categoriez { slug } }"},
            "Cannot query field 'categoriez' on type 'Query'. Did you mean 'categories' or 'category'?",
        ),
        ({"query": "subscription {"}, "Syntax Error: Expected Name, found <EOF>."),
    ],
)
async def test_an_unknown_operation_or_invalid_document_is_a_next_with_errors(
    http: httpx.AsyncClient, body: dict[str, Any], message: str
) -> None:
    # when the document cannot run
    async with aconnect_sse(
        http, "POST", STREAM, json=body, headers=headers_for(STOREFRONT)
    ) as source:
        received = [(m.event, m.data) async for m in source.aiter_sse()]
    # then the stream is accepted and says why, as the protocol asks, then completes
    assert source.response.status_code == 200
    assert [event for event, _ in received] == ["next", "complete"]
    data = json.loads(received[0][1])
    assert data["data"] is None
    assert [(e["message"], e["extensions"]["code"]) for e in data["errors"]] == [
        (message, "GRAPHQL_VALIDATION_FAILED")
    ]


async def test_an_invalid_filter_is_bad_user_input_naming_the_field(
    http: httpx.AsyncClient,
) -> None:
    received = await _events(
        http, ON_INVENTORY, {"sku": "SKU-001-G", "filter": {"available": {"near": 3}}}
    )
    assert [event for event, _ in received] == ["next", "complete"]
    assert [(e["extensions"]["code"], e["message"]) for e in received[0][1]["errors"]] == [
        (
            "BAD_USER_INPUT",
            "filter.available: unknown operator 'near' (eq, ne, in, notIn, between, "
            "beginsWith, gt, ge, lt, le)",
        )
    ]


async def test_another_shoppers_order_is_not_found(http: httpx.AsyncClient, execute: Any) -> None:
    order = await _paid_order(execute, 2)
    received = await _events(http, ON_ORDER, {"id": order["id"]}, SHOPPER_B)
    assert [event for event, _ in received] == ["next", "complete"]
    assert [(e["message"], e["extensions"]["code"]) for e in received[0][1]["errors"]] == [
        ("No such order", "NOT_FOUND")
    ]


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({"authorization": "Bearer forged"}, "not a test token"),
        ({"x-api-key": "da2-not-a-key"}, "The x-api-key header does not hold a valid API key"),
    ],
)
async def test_a_bad_credential_is_401_before_the_stream_opens(
    http: httpx.AsyncClient, headers: dict[str, str], message: str
) -> None:
    response = await http.post(
        STREAM,
        json={"query": ON_INVENTORY, "variables": {"sku": "SKU-001-G"}},
        headers={**headers, "accept": "text/event-stream"},
    )
    assert response.status_code == 401
    assert response.json()["errors"] == [
        {
            "message": message,
            "extensions": {"errorType": "UnauthorizedException", "code": "UNAUTHENTICATED"},
        }
    ]


async def test_streams_and_websockets_share_the_per_identity_limit(
    gateway: Gateway, http: httpx.AsyncClient
) -> None:
    # given a caller holding one WebSocket and one event stream (the most allowed is 2)
    caller = Identity(mode=AuthMode.AMAZON_COGNITO_USER_POOLS, subject="many-tabs-sse")
    key = identity_key(caller)
    init = {"Authorization": headers_for(caller)["authorization"]}
    socket = await websockets.connect(
        gateway.url.replace("http", "ws") + "/graphql",
        subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
    )
    await socket.send(json.dumps({"type": "connection_init", "payload": init}))
    async with asyncio.timeout(10):
        ack = json.loads(await socket.recv())
    body = {"query": ON_INVENTORY, "variables": {"sku": "SKU-001-G"}}
    held = aconnect_sse(http, "POST", STREAM, json=body, headers=headers_for(caller))
    first = await held.__aenter__()

    # when it opens one stream more
    refused = await http.post(
        STREAM, json=body, headers={**headers_for(caller), "accept": "text/event-stream"}
    )

    # then that one is 429 TOO_MANY_CONNECTIONS, and closing the stream frees its slot
    await held.__aexit__(None, None, None)
    async with asyncio.timeout(10):
        while gateway.limiter.open_connections(key) >= MAX_CONNECTIONS:  # noqa: ASYNC110
            await asyncio.sleep(0.02)
    again = await http.post(
        STREAM,
        json={"query": CATEGORIES},
        headers={**headers_for(caller), "accept": "text/event-stream"},
    )
    await socket.close()
    assert ack == {"type": "connection_ack"}
    assert first.response.status_code == 200
    assert refused.status_code == 429
    assert refused.json()["errors"] == [
        {
            "message": "Too many open subscription connections for this caller "
            f"(at most {MAX_CONNECTIONS})",
            "extensions": {"errorType": "TooManyConnections", "code": "TOO_MANY_CONNECTIONS"},
        }
    ]
    assert again.status_code == 200
    assert again.text.endswith("event: complete\ndata:\n\n")
