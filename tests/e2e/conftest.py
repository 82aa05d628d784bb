"""A real gateway on a loopback port (uvicorn in a thread) for browser and client tests; the
storefront's is ready when its first search index is built."""

from __future__ import annotations

import asyncio
import shutil
import threading
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import uvicorn
from playwright.async_api import (
    Browser,
    BrowserContext,
    Page,
    Route,
    WebSocketRoute,
    async_playwright,
)

from client_examples.python.buy import cognito_sign_in
from datasources.ports import EventBus
from gateway import seed
from gateway.app import create_app
from gateway.auth import API_KEY_HEADER
from gateway.bootstrap import Services, build_services, provision
from gateway.demo_products import DEMO_PRODUCTS
from gateway.local_cognito import create_demo_pool, demo_user
from gateway.local_stack.scratch_databases import scratch_database
from gateway.settings import Settings
from tests.api.conftest import load_catalog
from tests.conftest import SEARCH_ROOT, make_settings
from tests.support.moto_process import MotoProcess, free_port

ARTIFACTS = Path(__file__).parents[1] / "artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--headless", "--disable-quic", "--no-first-run"]
RESTART = 1012  # WebSocket close code "Service Restart": clients reconnect
# a sofa with three velvet variants; 3 vases in stock; two more sofas & chairs for search facets
SHOWN = ("harbor-sofa", "amber-bud-vase", "nook-loveseat", "lounge-armchair")


class RestartableGateway:
    """A gateway over ``settings`` on one loopback port that can be stopped and started again,
    as a deploy restarts it: each start builds its own services (and event bus), each stop
    gives open streams ``grace_seconds`` before their connections are cut. It keeps a search
    index of its own, apart from any other gateway on the same settings."""

    def __init__(self, settings: Settings, grace_seconds: int = 1) -> None:
        index = SEARCH_ROOT / f"restartable-{uuid.uuid4().hex[:8]}"
        self.settings = settings.model_copy(update={"search_index_dir": index})
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.services: Services | None = None
        self._grace = grace_seconds
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def subscribers(self) -> int:
        """Subscribers on the running gateway's event bus."""
        assert self.services is not None
        count: int = self.services.events.subscriber_count  # type: ignore[attr-defined]
        return count

    async def start(self) -> None:
        """Serve on the port (again)."""
        self.services = build_services(self.settings)
        app = create_app(self.settings, self.services)
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            timeout_graceful_shutdown=self._grace,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        await asyncio.to_thread(_wait_started, self._server)
        assert self._server.started, "the gateway did not start"

    async def stop(self) -> None:
        """Stop serving: open connections are cut after the grace period."""
        assert self._server is not None
        assert self._thread is not None
        self._server.should_exit = True
        await asyncio.to_thread(self._thread.join, 20)
        assert not self._thread.is_alive(), "the gateway did not stop"


def _wait_started(server: uvicorn.Server, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)


@pytest.fixture
async def gateway_url(settings: Settings, services: Services) -> AsyncIterator[str]:
    await load_catalog(services, 12)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings, services), host="127.0.0.1", port=port, log_level="warning"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    await asyncio.to_thread(_wait_started, server)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


async def _wait_indexed(url: str, api_key: str) -> None:
    """Wait (bounded) until the gateway's background indexer has built the first search index;
    polled with the cheap suggestions query so the API key's cost bucket stays full."""
    query = 'query Ready { searchSuggestions(prefix: "harb", first: 1) { text } }'
    async with httpx.AsyncClient(timeout=10) as http:
        for _ in range(200):
            body = (
                await http.post(
                    f"{url}/graphql", json={"query": query}, headers={API_KEY_HEADER: api_key}
                )
            ).json()
            if (body.get("data") or {}).get("searchSuggestions"):
                return
            await asyncio.sleep(0.1)
    raise AssertionError(f"the search index was not built: {body}")


def chromium_or_skip() -> str:
    """Debian's Chromium, or skip with the reason."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed (make test installs Debian's chromium as root)")
    return CHROMIUM


@dataclass(frozen=True)
class Storefront:
    """A real gateway serving the storefront over moto, PostgreSQL and demo models."""

    url: str
    moto_url: str
    settings: Settings
    events: EventBus
    """The gateway's event bus (its subscribers are counted by the live tests)."""


@pytest.fixture(scope="module")
def demo_subset() -> Iterator[None]:
    """Seed only the products the journeys use (building all 30 models takes a while)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(seed, "DEMO_PRODUCTS", tuple(p for p in DEMO_PRODUCTS if p.recipe in SHOWN))
        yield


@pytest.fixture(scope="module")
def storefront_environment() -> dict[str, str]:
    """Settings a test module adds to its storefront's gateway (none here; override it)."""
    return {}


