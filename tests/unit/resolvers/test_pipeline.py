"""The pipeline resolver kit on a tiny schema: order, stash, prev, caching, declarations."""

from __future__ import annotations

from typing import Any

import pytest
import strawberry

from datasources.cache.in_process import InProcessCache
from datasources.loaders import Loaders
from resolvers.context import Context, DataSources, Identity
from resolvers.kit import CachePolicy, DataSource, Pipeline, Run, uses
from tests.fakes.blobs import FakeBlobStore
from tests.fakes.catalog import FakeAssetUrls, FakeCatalog

calls: list[str] = []


@uses(DataSource.NONE)
async def before(run: Run[Any, Any]) -> str:
    run.stash["greeting"] = "hello"
    calls.append("before")
    return "ignored"


@uses(DataSource.CATALOG)
async def fetch(run: Run[Any, str]) -> str:
    calls.append("fetch")
    return f"{run.stash.get('greeting', 'hi')} {run.arguments} via {run.info.parent_type_name}.{run.info.field_name}"


@uses(DataSource.NONE)
async def after(run: Run[Any, Any]) -> str:
    calls.append("after")
    return str(run.prev).upper()


@strawberry.type
class Query:
    @strawberry.field(extensions=[Pipeline(fetch, before=before, after=after)])
    def greet(self, name: str) -> str:
        return name

    @strawberry.field(extensions=[Pipeline(fetch, cache=CachePolicy(ttl_seconds=60, decode=str))])
    def cached_greet(self, name: str) -> str:
        return name


def context(caching: bool = True, cache: InProcessCache | None = None) -> Context:
    catalog = FakeCatalog()
    sources = DataSources(
        catalog=catalog,
        blobs=FakeBlobStore(),
        asset_urls=FakeAssetUrls(),
        cache=cache or InProcessCache(),
    )
    return Context(
        request_id="r",
        identity=Identity.anonymous(),
        sources=sources,
        loaders=Loaders.for_request(catalog),
        caching=caching,
    )


SCHEMA = strawberry.Schema(query=Query)


async def test_steps_run_in_order_sharing_stash_and_prev() -> None:
    calls.clear()
    result = await SCHEMA.execute('{ greet(name: "ada") }', context_value=context())
    assert result.errors is None
    assert result.data == {"greet": "HELLO ADA VIA QUERY.GREET"}
    assert calls == ["before", "fetch", "after"]


async def test_cache_policy_serves_the_second_call_from_cache() -> None:
    calls.clear()
    cache = InProcessCache()
    fetch_free = '{ cachedGreet(name: "bo") }'
    first = await SCHEMA.execute(fetch_free, context_value=context(cache=cache))
    again = await SCHEMA.execute(fetch_free, context_value=context(cache=cache))
    other = await SCHEMA.execute('{ cachedGreet(name: "cy") }', context_value=context(cache=cache))
    uncached = await SCHEMA.execute(fetch_free, context_value=context(caching=False, cache=cache))
    assert first.errors is None
    assert again.errors is None
    assert uncached.errors is None
    assert again.data == first.data
    assert other.data is not None
    assert other.errors is None
    assert calls == ["fetch", "fetch", "fetch"]


def test_steps_must_declare_their_data_sources() -> None:
    async def undeclared(run: Run[Any, Any]) -> None:
        return None

    with pytest.raises(TypeError, match="does not declare its data sources"):
        Pipeline(undeclared)


def test_pipeline_reports_its_data_sources() -> None:
    pipeline = Pipeline(fetch, before=before, cache=CachePolicy(ttl_seconds=1, decode=str))
    assert pipeline.data_sources == (DataSource.NONE, DataSource.CATALOG, DataSource.RESOLVER_CACHE)
