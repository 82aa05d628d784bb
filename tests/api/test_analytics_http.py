"""trackEvents and recommendations over HTTP on the real local services: events go to a
Kinesis stream on moto, the event limit is per client IP for a storefront API key, and the
gateway builds its first search index at start-up for RELATED."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest

from datasources.analytics.records import AnalyticsEvent
from gateway.app import create_app
from gateway.bootstrap import build_services, provision
from gateway.settings import LOCAL_API_KEY
from resolvers.global_ids import to_global_id
from tests.api.conftest import load_catalog
from tests.conftest import make_settings
from tests.support.moto_process import MotoProcess

pytestmark = pytest.mark.integration

OPERATIONS = Path(__file__).parents[2] / "client_examples" / "operations"
STOREFRONT = {"x-api-key": LOCAL_API_KEY}


def _operation(name: str) -> str:
    return (OPERATIONS / f"{name}.graphql").read_text(encoding="utf-8")


def _stream_records(moto: MotoProcess, name: str) -> list[AnalyticsEvent]:
    client = boto3.client(
        "kinesis",
        region_name="us-east-1",
        endpoint_url=moto.endpoint_url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    out = []
    for shard in client.list_shards(StreamName=name)["Shards"]:
        iterator = client.get_shard_iterator(
            StreamName=name, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        out += [
            AnalyticsEvent.from_json(r["Data"])
            for r in client.get_records(ShardIterator=iterator, Limit=1000)["Records"]
        ]
    return out


async def _post(app: Any, ip: str, name: str, variables: dict[str, Any]) -> dict[str, Any]:
    transport = httpx.ASGITransport(app=app, client=(ip, 40_000))
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as http:
        response = await http.post(
            "/graphql",
            json={"query": _operation(name), "variables": variables},
            headers=STOREFRONT,
        )
    assert response.status_code in (200, 429), response.text
    body: dict[str, Any] = response.json()
    return body


async def test_events_reach_kinesis_and_each_client_ip_has_its_own_event_bucket(
    moto: MotoProcess,
) -> None:
    # given a gateway writing events to a fresh stream, 100 events per caller
    stream = f"events-{uuid.uuid4().hex[:10]}"
    settings = make_settings(
        moto.endpoint_url,
        VITRINE_ANALYTICS_SINK="kinesis",
        VITRINE_ANALYTICS_STREAM=stream,
        VITRINE_ANALYTICS_RATE_BUCKET=100,
        VITRINE_ANALYTICS_RATE_RESTORE=0.001,
    )
    services = build_services(settings)
    await provision(services)
    await load_catalog(services, 6)
    app = create_app(settings, services)
    view = {
        "type": "PRODUCT_VIEWED",
        "sessionId": "session-http-1",
        "productId": to_global_id("Product", "prod-001"),
    }
    async with app.router.lifespan_context(app):
        # when one shopper's storefront sends a good and a bad event, then a full batch
        mixed = await _post(
            app, "10.0.0.7", "TrackEvents", {"events": [view, {**view, "sku": "X"}]}
        )
        full = await _post(app, "10.0.0.7", "TrackEvents", {"events": [view] * 100})
        # and another shopper (another IP, the same API key) sends a full batch
        other = await _post(app, "10.0.0.8", "TrackEvents", {"events": [view] * 100})
        # and, once the start-up index (built in the background) is live, the storefront
        # asks for related products
        assert services.search is not None
        async with asyncio.timeout(30):
            # polled: the background indexer announces nothing the test could wait on
            while await services.search.live_index() is None:  # noqa: ASYNC110
                await asyncio.sleep(0.05)
        related = await _post(
            app,
            "10.0.0.9",
            "Recommendations",
            {"productId": to_global_id("Product", "prod-000"), "intent": "RELATED", "first": 3},
        )
    await services.close()
    # then the good event was kept and the bad one reported
    assert "errors" not in mixed
    assert mixed["data"] == {
        "trackEvents": {
            "accepted": 1,
            "errors": [
                {
                    "index": 1,
                    "code": "UNEXPECTED_FIELD",
                    "message": "PRODUCT_VIEWED takes no sku",
                }
            ],
        }
    }
    # and the first IP's second batch was throttled, the other IP's was not
    assert full["data"] is None
    assert [e["extensions"]["code"] for e in full["errors"]] == ["THROTTLED"]
    assert "errors" not in other
    assert other["data"] == {"trackEvents": {"accepted": 100, "errors": []}}
    # and the stream holds the 101 accepted events
    stored = _stream_records(moto, stream)
    assert len(stored) == 101
    assert {(e.product_id, e.session_id, e.user_sub) for e in stored} == {
        ("prod-001", "session-http-1", None)
    }
    # and related products came back through the start-up index
    assert "errors" not in related
    found = related["data"]["recommendations"]
    assert len(found) == 3
    assert all(r["product"]["id"] != to_global_id("Product", "prod-000") for r in found)
    assert all(r["reason"] for r in found)
