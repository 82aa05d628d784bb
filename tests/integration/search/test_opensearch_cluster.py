"""The shared behaviour suite against a real OpenSearch cluster (OPENSEARCH_URL)."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from datasources.ports import ProductSearch
from datasources.search.opensearch_engine import OpenSearchSearch
from tests.integration.search.behaviour import BEHAVIOUR
from tests.integration.search.demo_documents import demo_documents

URL = os.environ.get("OPENSEARCH_URL")
pytestmark = pytest.mark.skipif(
    URL is None,
    reason="OPENSEARCH_URL is not set: no OpenSearch cluster can run on these machines",
)


@pytest.fixture(scope="module")
async def loaded() -> AsyncIterator[OpenSearchSearch]:
    assert URL is not None
    alias = f"vitrine-test-{uuid.uuid4().hex[:8]}"
    engine = OpenSearchSearch.connect(URL, alias)
    await engine.create_index(f"{alias}-1")
    await engine.bulk_load(f"{alias}-1", demo_documents())
    await engine.switch_alias(f"{alias}-1")
    yield engine
    await engine._client.indices.delete(index=f"{alias}-1")
    await engine.close()


@pytest.mark.parametrize("check", BEHAVIOUR, ids=lambda c: c.__name__)
async def test_behaviour(
    loaded: OpenSearchSearch, check: Callable[[ProductSearch], Awaitable[None]]
) -> None:
    await check(loaded)
