"""``recommendations`` through the real schema: tantivy over the demo catalog, real demo
models for shape descriptors, the in-memory order store for bought-together counts."""

from __future__ import annotations

from typing import Any

from datasources.shapes import ShapeDescriptor
from datasources.shopping_records import OrderStatus
from resolvers.global_ids import to_global_id
from tests.fakes.shopping import FakeShop
from tests.integration.recommendations.support import (
    MODELLED,
    paid_order,
    recommendations_client,
)

RECOMMEND = """
query Recommend($id: ID!, $intent: RecommendationIntent!, $first: Int = 8, $space: SpaceInput) {
  recommendations(productId: $id, intent: $intent, first: $first, space: $space) {
    score
    reason
    product { id slug }
  }
}
"""


def _gid(slug: str) -> str:
    return to_global_id("Product", f"demo-{slug}")


def _slugs(data: dict[str, Any] | None) -> list[str]:
    assert data is not None
    return [r["product"]["slug"] for r in data["recommendations"]]


async def test_related_finds_the_loveseat_for_the_sofa_and_says_why() -> None:
    client, _, _ = await recommendations_client()
    # when asking for products related to the sofa
    data, errors = await client.execute(
        RECOMMEND, {"id": _gid("harbor-sofa"), "intent": "RELATED", "first": 3}
    )
    # then the loveseat (same brand and category) comes first, the sofa itself never
    assert errors == []
    assert data is not None
    first = data["recommendations"][0]
    assert first == {
        "score": 1.0,
        "reason": "Same brand and category",
        "product": {"id": _gid("nook-loveseat"), "slug": "nook-loveseat"},
    }
    assert "harbor-sofa" not in _slugs(data)
    scores = [r["score"] for r in data["recommendations"]]
    assert scores == sorted(scores, reverse=True)
    assert len(scores) == 3


async def test_related_reason_names_shared_materials() -> None:
    client, _, _ = await recommendations_client()
    data, errors = await client.execute(
        RECOMMEND, {"id": _gid("dome-pendant"), "intent": "RELATED", "first": 1}
    )
    assert errors == []
    assert data is not None
    assert data["recommendations"][0]["product"]["slug"] == "arc-floor-lamp"
    assert data["recommendations"][0]["reason"] == ("Same brand and category, similar materials")


async def test_a_recommendations_query_costs_two_batched_catalog_reads() -> None:
    # given the demo catalog
    client, _, _ = await recommendations_client()
    # when asking for 8 related products, then 2
    big, big_errors = await client.execute(
        RECOMMEND, {"id": _gid("harbor-sofa"), "intent": "RELATED", "first": 8}
    )
    big_calls = dict(client.last_calls.calls)
    small, small_errors = await client.execute(
        RECOMMEND, {"id": _gid("harbor-sofa"), "intent": "RELATED", "first": 2}
    )
    small_calls = dict(client.last_calls.calls)
    # then each costs one read of the product and one batch of candidates, whatever its size
    assert (big_errors, small_errors) == ([], [])
    assert (len(_slugs(big)), len(_slugs(small))) == (8, 2)
    assert big_calls == small_calls == {"fake.products_by_ids": 2}


async def test_fits_space_keeps_products_that_fit_fullest_first() -> None:
    client, catalog, _ = await recommendations_client()
    space = {"width": 2.0, "depth": 1.0, "height": 0.9}
    # when asking what fits a 2.0 x 1.0 x 0.9 m alcove
    data, errors = await client.execute(
        RECOMMEND, {"id": _gid("harbor-sofa"), "intent": "FITS_SPACE", "space": space}
    )
    # then every product fits, the fullest first: the table, then the loveseat
    assert errors == []
    assert data is not None
    slugs = _slugs(data)
    assert slugs[:2] == ["long-table", "nook-loveseat"]
    fitting = sorted(
        (
            p
            for p in catalog.products.values()
            if p.slug != "harbor-sofa"
            and p.dimensions.width <= 2.0
            and p.dimensions.depth <= 1.0
            and p.dimensions.height <= 0.9
        ),
        key=lambda p: -p.dimensions.width * p.dimensions.depth * p.dimensions.height,
    )
    assert slugs == [p.slug for p in fitting][:8]
    table = data["recommendations"][0]
    assert table["score"] == round(1.8 * 0.9 * 0.75 / (2.0 * 1.0 * 0.9), 4)
    assert table["reason"] == (
        "1.8 x 0.9 x 0.75 m fits 2 x 1 x 0.9 m, fills 68% of it (spare W 0.2, D 0.1, H 0.15 m)"
    )


async def test_fits_space_in_the_same_category_only() -> None:
    client, _, _ = await recommendations_client()
    space = {"width": 2.0, "depth": 1.0, "height": 0.9, "sameCategory": True}
    data, errors = await client.execute(
        RECOMMEND, {"id": _gid("harbor-sofa"), "intent": "FITS_SPACE", "space": space}
    )
    assert errors == []
    assert _slugs(data) == ["nook-loveseat", "lounge-armchair"]


