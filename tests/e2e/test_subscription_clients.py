"""Subscriptions over a real gateway (uvicorn on a loopback port) with clients nobody here
wrote: Python ``gql`` over graphql-transport-ws and graphql-ws, node ``graphql-ws``, and raw
WebSocket frames for the protocol's bad input. Each event is triggered by a mutation sent over
HTTP on another connection."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import shutil
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
import websockets
from gql import Client, GraphQLRequest
from gql.transport.exceptions import TransportQueryError
from gql.transport.websockets import WebsocketsTransport

from gateway.app import create_app
from gateway.bootstrap import Services, build_services, provision
from gateway.local_stack.scratch_databases import scratch_database
from gateway.settings import LOCAL_API_KEY
from gateway.websockets import ConnectionLimiter, identity_key
from resolvers.context import AuthMode, Identity
from resolvers.global_ids import to_global_id
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
INIT_TIMEOUT_SECONDS = 0.5
MAX_CONNECTIONS = 2
TRANSPORT_WS = "graphql-transport-ws"
LEGACY_WS = "graphql-ws"
API_KEY_INIT = {"x-api-key": LOCAL_API_KEY}

ON_ORDER = """subscription OnOrder($id: ID!) {
  onOrderStatusChanged(orderId: $id) { status previousStatus order { id status } } }"""
ON_PRICE = """subscription OnPrice($id: ID!) {
  onPriceChanged(productId: $id) { productId changes { sku oldPrice { amount } price { amount } } } }"""
ON_INVENTORY = """subscription OnInventory($sku: String!, $filter: AWSJSON) {
  onInventoryChanged(sku: $sku, filter: $filter) { sku available } }"""
UPDATE_VARIANT = """mutation($p: ID!, $v: Int!, $input: ProductVariantInput!) {
  updateProductVariant(productId: $p, expectedVersion: $v, input: $input) { __typename } }"""
PRODUCT_VERSION = "query($id: ID!) { product(id: $id) { version } }"


@dataclasses.dataclass(frozen=True)
class Gateway:
    http_url: str
    ws_url: str
    services: Services
    limiter: ConnectionLimiter


def _init_payload(identity: Identity) -> dict[str, str]:
    return {
        ("Authorization" if k == "authorization" else k): v
        for k, v in headers_for(identity).items()
    }


@pytest.fixture(scope="module")
async def gateway(moto: MotoProcess, shopping_server_url: str) -> AsyncIterator[Gateway]:
    async with scratch_database(shopping_server_url, "vitrine_subs") as database_url:
        settings = make_settings(
            moto.endpoint_url,
            DATABASE_URL=database_url,
            VITRINE_WS_CONNECTION_INIT_TIMEOUT_SECONDS=str(INIT_TIMEOUT_SECONDS),
            VITRINE_WS_MAX_CONNECTIONS_PER_IDENTITY=str(MAX_CONNECTIONS),
        )
        services = dataclasses.replace(build_services(settings), tokens=StaticTokens())
        await provision(services)
        await stock_catalog(services)
        await services.close()  # the server thread's loop opens its own connections
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
        yield Gateway(
            f"http://127.0.0.1:{port}",
            f"ws://127.0.0.1:{port}/graphql",
            services,
            app.state.ws_limiter,
        )
        server.should_exit = True
        await asyncio.to_thread(thread.join, 10)


@pytest.fixture
async def execute(gateway: Gateway) -> AsyncIterator[Any]:
    async with httpx.AsyncClient(base_url=gateway.http_url, timeout=30) as http:

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

        yield run


def _subscribers(gateway: Gateway) -> int:
    """Subscribers on the gateway's bus now (the search indexer is one of them)."""
    count: int = gateway.services.events.subscriber_count  # type: ignore[attr-defined]
    return count


async def _subscribed(gateway: Gateway, count: int) -> None:
    """Wait until the gateway's event bus has ``count`` subscribers (bounded)."""
    async with asyncio.timeout(15):
        # Counts, not time: the bus reports its subscribers, it has no event to wait on.
        while _subscribers(gateway) < count:  # noqa: ASYNC110
            await asyncio.sleep(0.02)


