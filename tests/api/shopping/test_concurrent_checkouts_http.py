"""The oversell proof of the shopping issue over REAL HTTP: a uvicorn server on a loopback
port, the real app on real PostgreSQL (a fresh migrated database) and moto DynamoDB, and
220 signed-in shoppers with real Cognito access tokens from moto's user pool.

Every shopper is a distinct Cognito user (one open cart per shopper): creating 220 users in
moto (AdminCreateUser, AdminSetUserPassword, InitiateAuth, 8 threads) takes about 5 s. Each
builds its own cart over HTTP (single units first, so that demand can always use up the last
units, then mixed carts of both SKUs), then all ``checkoutComplete`` calls fire at once
against 50 units of one SKU and 30 of another. Every checkout uses its own idempotency key
and no ``expectedVersion``, so the only legitimate failure is the typed INSUFFICIENT_STOCK.
"""

from __future__ import annotations

import asyncio
import random
import threading
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import asyncpg
import httpx
import pytest
import uvicorn

from gateway.app import create_app
from gateway.bootstrap import build_services, provision
from gateway.local_cognito import _client, create_demo_pool
from gateway.settings import Settings
from tests import factories
from tests.conftest import make_settings
from tests.support.moto_process import MotoProcess, free_port
from tests.support.shopping_api import CART_CREATE, CART_LINES_ADD, CHECKOUT, line

pytestmark = pytest.mark.integration

SHOPPERS = 220
UNITS = {"SKU-040-G": 50, "SKU-040-B": 30}
PRODUCT = "prod-040"
REGION = "us-east-1"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
PASSWORD = "Race-Passw0rd!"


def _demands(rng: random.Random) -> list[dict[str, int]]:
    a, b = UNITS
    demands: list[dict[str, int]] = [{a: 1}] * UNITS[a] + [{b: 1}] * UNITS[b]
    demands = [dict(d) for d in demands]
    while len(demands) < SHOPPERS:
        shape = rng.random()
        if shape < 0.5:
            demands.append({a: rng.randint(1, 3), b: rng.randint(1, 3)})
        elif shape < 0.75:
            demands.append({a: rng.randint(1, 4)})
        else:
            demands.append({b: rng.randint(1, 4)})
    rng.shuffle(demands)
    return demands


def _cognito_tokens(moto: MotoProcess, count: int) -> tuple[dict[str, str], list[str]]:
    """A fresh moto user pool with ``count`` users: its settings and one access token each."""
    pool = create_demo_pool(
        moto.endpoint_url,
        REGION,
        credentials=CREDENTIALS,
        pool_name=f"race-{uuid.uuid4().hex[:6]}",
        users=(),
    )
    cognito = _client(moto.endpoint_url, REGION, CREDENTIALS)

    def sign_up(index: int) -> str:
        username = f"shopper-{index}@race.example"
        cognito.admin_create_user(
            UserPoolId=pool.user_pool_id,
            Username=username,
            UserAttributes=[
                {"Name": "email", "Value": username},
                {"Name": "email_verified", "Value": "true"},
            ],
            MessageAction="SUPPRESS",
        )
        cognito.admin_set_user_password(
            UserPoolId=pool.user_pool_id, Username=username, Password=PASSWORD, Permanent=True
        )
        answer = cognito.initiate_auth(
            ClientId=pool.app_client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": PASSWORD},
        )
        token: str = answer["AuthenticationResult"]["AccessToken"]
        return token

    with ThreadPoolExecutor(8) as workers:
        tokens = list(workers.map(sign_up, range(count)))
    return pool.environment(), tokens


class _ThreadServer:
    """uvicorn serving ``app`` on 127.0.0.1 in a thread of its own (its own event loop)."""

    def __init__(self, app: Any) -> None:
        self.port = free_port()
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=self.port,
            loop="asyncio",
            access_log=False,
            log_level="warning",
            timeout_keep_alive=30,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="race-uvicorn", daemon=True)

    def __enter__(self) -> str:
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.05)
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *_: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=30)


@pytest.fixture(scope="module")
def race_setup(moto: MotoProcess, shop_database: str) -> tuple[Settings, list[str]]:
    environment, tokens = _cognito_tokens(moto, SHOPPERS)
    settings = make_settings(
        moto.endpoint_url,
        DATABASE_URL=shop_database,
        VITRINE_DB_POOL_SIZE=20,
        VITRINE_DB_MAX_OVERFLOW=0,
        VITRINE_DB_POOL_TIMEOUT=60,
        **environment,
    )
    return settings, tokens


@pytest.fixture(scope="module")
async def stocked(race_setup: tuple[Settings, list[str]]) -> AsyncIterator[None]:
    """The product in DynamoDB and its two SKUs stocked in PostgreSQL."""
    settings, _ = race_setup
    services = build_services(settings)
    try:
        await provision(services)
        await services.catalog.create_product(factories.product(40))
        assert services.shopping is not None
        for sku, units in UNITS.items():
            await services.shopping.inventory.put_stock(sku, units)
        yield
    finally:
        await services.close()


