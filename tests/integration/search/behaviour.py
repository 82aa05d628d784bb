"""The behaviour every ``ProductSearch`` adapter must show over the demo catalog.

Each check takes a loaded engine (the demo documents live behind the alias); the tantivy
suite runs them always, the OpenSearch suite when ``OPENSEARCH_URL`` names a cluster.
"""

from __future__ import annotations

import pytest

from datasources.errors import InvalidCursor, InvalidSearchQuery
from datasources.ports import ProductSearch
from datasources.records import Dimensions
from datasources.search.records import (
    MAX_QUERY_CHARS,
    SearchFilters,
    SearchRequest,
    SearchSort,
    SuggestionKind,
)


async def name_match_ranks_first(engine: ProductSearch) -> None:
    page = await engine.search(SearchRequest(query="sofa"))
    assert page.hits[0].product_id == "demo-harbor-sofa"
    assert page.corrected_query is None
    assert {h.field for h in page.hits[0].highlights} == {"name", "description"}
    assert "<em>Sofa</em>" in page.hits[0].highlights[0].fragments[0]


async def every_word_must_match(engine: ProductSearch) -> None:
    page = await engine.search(SearchRequest(query="velvet sofa"))
    assert [h.product_id for h in page.hits] == ["demo-harbor-sofa"]
    assert page.total == 1


async def typo_is_corrected(engine: ProductSearch) -> None:
    page = await engine.search(SearchRequest(query="leathr armchair"))
    assert page.corrected_query == "leather armchair"
    assert page.hits[0].product_id == "demo-lounge-armchair"


async def syntax_characters_are_words(engine: ProductSearch) -> None:
    for query in ('"brass" lamp:', "(lamp) AND [brass]*", "lamp OR", "brass~2 lamp^9 -"):
        page = await engine.search(SearchRequest(query=query))
        assert "demo-arc-floor-lamp" in {h.product_id for h in page.hits}, query
    exact = await engine.search(SearchRequest(query='"brass" lamp:'))
    assert exact.total == 1
    # no words at all: a browse of everything, not a match-all written in query syntax
    match_all = await engine.search(SearchRequest(query="*:* ()"))
    assert match_all.total == 30


async def filters_narrow_and_facets_count_the_filtered_set(engine: ProductSearch) -> None:
    filters = SearchFilters(category_ids=("lighting",), max_price=20_000)
    page = await engine.search(SearchRequest(query="lamp", filters=filters))
    assert sorted(h.product_id for h in page.hits) == ["demo-bedside-lamp", "demo-ginger-jar-lamp"]
    assert page.total == 2
    assert [(f.value, f.count) for f in page.facets.brand] == [("Lumio", 2)]
    assert sum(b.count for b in page.facets.price_histogram) == 2


async def fits_within_and_flags(engine: ProductSearch) -> None:
    small = SearchFilters(fits_within=Dimensions(width=0.2, depth=0.2, height=0.3))
    page = await engine.search(SearchRequest(filters=small, first=50))
    assert sorted(h.product_id for h in page.hits) == [
        "demo-amber-bud-vase",
        "demo-over-ear-headphones",
        "demo-phone-stand",
        "demo-wayfarer-sunglasses",
    ]
    in_stock = await engine.search(SearchRequest(filters=SearchFilters(in_stock=True), first=50))
    out = await engine.search(SearchRequest(filters=SearchFilters(in_stock=False), first=50))
    assert in_stock.total + out.total == 30
    brand = SearchFilters(brands=("Lumio",), colours=("Sage Ceramic",))
    page = await engine.search(SearchRequest(filters=brand))
    assert [h.product_id for h in page.hits] == ["demo-ginger-jar-lamp"]


async def sorts_by_price_and_pages_with_cursors(engine: ProductSearch) -> None:
    seen: list[str] = []
    after: str | None = None
    pages = 0
    while True:
        request = SearchRequest(sort=SearchSort.PRICE_ASC, first=7, after=after)
        page = await engine.search(request)
        seen += [h.product_id for h in page.hits]
        pages += 1
        if page.next_cursor is None:
            break
        after = page.next_cursor
    assert pages == 5
    assert len(seen) == len(set(seen)) == 30
    assert seen[0] == "demo-herb-pot"
    assert seen[-1] == "demo-harbor-sofa"
    newest = await engine.search(SearchRequest(sort=SearchSort.NEWEST, first=1))
    assert newest.hits[0].product_id == "demo-wayfarer-sunglasses"


async def bad_input_is_refused(engine: ProductSearch) -> None:
    with pytest.raises(InvalidSearchQuery, match="more than 200"):
        await engine.search(SearchRequest(query="x" * (MAX_QUERY_CHARS + 1)))
    with pytest.raises(InvalidSearchQuery, match="above"):
        await engine.search(SearchRequest(filters=SearchFilters(min_price=500, max_price=100)))
    with pytest.raises(InvalidCursor):
        await engine.search(SearchRequest(after="not-a-cursor"))
    first = await engine.search(SearchRequest(query="lamp", first=1))
    with pytest.raises(InvalidCursor, match="another query"):
        await engine.search(SearchRequest(query="sofa", after=first.next_cursor))


async def suggestions_complete_brands_and_names(engine: ProductSearch) -> None:
    found = await engine.suggest("lu", 5)
    assert [(s.text, s.kind) for s in found] == [("Lumio", SuggestionKind.BRAND)]
    found = await engine.suggest("floor la", 5)
    assert [s.product_id for s in found] == ["demo-arc-floor-lamp"]
    assert await engine.suggest("   ", 5) == ()


BEHAVIOUR = (
    name_match_ranks_first,
    every_word_must_match,
    typo_is_corrected,
    syntax_characters_are_words,
    filters_narrow_and_facets_count_the_filtered_set,
    fits_within_and_flags,
    sorts_by_price_and_pages_with_cursors,
    bad_input_is_refused,
    suggestions_complete_brands_and_names,
)
