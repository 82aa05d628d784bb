"""A request past VITRINE_REQUEST_TIMEOUT_SECONDS is answered with RequestTimeout, and the
data-source calls it was waiting on are cancelled (counted, not timed)."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import pytest

from datasources.records import ProductRecord
from gateway.bootstrap import Services
from gateway.settings import Settings
from tests.api.conftest import API_KEY
from tests.api.test_limits import client_for, with_settings

pytestmark = pytest.mark.integration


class StalledCatalog:
    """The real catalog, except that ``product_by_slug`` never answers: it waits until it is
    cancelled, and counts the calls that started and the ones that were cancelled."""

    def __init__(self, catalog: Any) -> None:
        self._catalog = catalog
        self.started = 0
        self.cancelled = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._catalog, name)

    async def product_by_slug(self, slug: str) -> ProductRecord | None:
        self.started += 1
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            self.cancelled += 1
            raise
        raise AssertionError("unreachable: the event is never set")


async def test_timeout_cancels_pending_data_source_calls(
    api_services: tuple[Settings, Services],
) -> None:
    # given a gateway with a short timeout whose catalog stalls on slug lookups
    base, services = api_services
    stalled = StalledCatalog(services.catalog)
    settings = with_settings(
        base, VITRINE_REQUEST_TIMEOUT_SECONDS=0.2, VITRINE_RESOLVER_CACHE=False
    )
    slow = dataclasses.replace(services, catalog=stalled)
    query = '{ a: product(slug: "product-001") { id } b: product(slug: "product-002") { id } }'
    async with client_for(settings, slow) as http:
        # when a query waits on two such lookups at once
        response = await http.post("/graphql", json={"query": query}, headers=API_KEY)
    # then the first is answered with the typed timeout error, naming the limit
    body = response.json()
    assert response.status_code == 200
    assert body["data"] is None
    assert body["errors"] == [
        {
            "message": "The operation ran longer than the limit of 0.2 seconds and was cancelled.",
            "extensions": {"errorType": "RequestTimeout", "code": "REQUEST_TIMEOUT"},
        }
    ]
    # and both pending calls were cancelled, not left running
    assert stalled.started == 2
    assert stalled.cancelled == 2