async def test_visually_similar_ranks_by_shape_and_caches_descriptors() -> None:
    # given six products with real demo models
    client, _, blobs = await recommendations_client()
    # when asking for shapes like the sofa
    data, errors = await client.execute(
        RECOMMEND, {"id": _gid("harbor-sofa"), "intent": "VISUALLY_SIMILAR", "first": 5}
    )
    # then the other modelled products come back, the boxy loveseat and table first
    assert errors == []
    slugs = _slugs(data)
    assert set(slugs) == set(MODELLED) - {"harbor-sofa"}
    assert set(slugs[:2]) == {"nook-loveseat", "long-table"}
    assert data is not None
    best = data["recommendations"][0]
    assert 0.9 < best["score"] <= 1.0
    assert best["reason"].startswith("Similar 3D shape (9")
    # and the descriptors were cached by content hash: the same answer without the models
    cached = await client.sources.cache.get("shape:v1:sha-harbor-sofa")
    assert cached is not None
    assert ShapeDescriptor.from_bytes(cached) is not None
    blobs.objects.clear()
    again, errors = await client.execute(
        RECOMMEND, {"id": _gid("harbor-sofa"), "intent": "VISUALLY_SIMILAR", "first": 5}
    )
    assert errors == []
    assert again == data


async def test_visually_similar_without_a_model_falls_back_to_related() -> None:
    client, _, _ = await recommendations_client()
    # the armchair has no model in this test catalog
    data, errors = await client.execute(
        RECOMMEND, {"id": _gid("lounge-armchair"), "intent": "VISUALLY_SIMILAR", "first": 2}
    )
    assert errors == []
    assert data is not None
    reasons = [r["reason"] for r in data["recommendations"]]
    assert len(reasons) == 2
    assert all(r.startswith("No 3D model to compare; ") for r in reasons)


async def test_complementary_counts_paid_and_fulfilled_orders_only() -> None:
    # given orders: sofa + lamp twice (paid, fulfilled), sofa + rug once, sofa + vase refunded
    shop = FakeShop()
    for number, products, status in (
        (1, ("demo-harbor-sofa", "demo-arc-floor-lamp"), OrderStatus.PAID),
        (2, ("demo-harbor-sofa", "demo-arc-floor-lamp", "demo-kilim-rug"), OrderStatus.FULFILLED),
        (3, ("demo-harbor-sofa", "demo-amphora-vase"), OrderStatus.REFUNDED),
        (4, ("demo-arc-floor-lamp", "demo-amphora-vase"), OrderStatus.PAID),
    ):
        order = paid_order(number, products, status)
        shop.orders[order.id] = order
    client, _, _ = await recommendations_client(shop=shop)
    # when asking what goes with the sofa
    data, errors = await client.execute(
        RECOMMEND, {"id": _gid("harbor-sofa"), "intent": "COMPLEMENTARY", "first": 2}
    )
    # then the lamp (2 orders) and the rug (1) come back with their counts
    assert errors == []
    assert data is not None
    assert [(r["product"]["slug"], r["score"], r["reason"]) for r in data["recommendations"]] == [
        ("arc-floor-lamp", 1.0, "Bought together in 2 orders"),
        ("kilim-rug", 0.5, "Bought together in 1 order"),
    ]


async def test_complementary_without_orders_recommends_related_from_other_categories() -> None:
    client, catalog, _ = await recommendations_client(with_orders=False)
    data, errors = await client.execute(
        RECOMMEND, {"id": _gid("harbor-sofa"), "intent": "COMPLEMENTARY", "first": 3}
    )
    assert errors == []
    assert data is not None
    found = data["recommendations"]
    assert len(found) == 3
    for item in found:
        product = catalog.products[f"demo-{item['product']['slug']}"]
        assert product.category_id != "sofas-chairs"
        assert item["reason"].startswith("No orders yet with this product; from another category")


async def test_trending_without_events_is_the_newest_in_the_department() -> None:
    client, catalog, _ = await recommendations_client()
    data, errors = await client.execute(
        RECOMMEND, {"id": _gid("dome-pendant"), "intent": "TRENDING", "first": 3}
    )
    assert errors == []
    slugs = _slugs(data)
    lamps = sorted(
        (p for p in catalog.products.values() if p.category_id == "lighting"),
        key=lambda p: p.created_at,
        reverse=True,
    )
    assert slugs == [p.slug for p in lamps if p.slug != "dome-pendant"][:3]
    assert data is not None
    assert data["recommendations"][0]["reason"].startswith("Newest in this department")


async def test_unknown_product_is_not_found() -> None:
    client, _, _ = await recommendations_client()
    data, errors = await client.execute(
        RECOMMEND, {"id": to_global_id("Product", "nope"), "intent": "RELATED"}
    )
    assert data is None
    assert [(e["message"], e["extensions"]["code"]) for e in errors] == [
        ("No product with id 'nope'", "NOT_FOUND")
    ]


async def test_bad_input_is_refused_with_bad_user_input() -> None:
    client, _, _ = await recommendations_client()
    cases = [
        ({"id": _gid("harbor-sofa"), "intent": "RELATED", "first": 51}, "between 1 and 50"),
        ({"id": _gid("harbor-sofa"), "intent": "RELATED", "first": 0}, "between 1 and 50"),
        ({"id": _gid("harbor-sofa"), "intent": "FITS_SPACE"}, "FITS_SPACE needs a space"),
        (
            {
                "id": _gid("harbor-sofa"),
                "intent": "FITS_SPACE",
                "space": {"width": 1, "depth": 0, "height": 1},
            },
            "must be positive",
        ),
        ({"id": to_global_id("Category", "lighting"), "intent": "RELATED"}, "Product"),
    ]
    for variables, message in cases:
        data, errors = await client.execute(RECOMMEND, variables)
        assert data is None
        assert len(errors) == 1
        assert message in errors[0]["message"]
        assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT"
