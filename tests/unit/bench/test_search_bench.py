"""The search benchmark's generated catalog and its verdicts."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from bench.search import SearchBench, Timing, generated_product, render_search
from tests import factories


def test_generated_products_are_new_products_with_scaled_prices() -> None:
    # given a catalog product
    source = factories.product(4)
    # when two copies are generated from it
    rng = random.Random(1)
    first, second = generated_product(source, 0, rng), generated_product(source, 1, rng)
    # then each has its own id, slug and SKUs, and prices between 60% and 180% of the source
    assert len({source.id, first.id, second.id}) == 3
    assert len({source.slug, first.slug, second.slug}) == 3
    skus = {v.sku for p in (source, first, second) for v in p.variants}
    assert len(skus) == 3 * len(source.variants)
    for copy in (first, second):
        for variant, original in zip(copy.variants, source.variants, strict=True):
            assert variant.price.currency == original.price.currency
            assert 0.6 * original.price.amount <= variant.price.amount < 1.8 * original.price.amount


def _timing(path: str, p99: float) -> Timing:
    return Timing("search", path, 100, 0, p99 / 2, p99, 50.0)


def test_the_report_judges_the_single_client_gateway_p99_and_the_indexing_rate() -> None:
    # given a run whose engine is fast and whose gateway p99 at one client is 25 ms
    bench = SearchBench(
        products=100_000,
        seed_seconds=90,
        documents=100_000,
        index_seconds=40,
        timings=[
            _timing("engine in-process, 1 caller", 3),
            _timing("gateway HTTP, 1 client(s)", 25),
            _timing("gateway HTTP, 8 client(s)", 60),
        ],
    )
    # when the report is written
    text = "\n".join(
        render_search(bench, ["--products", "100000"], datetime(2026, 11, 23, tzinfo=UTC))
    )
    # then indexing meets its target and search misses its own, naming the p99
    assert "100,000 in under 60 s: met (40.0 s for 100,000)" in text
    assert "(one client): missed; the slowest kind is 'search' at 25.0 ms" in text