def _transport(gateway: Gateway, identity: Identity, protocol: str) -> WebsocketsTransport:
    return WebsocketsTransport(
        url=gateway.ws_url, init_payload=_init_payload(identity), subprotocols=[protocol]
    )


async def _paid_order(execute: Any, sku_index: int) -> dict[str, Any]:
    variant = factories.product(sku_index).variants[0]
    cart_id = await shopper_cart(execute, SHOPPER_A)
    await add(execute, SHOPPER_A, cart_id, line(f"prod-{sku_index:03d}", variant.sku, 1))
    order: dict[str, Any] = (await checkout(execute, SHOPPER_A, cart_id))["order"]
    return order


async def test_gql_over_graphql_transport_ws_receives_the_shoppers_order_move(
    gateway: Gateway, execute: Any
) -> None:
    # given a shopper's paid order and their gql subscription over graphql-transport-ws
    order = await _paid_order(execute, 1)
    before = _subscribers(gateway)
    request = GraphQLRequest(ON_ORDER, variable_values={"id": order["id"]})
    async with Client(transport=_transport(gateway, SHOPPER_A, TRANSPORT_WS)) as session:
        received = asyncio.ensure_future(anext(aiter(session.subscribe(request))))
        await _subscribed(gateway, before + 1)

        # when the merchant fulfils it over HTTP
        data, errors = await execute(ORDER_FULFILL, {"id": order["id"], "key": new_key()}, MERCHANT)
        async with asyncio.timeout(15):
            event = await received

    # then the shopper's client received the move
    assert errors == []
    assert result_of(data, "orderFulfill")["__typename"] == "OrderFulfillSuccess"
    assert event == {
        "onOrderStatusChanged": {
            "status": "FULFILLED",
            "previousStatus": "PAID",
            "order": {"id": order["id"], "status": "FULFILLED"},
        }
    }


async def test_gql_another_shoppers_order_is_not_found(gateway: Gateway, execute: Any) -> None:
    # given shopper A's order
    order = await _paid_order(execute, 2)
    request = GraphQLRequest(ON_ORDER, variable_values={"id": order["id"]})

    # when shopper B subscribes to it with gql
    async with Client(transport=_transport(gateway, SHOPPER_B, TRANSPORT_WS)) as session:
        with pytest.raises(TransportQueryError) as refused:
            async for _ in session.subscribe(request):
                pass

    # then NOT_FOUND, as for an order that does not exist
    assert refused.value.errors is not None
    assert [(e["message"], e["extensions"]["code"]) for e in refused.value.errors] == [
        ("No such order", "NOT_FOUND")
    ]


async def test_gql_over_legacy_graphql_ws_receives_a_price_change(
    gateway: Gateway, execute: Any
) -> None:
    # given a storefront subscribed to a product's prices over the legacy protocol
    product_id = to_global_id("Product", "prod-003")
    before = _subscribers(gateway)
    variant = factories.product(3).variants[0]
    request = GraphQLRequest(ON_PRICE, variable_values={"id": product_id})
    async with Client(transport=_transport(gateway, STOREFRONT, LEGACY_WS)) as session:
        received = asyncio.ensure_future(anext(aiter(session.subscribe(request))))
        await _subscribed(gateway, before + 1)

        # when a merchant raises a variant's price over HTTP
        current, _ = await execute(PRODUCT_VERSION, {"id": product_id})
        assert current is not None
        new_price = {
            "sku": variant.sku,
            "title": variant.title,
            "options": [{"name": o.name, "value": o.value} for o in variant.options],
            "price": {"amount": variant.price.amount + 500, "currency": variant.price.currency},
        }
        data, errors = await execute(
            UPDATE_VARIANT,
            {"p": product_id, "v": current["product"]["version"], "input": new_price},
            MERCHANT,
        )
        async with asyncio.timeout(15):
            event = await received

    # then the storefront received the move
    assert errors == []
    assert data == {"updateProductVariant": {"__typename": "UpdateProductVariantSuccess"}}
    assert event == {
        "onPriceChanged": {
            "productId": product_id,
            "changes": [
                {
                    "sku": variant.sku,
                    "oldPrice": {"amount": variant.price.amount},
                    "price": {"amount": variant.price.amount + 500},
                }
            ],
        }
    }


