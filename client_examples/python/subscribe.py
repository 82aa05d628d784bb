"""Subscribe: follow one of the signed-in shopper's orders and print each status it reaches,
until a final one (FULFILLED, CANCELLED, REFUNDED).

    python -m client_examples.python.subscribe --endpoint http://127.0.0.1:8000/graphql \\
        --order <order id> --token "$(vitrine token --user shopper)" [--transport ws]

The subscription is OnOrderStatusChanged, over Server-Sent Events (``POST <endpoint>/stream``,
read with httpx-sse; the default) or graphql-transport-ws (gql). When the connection drops,
the server restarts or ends the subscription with a retryable error (EVENT_STREAM_INTERRUPTED,
SUBSCRIBER_FELL_BEHIND, TOO_MANY_CONNECTIONS), it waits with exponential backoff and jitter,
reads the order's current status (it may have moved meanwhile) and subscribes again. An
expired or invalid token, or an order that is not the shopper's, ends it with exit code 1.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
from collections.abc import AsyncGenerator
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any

import httpx
from gql import Client, GraphQLRequest
from gql.transport.exceptions import TransportClosed, TransportError, TransportQueryError
from gql.transport.websockets import WebsocketsTransport
from httpx_sse import SSEError, aconnect_sse
from websockets.exceptions import WebSocketException

from client_examples.python.client import LOCAL_ENDPOINT, VitrineError, load_operation

FINAL = frozenset({"FULFILLED", "CANCELLED", "REFUNDED"})
RETRYABLE = frozenset(
    {"EVENT_STREAM_INTERRUPTED", "SUBSCRIBER_FELL_BEHIND", "TOO_MANY_CONNECTIONS"}
)
SUBSCRIPTION = "OnOrderStatusChanged"


class Dropped(Exception):
    """The subscription was lost in a way that a new one may recover from."""


class Refused(Exception):
    """The API refused for good (bad token, not the shopper's order): no point retrying."""


def backoff(failures: int, base: float, cap: float) -> float:
    """Seconds to wait before attempt ``failures + 1``: exponential, capped, with jitter."""
    return float(min(cap, base * 2.0 ** (failures - 1)) * random.uniform(0.5, 1.0))


def _raise_for_errors(errors: list[dict[str, Any]]) -> None:
    codes = {e.get("extensions", {}).get("code") for e in errors}
    message = "; ".join(
        f"{e.get('extensions', {}).get('code')}: {e.get('message')}" for e in errors
    )
    raise Dropped(message) if codes <= RETRYABLE else Refused(message)


@dataclass
class OrderFollower:
    """Prints an order's status each time it changes; ``done`` once it is final."""

    endpoint: str
    order_id: str
    token: str
    transport: str = "sse"
    shown: str | None = None

    @property
    def headers(self) -> dict[str, str]:
        """The shopper's credentials, as for every HTTP call."""
        return {"authorization": f"Bearer {self.token}"}

    @property
    def done(self) -> bool:
        """Whether the order reached a final status."""
        return self.shown in FINAL

    def show(self, number: int, status: str, previous: str | None = None) -> None:
        """Print ``status`` unless it is the one printed last."""
        if status != self.shown:
            print(
                f"Order {number}: {status}" + (f" (was {previous})" if previous else ""), flush=True
            )
            self.shown = status

    async def current(self, http: httpx.AsyncClient) -> None:
        """Read the order as it is now (events may have been missed while disconnected)."""
        try:
            response = await http.post(
                self.endpoint,
                json={"query": load_operation("Order"), "variables": {"id": self.order_id}},
                headers=self.headers,
            )
        except httpx.TransportError as error:
            raise Dropped(f"the API cannot be reached ({type(error).__name__})") from error
        if response.status_code >= 500:
            raise Dropped(f"the API answered {response.status_code}")
        body: dict[str, Any] = response.json()
        if body.get("errors"):
            if response.status_code == 401:
                raise Refused(VitrineError(body["errors"], response.status_code).args[0])
            _raise_for_errors(body["errors"])
        order = (body.get("data") or {}).get("order")
        if order is None:
            raise Refused(f"NOT_FOUND: no order {self.order_id} for this shopper")
        self.show(order["number"], order["status"])

    def events(self, http: httpx.AsyncClient) -> AsyncGenerator[dict[str, Any], None]:
        """The subscription's events (``onOrderStatusChanged`` values) over the transport."""
        return self._sse(http) if self.transport == "sse" else self._websocket()

    async def _sse(self, http: httpx.AsyncClient) -> AsyncGenerator[dict[str, Any], None]:
        body = {
            "query": load_operation(SUBSCRIPTION),
            "variables": {"orderId": self.order_id},
            "operationName": SUBSCRIPTION,
        }
        try:
            async with aconnect_sse(
                http, "POST", self.endpoint + "/stream", json=body, headers=self.headers
            ) as source:
                if source.response.status_code != 200:
                    await source.response.aread()
                    errors = source.response.json().get("errors") or []
                    if source.response.status_code == 401:
                        raise Refused(VitrineError(errors, 401).args[0])
                    _raise_for_errors(errors)
                async for message in source.aiter_sse():
                    if message.event == "complete":
                        return
                    payload = message.json()
                    if payload.get("errors"):
                        _raise_for_errors(payload["errors"])
                    yield payload["data"]["onOrderStatusChanged"]
        except (httpx.TransportError, SSEError) as error:
            raise Dropped(f"the event stream broke ({type(error).__name__})") from error

    async def _websocket(self) -> AsyncGenerator[dict[str, Any], None]:
        transport = WebsocketsTransport(
            url="ws" + self.endpoint.removeprefix("http"),
            init_payload={"Authorization": self.headers["authorization"]},
            subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],
        )
        request = GraphQLRequest(
            load_operation(SUBSCRIPTION), variable_values={"orderId": self.order_id}
        )
        try:
            async with Client(transport=transport) as session:
                async for result in session.subscribe(request):
                    yield result["onOrderStatusChanged"]
        except TransportQueryError as error:
            _raise_for_errors(error.errors or [{"message": str(error)}])
        except (TransportClosed, TransportError, WebSocketException, OSError) as error:
            raise Dropped(f"the WebSocket closed ({type(error).__name__}: {error})") from error


