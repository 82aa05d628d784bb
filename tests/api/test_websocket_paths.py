"""The subscription WebSocket answers at ``/graphql`` and at ``/graphql/ws`` (the path a CDN
routes to the long-lived subscriptions service), with the same protocol and checks."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from gateway.app import WEBSOCKET_ALIAS_PATH, create_app
from gateway.bootstrap import Services
from gateway.settings import LOCAL_API_KEY, Settings

TRANSPORT_WS = "graphql-transport-ws"


def _client(settings: Settings, services: Services) -> TestClient:
    """A test client that does not run the app's lifespan: its background consumers would
    open the module's shared AWS clients on the test client's own event loop. The
    WebSocket path needs none of them (API keys are checked in memory)."""
    return TestClient(create_app(settings, services))


def _exchange(client: TestClient, path: str, api_key: str) -> list[dict[str, Any]]:
    """connection_init with ``api_key``, then a query as an operation; the server's replies."""
    with client.websocket_connect(path, subprotocols=[TRANSPORT_WS]) as socket:
        socket.send_json({"type": "connection_init", "payload": {"x-api-key": api_key}})
        replies = [socket.receive_json()]
        socket.send_json(
            {"id": "1", "type": "subscribe", "payload": {"query": "query Probe { __typename }"}}
        )
        replies += [socket.receive_json(), socket.receive_json()]
    return replies


@pytest.mark.parametrize("path", ["/graphql", WEBSOCKET_ALIAS_PATH])
async def test_both_paths_speak_graphql_transport_ws(
    api_services: tuple[Settings, Services], path: str
) -> None:
    # given the gateway
    settings, services = api_services
    client = _client(settings, services)
    # when a client with the API key connects and runs an operation
    replies = _exchange(client, path, LOCAL_API_KEY)
    # then it is acknowledged, answered and completed
    assert [r["type"] for r in replies] == ["connection_ack", "next", "complete"]
    assert replies[1]["payload"]["data"] == {"__typename": "Query"}


async def test_the_alias_path_refuses_unknown_credentials_like_the_main_one(
    api_services: tuple[Settings, Services],
) -> None:
    # given the gateway
    settings, services = api_services
    # when a client sends an unknown API key on the alias path, then it is closed 4403
    with pytest.raises(WebSocketDisconnect) as closed:
        _exchange(_client(settings, services), WEBSOCKET_ALIAS_PATH, "da2-wrong")
    assert closed.value.code == 4403
