"""The embedded engine against the shared behaviour suite, plus its own index handling."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path

import pytest

from datasources.errors import InvalidSearchQuery, SearchIndexMissing
from datasources.ports import ProductSearch
from datasources.search.records import SearchRequest
from datasources.search.tantivy_engine import TantivySearch
from tests.integration.search.behaviour import BEHAVIOUR
from tests.integration.search.demo_documents import demo_documents


@pytest.fixture(scope="module")
async def loaded() -> TantivySearch:
    engine = TantivySearch()
    await engine.create_index("demo-1")
    await engine.bulk_load("demo-1", demo_documents())
    await engine.switch_alias("demo-1")
    return engine


@pytest.mark.parametrize("check", BEHAVIOUR, ids=lambda c: c.__name__)
async def test_behaviour(
    loaded: TantivySearch, check: Callable[[ProductSearch], Awaitable[None]]
) -> None:
    await check(loaded)


async def test_search_before_any_index_is_live_says_how_to_build_one() -> None:
    engine = TantivySearch()
    with pytest.raises(SearchIndexMissing, match="vitrine search reindex"):
        await engine.search(SearchRequest(query="sofa"))


async def test_upsert_and_delete_change_results_and_reindex_switches_alias(tmp_path: Path) -> None:
    # given a directory index with the demo catalog
    documents = demo_documents()
    engine = TantivySearch(tmp_path, alias="products")
    await engine.create_index("v1")
    await engine.bulk_load("v1", documents)
    await engine.switch_alias("v1")
    sofa = next(d for d in documents if d.product_id == "demo-harbor-sofa")
    # when the sofa is renamed and the loveseat deleted
    await engine.index([replace(sofa, name="Harbor Chesterfield")])
    await engine.delete(["demo-nook-loveseat"])
    # then search sees both changes
    chesterfield = await engine.search(SearchRequest(query="chesterfield"))
    assert [h.product_id for h in chesterfield.hits] == ["demo-harbor-sofa"]
    sofas = await engine.search(SearchRequest(query="loveseat"))
    assert sofas.total == 0
    # when a new index is built and switched in by another engine on the same directory
    other = TantivySearch(tmp_path, alias="products")
    await other.create_index("v2")
    await other.bulk_load("v2", documents[:3])
    assert await other.switch_alias("v2") == "v1"
    # then the first engine reads the new index, and the old one can be dropped
    page = await engine.search(SearchRequest(first=50))
    assert page.total == 3
    assert await engine.live_index() == "v2"
    await other.drop_index("v1")
    assert not (tmp_path / "v1").exists()
    with pytest.raises(ValueError, match="live"):
        await other.drop_index("v2")


async def test_similar_ranks_same_category_and_brand_first_and_leaves_out_the_product(
    loaded: TantivySearch,
) -> None:
    # given the demo catalog indexed
    # when asking for products like the sofa and like the dome pendant
    sofa = await loaded.similar("demo-harbor-sofa", 3)
    lamp = await loaded.similar("demo-dome-pendant", 3)
    # then the loveseat (same brand and category) leads, lamps follow the lamp
    assert sofa[0].product_id == "demo-nook-loveseat"
    assert "demo-harbor-sofa" not in [h.product_id for h in sofa]
    assert [h.product_id for h in lamp] == [
        "demo-arc-floor-lamp",
        "demo-ginger-jar-lamp",
        "demo-bedside-lamp",
    ]
    assert sofa[0].score > sofa[-1].score > 0


async def test_similar_to_an_unindexed_product_is_empty_and_bad_first_is_refused(
    loaded: TantivySearch,
) -> None:
    assert await loaded.similar("no-such-product", 5) == ()
    with pytest.raises(InvalidSearchQuery, match="first must be between 1 and 100"):
        await loaded.similar("demo-harbor-sofa", 0)
