"""``trackEvents`` through the real schema: per-event validation with partial acceptance,
the per-caller event limit, the sink, and the counters that feed TRENDING."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from datasources.analytics.local_sink import InProcessAnalyticsSink
from datasources.analytics.records import AnalyticsEventType
from datasources.analytics.trending import InProcessTrending
from datasources.rate_limit import BucketConfig
from datasources.rate_limit.in_process import InProcessRateLimiter
from resolvers.context import AnalyticsSources
from resolvers.global_ids import to_global_id
from tests.graphql_client import SHOPPER
from tests.integration.recommendations.support import recommendations_client

TRACK = """
mutation Track($events: [AnalyticsEventInput!]!) {
  trackEvents(events: $events) { accepted errors { index code message } }
}
"""
RECOMMEND = """
query Trending($id: ID!) {
  recommendations(productId: $id, intent: TRENDING, first: 3) { score reason product { slug } }
}
"""
SESSION = "session-0001"


def _gid(slug: str) -> str:
    return to_global_id("Product", f"demo-{slug}")


def _analytics(capacity: float = 600) -> tuple[AnalyticsSources, InProcessAnalyticsSink]:
    sink = InProcessAnalyticsSink(capacity=1000)
    sources = AnalyticsSources(
        sink=sink,
        trending=InProcessTrending(),
        limiter=InProcessRateLimiter(BucketConfig(capacity=capacity, restore_rate=0.001)),
        trending_hours=24,
    )
    return sources, sink


def _view(slug: str, type_: str = "PRODUCT_VIEWED", **extra: Any) -> dict[str, Any]:
    return {"type": type_, "sessionId": SESSION, "productId": _gid(slug), **extra}


async def test_valid_events_are_kept_and_each_bad_one_is_reported_by_index() -> None:
    analytics, sink = _analytics()
    client, _, _ = await recommendations_client(analytics=analytics)
    too_old = (datetime.now(UTC) - timedelta(days=2)).isoformat()
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    events = [
        _view("dome-pendant"),
        {"type": "PRODUCT_VIEWED", "sessionId": SESSION},
        _view("dome-pendant", sessionId="bad id!"),
        {"type": "PRODUCT_VIEWED", "sessionId": SESSION, "productId": "demo-nope"},
        {"type": "AR_OPENED", "sessionId": SESSION, "productId": to_global_id("Product", "x")},
        _view("dome-pendant", "ADDED_TO_CART"),
        _view("dome-pendant", "ADDED_TO_CART", sku="NOT-A-SKU"),
        {"type": "SEARCHED", "sessionId": SESSION, "query": "  "},
        {"type": "SEARCHED", "sessionId": SESSION, "query": "lamp", "productId": _gid("sofa")},
        _view("dome-pendant", occurredAt=too_old),
        _view("dome-pendant", occurredAt=future),
        {"type": "SEARCHED", "sessionId": SESSION, "query": "brass lamp"},
        _view("dome-pendant", "VARIANT_SWITCHED", sku="DOME-PENDANT-BRASS"),
    ]
    # when the batch is sent by a signed-in shopper
    data, errors = await client.execute(TRACK, {"events": events}, SHOPPER)
    # then the three valid events are kept and every other one has its code
    assert errors == []
    assert data is not None
    result = data["trackEvents"]
    assert result["accepted"] == 3
    assert [(e["index"], e["code"]) for e in result["errors"]] == [
        (1, "PRODUCT_REQUIRED"),
        (2, "INVALID_SESSION_ID"),
        (3, "INVALID_PRODUCT_ID"),
        (4, "UNKNOWN_PRODUCT"),
        (5, "SKU_REQUIRED"),
        (6, "UNKNOWN_SKU"),
        (7, "QUERY_REQUIRED"),
        (8, "UNEXPECTED_FIELD"),
        (9, "TOO_OLD"),
        (10, "IN_THE_FUTURE"),
    ]
    assert all(e["message"] for e in result["errors"])
    kept = sink.recent()
    assert [(e.type, e.product_id, e.sku, e.query) for e in kept] == [
        (AnalyticsEventType.PRODUCT_VIEWED, "demo-dome-pendant", None, None),
        (AnalyticsEventType.SEARCHED, None, None, "brass lamp"),
        (AnalyticsEventType.VARIANT_SWITCHED, "demo-dome-pendant", "DOME-PENDANT-BRASS", None),
    ]
    assert {e.user_sub for e in kept} == {"shopper-sub"}
    assert {e.session_id for e in kept} == {SESSION}


async def test_empty_and_oversized_batches_are_refused_whole() -> None:
    analytics, sink = _analytics()
    client, _, _ = await recommendations_client(analytics=analytics)
    for events, size in (([], 0), ([_view("dome-pendant")] * 101, 101)):
        data, errors = await client.execute(TRACK, {"events": events})
        assert data is None
        assert [(e["message"], e["extensions"]["code"]) for e in errors] == [
            (f"events must hold 1 to 100 events, got {size}", "BAD_USER_INPUT")
        ]
    assert sink.recent() == []


async def test_a_caller_over_its_event_budget_is_throttled_others_are_not() -> None:
    # given a bucket of 150 events that barely refills
    analytics, sink = _analytics(capacity=150)
    client, _, _ = await recommendations_client(analytics=analytics)
    batch = {"events": [_view("dome-pendant")] * 100}
    # when one client IP sends two batches of 100, and another IP one batch
    first, first_errors = await client.execute(TRACK, batch, client_ip="10.0.0.1")
    second, second_errors = await client.execute(TRACK, batch, client_ip="10.0.0.1")
    other, other_errors = await client.execute(TRACK, batch, client_ip="10.0.0.2")
    # then the second batch is throttled as a whole, and the other caller is unaffected
    assert (first_errors, other_errors) == ([], [])
    assert first is not None
    assert other is not None
    assert first["trackEvents"]["accepted"] == other["trackEvents"]["accepted"] == 100
    assert second is None
    assert [e["extensions"]["code"] for e in second_errors] == ["THROTTLED"]
    assert second_errors[0]["message"].startswith("Too many events: retry in")
    assert len(sink.recent()) == 200


async def test_events_make_products_trend_in_their_department() -> None:
    # given the bedside lamp viewed twice and added to a cart, the arc lamp viewed once
    analytics, _ = _analytics()
    client, _, _ = await recommendations_client(analytics=analytics)
    events = [
        _view("bedside-lamp"),
        _view("bedside-lamp"),
        _view("bedside-lamp", "ADDED_TO_CART", sku="BEDSIDE-LAMP-STANDARD"),
        _view("arc-floor-lamp"),
        _view("harbor-sofa", "AR_OPENED"),
    ]
    data, errors = await client.execute(TRACK, {"events": events})
    assert errors == []
    assert data is not None
    assert data["trackEvents"] == {"accepted": 5, "errors": []}
    # when asking what trends beside the dome pendant
    trending, errors = await client.execute(RECOMMEND, {"id": _gid("dome-pendant")})
    # then the two lamps lead by activity (the sofa is in another department), the newest
    # lamp fills the third place
    assert errors == []
    assert trending is not None
    found = trending["recommendations"]
    assert [(r["product"]["slug"], r["score"], r["reason"]) for r in found[:2]] == [
        ("bedside-lamp", 1.0, "Trending in this department: activity score 7 in the last 24 hours"),
        (
            "arc-floor-lamp",
            0.1429,
            "Trending in this department: activity score 1 in the last 24 hours",
        ),
    ]
    assert found[2]["reason"].startswith("Newest in this department")
    assert found[2]["product"]["slug"] == "ginger-jar-lamp"


async def test_without_analytics_configured_track_events_is_unavailable() -> None:
    client, _, _ = await recommendations_client()
    data, errors = await client.execute(TRACK, {"events": [_view("dome-pendant")]})
    assert data is None
    assert [e["extensions"]["code"] for e in errors] == ["SERVICE_UNAVAILABLE"]
