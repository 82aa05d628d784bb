"""Ranking quality of the embedded engine on the judged demo queries (mean reciprocal rank).

The threshold: with 18 queries, MRR >= 0.85 allows about two queries whose right answer is
second instead of first, or one that misses the top 10 entirely; anything worse means a
ranking change made the demo catalog visibly worse and must be looked at.
"""

from __future__ import annotations

from datasources.search.records import SearchRequest
from datasources.search.tantivy_engine import TantivySearch
from tests.integration.search.demo_documents import demo_documents
from tests.integration.search.judgements import JUDGEMENTS

MRR_THRESHOLD = 0.85


async def test_mean_reciprocal_rank_of_the_judged_queries() -> None:
    # given the demo catalog indexed
    engine = TantivySearch()
    await engine.create_index("judged")
    await engine.bulk_load("judged", demo_documents())
    await engine.switch_alias("judged")
    # when every judged query runs
    ranks: dict[str, int | None] = {}
    for query, wanted in JUDGEMENTS:
        page = await engine.search(SearchRequest(query=query, first=10))
        ids = [h.product_id for h in page.hits]
        ranks[query] = next((i + 1 for i, pid in enumerate(ids) if pid in wanted), None)
    # then the right products come first often enough
    mrr = sum(0 if r is None else 1 / r for r in ranks.values()) / len(JUDGEMENTS)
    assert mrr >= MRR_THRESHOLD, ranks
    assert ranks["sofa"] == 1
    assert ranks["sunglases"] == 1  # a typo still finds the product


async def test_each_judged_query_rank_is_reported() -> None:
    # a finer view than the mean: how many judged queries put a right product first
    engine = TantivySearch()
    await engine.create_index("judged-ranks")
    await engine.bulk_load("judged-ranks", demo_documents())
    await engine.switch_alias("judged-ranks")
    firsts = 0
    for query, wanted in JUDGEMENTS:
        page = await engine.search(SearchRequest(query=query, first=1))
        firsts += bool(page.hits) and page.hits[0].product_id in wanted
    assert firsts >= len(JUDGEMENTS) - 2