@pytest.fixture(scope="module")
async def storefront(
    moto: MotoProcess,
    shopping_server_url: str,
    demo_subset: None,
    storefront_environment: dict[str, str],
) -> AsyncIterator[Storefront]:
    pool = create_demo_pool(
        moto.endpoint_url,
        "us-east-1",
        credentials={"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"},
        pool_name=f"storefront-{uuid.uuid4().hex[:6]}",
    )
    suffix = uuid.uuid4().hex[:6]
    async with scratch_database(shopping_server_url, "vitrine_storefront") as database_url:
        settings = make_settings(
            moto.endpoint_url,
            DATABASE_URL=database_url,
            VITRINE_STOREFRONT="true",
            VITRINE_RENDER_QUEUE=f"storefront-jobs-{suffix}",
            VITRINE_RENDER_DLQ=f"storefront-jobs-{suffix}-dlq",
            VITRINE_WORKER_WAIT_SECONDS=1,
            **pool.environment(),
            **storefront_environment,
        )
        services = build_services(settings)
        await provision(services)
        await seed.seed_demo_catalog(services, only_if_empty=False)
        await services.close()  # the server thread's loop opens its own connections
        port = free_port()
        server = uvicorn.Server(
            uvicorn.Config(
                create_app(settings, services), host="127.0.0.1", port=port, log_level="warning"
            )
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        await asyncio.to_thread(_wait_started, server)
        url = f"http://127.0.0.1:{port}"
        await _wait_indexed(url, settings.api_keys[0].get_secret_value())
        yield Storefront(
            url=url, moto_url=moto.endpoint_url, settings=settings, events=services.events
        )
        server.should_exit = True
        await asyncio.to_thread(thread.join, 10)


async def sign_in_token(storefront: Storefront, role: str) -> str:
    """An access token of the demo user playing ``role``, from the local Cognito pool."""
    user = demo_user(role)
    client_id = storefront.settings.cognito_app_client_ids[0]
    return await asyncio.to_thread(
        cognito_sign_in, storefront.moto_url, client_id, user.username, user.password
    )


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    executable = chromium_or_skip()
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        await launched.close()


@dataclass
class Visitor:
    """A fresh browser profile that may reach only the gateway and moto; ``outside`` lists
    what it tried to reach beyond them."""

    context: BrowserContext
    page: Page
    outside: list[str] = field(default_factory=list)


Visit = Callable[[], Awaitable[Visitor]]


@pytest.fixture
async def visit(browser: Browser, storefront: Storefront) -> AsyncIterator[Visit]:
    """Opens visitors (each a fresh profile, empty localStorage); closed after the test."""
    contexts: list[BrowserContext] = []

    async def open_visitor() -> Visitor:
        context = await browser.new_context(viewport={"width": 1280, "height": 800})
        contexts.append(context)
        visitor = Visitor(context, await context.new_page())

        async def only_local(route: Route) -> None:
            url = route.request.url
            if url.startswith((storefront.url, storefront.moto_url)):
                await route.continue_()
            else:
                visitor.outside.append(url)
                await route.abort()

        await visitor.page.route("**/*", only_local)
        return visitor

    yield open_visitor
    for context in contexts:
        await context.close()


class SocketSwitch:
    """Sits between a page and the gateway on every WebSocket: ``cut()`` drops the latest
    connection as a restarting gateway would, and after ``hold_next()`` the page's next
    connection is held (never reaches the server: no ack, no events) until ``release()``."""

    def __init__(self) -> None:
        self.sockets: list[tuple[WebSocketRoute, WebSocketRoute]] = []
        self.held: list[WebSocketRoute] = []
        self._hold = False

    async def attach(self, page: Page) -> None:
        """Route ``page``'s GraphQL WebSockets through the switch."""
        await page.route_web_socket("**/graphql", self._route)

    def _route(self, ws: WebSocketRoute) -> None:
        if self._hold:
            self._hold = False
            self.held.append(ws)
        else:
            self.sockets.append((ws, ws.connect_to_server()))

    def hold_next(self) -> None:
        """Hold the page's next connection."""
        self._hold = True

    async def cut(self) -> None:
        """Close the latest connection on both sides (code 1012, as a gateway restart)."""
        page_side, server_side = self.sockets[-1]
        await page_side.close(code=RESTART, reason="gateway restart")
        await server_side.close(code=RESTART, reason="gateway restart")

    async def wait_held(self) -> None:
        """Wait (bounded) until the page has tried to reconnect and is held."""
        async with asyncio.timeout(30):
            while not self.held:  # noqa: ASYNC110
                await asyncio.sleep(0.05)

    async def release(self) -> None:
        """Give up the held connection, so that the page connects again."""
        await self.held[-1].close(code=RESTART, reason="gateway restart")