def _node_or_skip() -> str:
    node = shutil.which("node")
    if node is None or not (NODE_DIR / "node_modules" / "graphql-ws").exists():
        pytest.skip("node and tests/e2e/node/node_modules are needed (make install runs npm ci)")
    return node


async def test_node_graphql_ws_client_receives_stock_after_a_checkout(
    gateway: Gateway, execute: Any
) -> None:
    # given node's graphql-ws client subscribed to a SKU's stock with an API key
    node = _node_or_skip()
    before = _subscribers(gateway)
    variant = factories.product(4).variants[0]
    spec = {
        "query": ON_INVENTORY,
        "variables": {"sku": variant.sku, "filter": {"available": {"lt": 5}}},
        "connectionParams": API_KEY_INIT,
    }
    process = await asyncio.create_subprocess_exec(
        node,
        str(NODE_DIR / "subscribe.mjs"),
        gateway.ws_url,
        json.dumps(spec),
        cwd=NODE_DIR,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    await _subscribed(gateway, before + 1)

    # when a shopper buys one unit over HTTP
    cart_id = await shopper_cart(execute, SHOPPER_B)
    await add(execute, SHOPPER_B, cart_id, line("prod-004", variant.sku, 1))
    done = await checkout(execute, SHOPPER_B, cart_id)
    try:
        async with asyncio.timeout(30):
            out, err = await process.communicate()
    except TimeoutError:
        process.kill()
        out, err = await process.communicate()
        pytest.fail(f"the node client got no event: {out.decode()} {err.decode()}")

    # then the node client printed the connection and the stock left
    assert done["order"]["status"] == "PAID"
    assert process.returncode == 0, err.decode()
    messages = [json.loads(raw) for raw in out.decode().splitlines()]
    assert messages[0] == {"connected": True}
    assert len(messages) == 2
    assert "errors" not in messages[1]["next"]
    assert messages[1]["next"]["data"] == {
        "onInventoryChanged": {"sku": variant.sku, "available": 4}
    }


# --- bad input, in raw frames -------------------------------------------------------------


async def _connect(gateway: Gateway, protocol: str = TRANSPORT_WS) -> Any:
    return await websockets.connect(gateway.ws_url, subprotocols=[protocol])  # type: ignore[list-item]


async def _closed_with(socket: Any) -> tuple[int | None, str | None]:
    """The close code and reason the server sent (waits for the close, bounded)."""
    async with asyncio.timeout(10):
        await socket.wait_closed()
    return socket.close_code, socket.close_reason


async def _init(socket: Any, payload: dict[str, str] | None = None) -> dict[str, Any]:
    await socket.send(json.dumps({"type": "connection_init", "payload": payload or API_KEY_INIT}))
    async with asyncio.timeout(10):
        ack: dict[str, Any] = json.loads(await socket.recv())
    return ack


async def test_unknown_message_type_closes_with_4400(gateway: Gateway) -> None:
    socket = await _connect(gateway)
    await _init(socket)
    await socket.send(json.dumps({"type": "shout", "id": "1"}))
    assert await _closed_with(socket) == (4400, "Unknown message type: shout")


async def test_subscribe_before_connection_init_closes_with_4401(gateway: Gateway) -> None:
    socket = await _connect(gateway)
    await socket.send(
        json.dumps({"id": "1", "type": "subscribe", "payload": {"query": ON_INVENTORY}})
    )
    assert await _closed_with(socket) == (4401, "Unauthorized")


async def test_duplicate_operation_id_closes_with_4409(gateway: Gateway) -> None:
    socket = await _connect(gateway)
    ack = await _init(socket)
    subscribe = {
        "id": "op-1",
        "type": "subscribe",
        "payload": {"query": ON_INVENTORY, "variables": {"sku": "SKU-001-G"}},
    }
    await socket.send(json.dumps(subscribe))
    await socket.send(json.dumps(subscribe))
    assert ack == {"type": "connection_ack"}
    assert await _closed_with(socket) == (4409, "Subscriber for op-1 already exists")


async def test_invalid_filter_is_an_error_message_for_that_operation(gateway: Gateway) -> None:
    socket = await _connect(gateway)
    await _init(socket)
    variables = {"sku": "SKU-001-G", "filter": {"available": {"near": 3}}}
    await socket.send(
        json.dumps(
            {
                "id": "f",
                "type": "subscribe",
                "payload": {"query": ON_INVENTORY, "variables": variables},
            }
        )
    )
    async with asyncio.timeout(10):
        message = json.loads(await socket.recv())
    await socket.close()
    assert message["type"] == "error"
    assert message["id"] == "f"
    assert [(e["extensions"]["code"], e["message"]) for e in message["payload"]] == [
        (
            "BAD_USER_INPUT",
            "filter.available: unknown operator 'near' (eq, ne, in, notIn, between, "
            "beginsWith, gt, ge, lt, le)",
        )
    ]


@pytest.mark.parametrize("protocol", [TRANSPORT_WS, LEGACY_WS])
async def test_connection_that_never_inits_is_closed_after_the_timeout(
    gateway: Gateway, protocol: str
) -> None:
    socket = await _connect(gateway, protocol)
    assert await _closed_with(socket) == (4408, "Connection initialisation timeout")


async def test_invalid_token_in_connection_init_is_refused(gateway: Gateway) -> None:
    transport_ws = await _connect(gateway)
    await transport_ws.send(
        json.dumps({"type": "connection_init", "payload": {"Authorization": "Bearer nope"}})
    )
    legacy = await _connect(gateway, LEGACY_WS)
    await legacy.send(json.dumps({"type": "connection_init", "payload": {"x-api-key": "nope"}}))
    async with asyncio.timeout(10):
        legacy_error = json.loads(await legacy.recv())
    assert await _closed_with(transport_ws) == (4403, "Forbidden")
    assert legacy_error == {
        "type": "connection_error",
        "payload": {
            "message": "The x-api-key header does not hold a valid API key",
            "errorType": "UnauthorizedException",
            "code": "UNAUTHENTICATED",
        },
    }


async def test_connections_over_the_per_identity_limit_are_refused(gateway: Gateway) -> None:
    # given a caller holding the most connections allowed
    caller = Identity(mode=AuthMode.AMAZON_COGNITO_USER_POOLS, subject="many-tabs")
    held = [await _connect(gateway) for _ in range(MAX_CONNECTIONS)]
    acks = [await _init(socket, _init_payload(caller)) for socket in held]

    # when it opens one more over each protocol
    extra = await _connect(gateway)
    await extra.send(json.dumps({"type": "connection_init", "payload": _init_payload(caller)}))
    legacy = await _connect(gateway, LEGACY_WS)
    legacy_error = await _init(legacy, _init_payload(caller))
    refused = await _closed_with(extra)

    # then both are refused, and a slot frees up when a connection closes
    await held[0].close()
    async with asyncio.timeout(10):
        while gateway.limiter.open_connections(identity_key(caller)) >= MAX_CONNECTIONS:  # noqa: ASYNC110
            await asyncio.sleep(0.02)
    again = await _connect(gateway)
    again_ack = await _init(again, _init_payload(caller))
    for socket in (*held[1:], again, legacy):
        await socket.close()
    assert acks == [{"type": "connection_ack"}] * MAX_CONNECTIONS
    assert refused == (
        4429,
        f"Too many open subscription connections for this caller (at most {MAX_CONNECTIONS})",
    )
    assert legacy_error["type"] == "connection_error"
    assert legacy_error["payload"]["code"] == "TOO_MANY_CONNECTIONS"
    assert again_ack == {"type": "connection_ack"}