@pytest.fixture(scope="module")
def server_url(race_setup: tuple[Settings, list[str]], stocked: None) -> Iterator[str]:
    """The real app (its own services, used only from the server's loop) behind uvicorn."""
    settings, _ = race_setup
    with _ThreadServer(create_app(settings, build_services(settings))) as url:
        yield url


async def _post(
    client: httpx.AsyncClient, query: str, variables: dict[str, Any], token: str
) -> dict[str, Any]:
    response = await client.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert body.get("errors") in (None, []), body["errors"]
    data: dict[str, Any] = body["data"]
    return data


async def test_200_concurrent_checkouts_over_http_never_oversell(
    race_setup: tuple[Settings, list[str]], server_url: str, shop_database: str
) -> None:
    _, tokens = race_setup
    seed = random.randrange(2**32)
    demands = _demands(random.Random(seed))
    limits = httpx.Limits(max_connections=SHOPPERS, max_keepalive_connections=SHOPPERS)
    go = asyncio.Event()
    ready = 0

    async with httpx.AsyncClient(base_url=server_url, limits=limits, timeout=90) as client:

        async def shopper(token: str, demand: dict[str, int]) -> tuple[dict[str, Any], float]:
            nonlocal ready
            created = (await _post(client, CART_CREATE, {"currency": "EUR"}, token))["cartCreate"]
            assert created["__typename"] == "CartCreateSuccess", created
            cart_id = created["cart"]["id"]
            lines = [line(PRODUCT, sku, quantity) for sku, quantity in demand.items()]
            added = (
                await _post(client, CART_LINES_ADD, {"cartId": cart_id, "lines": lines}, token)
            )["cartLinesAdd"]
            assert added["__typename"] == "CartLinesAddSuccess", added
            ready += 1
            if ready == len(tokens):
                go.set()
            await go.wait()  # every checkout starts together
            started = time.perf_counter()
            variables = {"cartId": cart_id, "token": "pm_card_visa", "key": uuid.uuid4().hex}
            done = (await _post(client, CHECKOUT, variables, token))["checkoutComplete"]
            return done, time.perf_counter() - started

        outcomes = await asyncio.gather(
            *(shopper(t, d) for t, d in zip(tokens, demands, strict=True))
        )

    sold: Counter[str] = Counter()
    failures: Counter[str] = Counter()
    for (outcome, _), demand in zip(outcomes, demands, strict=True):
        if outcome["__typename"] == "CheckoutCompleteSuccess":
            order = outcome["order"]
            assert order["status"] == "PAID", order
            bought = {item["sku"]: item["quantity"] for item in order["lines"]}
            assert bought == demand, f"seed {seed}: asked {demand}, got {bought}"
            sold.update(bought)
            continue
        assert outcome["__typename"] == "CheckoutCompleteError", outcome
        failures[outcome["code"]] += 1
        assert outcome["code"] == "INSUFFICIENT_STOCK", f"seed {seed}: {outcome}"
        assert outcome["sku"] in demand, outcome
        assert outcome["requested"] == demand[outcome["sku"]], outcome
        assert outcome["available"] < outcome["requested"], outcome
        assert outcome["placedOrder"] is None, outcome

    # exactly the units that exist are sold (80 single-unit shoppers guarantee a sell-out)
    assert dict(sold) == UNITS, f"seed {seed}: sold {dict(sold)}, failures {dict(failures)}"
    assert sum(failures.values()) + sum(1 for o, _ in outcomes if "order" in o) == SHOPPERS

    # the books: no negative stock, and the order lines add up to the stock drop
    connection = await asyncpg.connect(shop_database)
    try:
        stock = {
            row["sku"]: row
            for row in await connection.fetch(
                "SELECT sku, on_hand, allocated FROM stock_items WHERE sku = ANY($1::text[])",
                list(UNITS),
            )
        }
        lines = {
            row["sku"]: int(row["units"])
            for row in await connection.fetch(
                "SELECT l.sku, sum(l.quantity) AS units FROM order_lines l "
                "JOIN orders o ON o.id = l.order_id "
                "WHERE l.sku = ANY($1::text[]) AND o.status <> 'CANCELLED' GROUP BY l.sku",
                list(UNITS),
            )
        }
        holds = await connection.fetchval(
            "SELECT count(*) FROM stock_reservations WHERE sku = ANY($1::text[]) "
            "AND released_at IS NULL",
            list(UNITS),
        )
    finally:
        await connection.close()
    for sku, units in UNITS.items():
        assert stock[sku]["on_hand"] == units
        assert 0 <= stock[sku]["allocated"] <= stock[sku]["on_hand"]
        assert stock[sku]["on_hand"] - stock[sku]["allocated"] == 0  # none left, none negative
        assert lines[sku] == stock[sku]["allocated"] == units  # order lines == stock drop
    assert holds == 0
    latencies = sorted(seconds for _, seconds in outcomes)
    print(
        f"seed {seed}: {SHOPPERS} checkouts, {sum(failures.values())} INSUFFICIENT_STOCK, "
        f"slowest {latencies[-1]:.2f} s"
    )