async def follow(
    follower: OrderFollower, *, retries: int = 20, base: float = 0.2, cap: float = 10.0
) -> None:
    """Print the order's statuses until a final one, resubscribing after each drop; Refused
    when the API refuses, Dropped after ``retries`` failed attempts in a row."""
    failures = 0
    async with httpx.AsyncClient(timeout=httpx.Timeout(30, read=None)) as http:
        while True:
            try:
                await follower.current(http)
                if follower.done:
                    return
                async with aclosing(follower.events(http)) as events:
                    async for event in events:
                        failures = 0
                        order, previous = event["order"], event["previousStatus"]
                        follower.show(order["number"], event["status"], previous)
                        if follower.done:
                            return
                raise Dropped("the server ended the subscription")
            except Dropped as dropped:
                failures += 1
                if failures > retries:
                    raise
                delay = backoff(failures, base, cap)
                print(f"reconnecting in {delay:.1f} s: {dropped}", file=sys.stderr, flush=True)
                await asyncio.sleep(delay)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--endpoint", default=LOCAL_ENDPOINT, help="the GraphQL endpoint")
    parser.add_argument("--order", required=True, help="the order's ID")
    parser.add_argument("--token", required=True, help="the shopper's Cognito access token")
    parser.add_argument("--transport", choices=("sse", "ws"), default="sse")
    parser.add_argument("--retries", type=int, default=20, help="failed reconnects in a row")
    args = parser.parse_args()
    follower = OrderFollower(args.endpoint, args.order, args.token, args.transport)
    try:
        asyncio.run(follow(follower, retries=args.retries))
    except (Refused, Dropped) as error:
        raise SystemExit(str(error)) from None


if __name__ == "__main__":
    main()
