"""The HTTP caches never get one shopper's data: every owner-scoped read over GET is
``private, no-store`` with no ETag, and the same URL with another shopper's credentials
answers that shopper's view."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from resolvers.context import Identity
from tests.api.shopping.conftest import headers_for
from tests.support.owner_scoping import World, arrange_world
from tests.support.shopping_api import (
    CART_QUERY,
    MY_ORDERS,
    NODE_QUERY,
    ORDER_QUERY,
    SHOPPER_A,
    SHOPPER_B,
    STOREFRONT,
    line,
)

pytestmark = pytest.mark.integration


@dataclass(frozen=True)
class OwnedRead:
    name: str
    query: str
    target: str | None
    as_a: Identity
    a_uses_token: bool
    field: str


OWNED_READS = [
    OwnedRead("Query.cart (signed in)", CART_QUERY, "a_cart", SHOPPER_A, False, "cart"),
    OwnedRead(
        "Query.cart (anonymous token)", CART_QUERY, "a_anonymous_cart", STOREFRONT, True, "cart"
    ),
    OwnedRead("Query.node (cart)", NODE_QUERY, "a_cart", SHOPPER_A, False, "node"),
    OwnedRead("Query.node (order)", NODE_QUERY, "a_order", SHOPPER_A, False, "node"),
    OwnedRead("Query.order", ORDER_QUERY, "a_order", SHOPPER_A, False, "order"),
    OwnedRead("Query.myOrders", MY_ORDERS, None, SHOPPER_A, False, "myOrders"),
]


@pytest.fixture(scope="module")
async def world(execute: Any) -> World:
    return await arrange_world(execute, line("prod-002", "SKU-002-G", 1))


def params_for(read: OwnedRead, world: World) -> dict[str, str]:
    variables = {"first": 5} if read.target is None else {"id": getattr(world, read.target)}
    return {"query": read.query, "variables": json.dumps(variables)}


@pytest.mark.parametrize("read", OWNED_READS, ids=[r.name for r in OWNED_READS])
async def test_owner_scoped_get_is_never_shared(
    http: httpx.AsyncClient, world: World, read: OwnedRead
) -> None:
    # given shopper A reads their own object over GET
    params = params_for(read, world)
    a_headers = headers_for(read.as_a, world.a_token if read.a_uses_token else None)
    a_response = await http.get("/graphql", params=params, headers=a_headers)
    # then the answer is A's, and no shared cache may keep it
    a_body = a_response.json()
    assert a_response.status_code == 200
    assert a_body.get("errors", []) == []
    assert a_body["data"][read.field] not in (None, {"totalCount": 0})
    assert a_response.headers["cache-control"] == "private, no-store"
    assert "etag" not in a_response.headers
    assert "x-vitrine-cache" not in a_response.headers
    assert "authorization" in a_response.headers["vary"]
    assert "x-cart-token" in a_response.headers["vary"]
    # when shopper B (or B's storefront token) sends the very same URL
    b_identity = STOREFRONT if read.a_uses_token else SHOPPER_B
    b_headers = headers_for(b_identity, world.b_token if read.a_uses_token else None)
    b_response = await http.get(
        "/graphql",
        params=params,
        headers={**b_headers, "if-none-match": a_response.headers.get("etag", "*")},
    )
    # then B gets B's own view (nothing of A's), never a 304 of A's answer
    b_body = b_response.json()
    assert b_response.status_code == 200
    assert b_body.get("errors", []) == []
    assert b_response.headers["cache-control"] == "private, no-store"
    # and the gateway's own response cache neither kept A's answer nor served it
    assert "x-vitrine-cache" not in b_response.headers
    b_view = b_body["data"][read.field]
    if read.field == "myOrders":
        assert b_view["totalCount"] == 0
        assert b_view["nodes"] == []
    else:
        assert b_view is None
