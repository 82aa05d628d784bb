"""The demo catalog, loaded into moto and read back through the real adapters."""

from __future__ import annotations

import pytest

from datasources.records import ProductFilter, ProductPageRequest, ProductSort
from datasources.search.records import SearchRequest
from gateway.bootstrap import Services
from gateway.seed import seed_demo_catalog
from render_jobs.gltf_stats import compute_stats

pytestmark = pytest.mark.integration


async def test_demo_catalog_loads_once_with_models_that_match_their_records(
    services: Services,
) -> None:
    # when seeding twice
    progress: list[tuple[int, int]] = []
    report = await seed_demo_catalog(
        services, on_progress=lambda done, total, _: progress.append((done, total))
    )
    again = await seed_demo_catalog(services)
    # then 30 products are written once, with progress reported to the end
    assert (report.products, report.assets, report.skipped) == (30, 30, False)
    assert again.skipped is True
    assert progress[-1] == (30, 30)
    # and the catalog was indexed for search once (the second run keeps the live index)
    assert (report.indexed, again.indexed) == (30, None)
    assert services.search is not None
    found = await services.search.search(SearchRequest(query="harbor sofa", first=1))
    assert [h.product_id for h in found.hits] == ["demo-harbor-sofa"]
    page = await services.catalog.list_products(
        ProductPageRequest(filter=ProductFilter(), sort=ProductSort.NAME_ASC, first=100)
    )
    assert page.total_count == 30
    categories = {c.id: c for c in await services.catalog.all_categories()}
    assert {p.category_path[0] for p in page.items} == {
        "furniture",
        "lighting",
        "decor",
        "gadgets",
        "fashion",
    }
    assert all(categories[p.category_id].name for p in page.items)
    # and the sofa's colour variants are the glTF material variants of its stored model
    sofa = await services.catalog.product_by_slug("harbor-sofa")
    assert sofa is not None
    [asset] = await services.catalog.assets_by_ids(list(sofa.asset_ids))
    assert asset is not None
    glb = await services.blobs.get(asset.sources[0].key)
    stats = compute_stats(glb)
    assert stats.triangle_count == asset.triangle_count
    assert stats.byte_size == len(glb)
    colours = [v.option("colour") for v in sofa.variants]
    assert colours == list(stats.variant_names)
    assert [m.option_value for m in asset.material_variants] == colours
    assert await services.blobs.exists(asset.poster_key or "")
