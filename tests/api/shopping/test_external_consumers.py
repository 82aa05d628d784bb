"""VITRINE_CONSUMERS=external: the API process only publishes; a ``vitrine consumers``
process (here: ``run_consumers`` on services of its own) follows the events over Redis."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from datasources.events import Topic
from datasources.events.redis_bus import RedisEventBus
from gateway.app import create_app
from gateway.bootstrap import Services, build_services, provision
from gateway.consumers import run_consumers
from gateway.settings import Settings
from tests.api.shopping.conftest import STOCK_PER_SKU, StaticTokens, headers_for, stock_catalog
from tests.conftest import make_settings
from tests.support.moto_process import MotoProcess
from tests.support.shopping_api import INVENTORY_ADJUST, MERCHANT, adjustment, result_of

pytestmark = pytest.mark.integration

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
GUARD_SECONDS = 20  # only keeps a broken test from hanging; nothing asserts on time


@pytest.fixture
async def redis_url() -> str:
    client = Redis.from_url(REDIS_URL)
    try:
        await client.ping()
    except Exception as error:
        pytest.skip(f"no Redis at {REDIS_URL}: {error}")
    finally:
        await client.aclose()
    return REDIS_URL


@pytest.fixture
async def api_and_consumers(
    moto: MotoProcess, shop_database: str, redis_url: str
) -> AsyncIterator[tuple[Settings, Services, Services]]:
    """An API process's services with external consumers, and a consumers process's, sharing
    the table, the database and a Redis channel prefix of their own."""
    api_settings = make_settings(
        moto.endpoint_url,
        DATABASE_URL=shop_database,
        REDIS_URL=redis_url,
        VITRINE_CONSUMERS="external",
        VITRINE_EVENT_CHANNEL_PREFIX=f"test-consumers-{uuid.uuid4().hex[:8]}:",
        VITRINE_RESPONSE_CACHE=False,
    )
    shared = {
        "VITRINE_CATALOG_TABLE": api_settings.catalog_table,
        "VITRINE_ASSET_BUCKET": api_settings.asset_bucket,
        "VITRINE_SEARCH_INDEX_DIR": str(api_settings.search_index_path()),
    }
    consumer_settings = make_settings(
        moto.endpoint_url,
        DATABASE_URL=shop_database,
        REDIS_URL=redis_url,
        VITRINE_EVENT_CHANNEL_PREFIX=api_settings.event_channel_prefix,
        **shared,
    )
    api = dataclasses.replace(build_services(api_settings), tokens=StaticTokens())
    await provision(api)
    await stock_catalog(api)
    consumers = build_services(consumer_settings)
    yield api_settings, api, consumers
    await consumers.close()


async def test_the_consumers_process_projects_what_the_api_process_published(
    api_and_consumers: tuple[Settings, Services, Services],
) -> None:
    settings, api, consumers = api_and_consumers
    stop = asyncio.Event()
    consumer_task = asyncio.create_task(run_consumers(consumers, stop))
    app = create_app(settings, api)
    try:
        async with app.router.lifespan_context(app), asyncio.timeout(GUARD_SECONDS):
            # given the consumers process subscribed to inventory events
            assert isinstance(api.events, RedisEventBus)
            assert isinstance(consumers.events, RedisEventBus)
            while True:
                if consumers.events.subscribers_of(Topic.INVENTORY_CHANGED) > 0:
                    break
                await asyncio.sleep(0.02)

            # when a merchant adjusts a SKU's stock through the API process
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as http:
                response = await http.post(
                    "/graphql",
                    json={
                        "query": INVENTORY_ADJUST,
                        "variables": adjustment("prod-002", "SKU-002-G", 9),
                    },
                    headers=headers_for(MERCHANT),
                )
            body: dict[str, Any] = response.json()
            assert result_of(body["data"], "inventoryAdjust")["__typename"] == (
                "InventoryAdjustSuccess"
            ), body

            # then the consumers process writes the catalog's availability counter
            while True:
                [counter] = await api.catalog.stock_by_skus(["SKU-002-G"])
                if counter is not None and counter.quantity_available == STOCK_PER_SKU + 9:
                    break
                await asyncio.sleep(0.05)
            # and the API process never subscribed to the events it published
            assert api.events.subscribers_of(Topic.INVENTORY_CHANGED) == 0
    finally:
        stop.set()
        await consumer_task


def test_external_consumers_need_redis(moto: MotoProcess) -> None:
    with pytest.raises(ValueError, match="VITRINE_CONSUMERS=external needs REDIS_URL"):
        make_settings(moto.endpoint_url, VITRINE_CONSUMERS="external")
