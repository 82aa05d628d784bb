"""The DynamoDB Streams indexer handler: stream records of PRODUCT items reach search.

Events are shaped like AWS's documented DynamoDB Streams example for Lambda; the catalog is
the in-memory fake (the Catalog port), search the embedded engine in memory."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from datasources.events.records import Topic
from datasources.records import ProductStatus
from datasources.search.indexer import reindex
from datasources.search.records import SearchRequest
from datasources.search.tantivy_engine import TantivySearch
from gateway.demo_products import DEMO_CATEGORIES
from gateway.lambda_stream_indexer import (
    BadStreamRecord,
    domain_events,
    handle_stream_event,
    product_changes,
)
from gateway.seed import demo_catalog_products, demo_stock_records
from tests.fakes.catalog import FakeCatalog

STREAM_ARN = (
    "arn:aws:dynamodb:eu-west-1:111122223333:table/vitrine-test-catalog/stream/"
    "2026-11-23T00:00:00.000"
)


def stream_record(event_name: str, pk: str, sk: str, sequence_number: str) -> dict[str, Any]:
    """One record as AWS documents it (NEW_AND_OLD_IMAGES view)."""
    keys = {"pk": {"S": pk}, "sk": {"S": sk}}
    image = {**keys, "kind": {"S": sk.split("#")[0]}}
    change: dict[str, Any] = {
        "ApproximateCreationDateTime": 1763856000,
        "Keys": keys,
        "SequenceNumber": sequence_number,
        "SizeBytes": 59,
        "StreamViewType": "NEW_AND_OLD_IMAGES",
    }
    if event_name != "REMOVE":
        change["NewImage"] = image
    if event_name != "INSERT":
        change["OldImage"] = image
    return {
        "eventID": f"c4ca4238a0b923820dcc509a6f75849{sequence_number[-1]}",
        "eventName": event_name,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "eu-west-1",
        "dynamodb": change,
        "eventSourceARN": STREAM_ARN,
    }


async def _indexed_catalog() -> tuple[FakeCatalog, TantivySearch]:
    catalog = FakeCatalog()
    for category in DEMO_CATEGORIES:
        await catalog.put_category(category)
    for product in demo_catalog_products():
        await catalog.create_product(product)
    for stock in demo_stock_records():
        await catalog.put_stock(stock)
    search = TantivySearch()
    await reindex(catalog, search)
    return catalog, search


async def _ids_for(search: TantivySearch, query: str) -> list[str]:
    return [h.product_id for h in (await search.search(SearchRequest(query=query))).hits]


async def test_modified_and_archived_products_reach_search() -> None:
    # given an indexed catalog where a product is renamed and another archived
    catalog, search = await _indexed_catalog()
    [sofa, lamp] = await catalog.products_by_ids(["demo-harbor-sofa", "demo-arc-floor-lamp"])
    assert sofa is not None
    assert lamp is not None
    await catalog.update_product(replace(sofa, name="Harbor Chesterfield"), sofa.version)
    await catalog.update_product(replace(lamp, status=ProductStatus.ARCHIVED), lamp.version)
    event = {
        "Records": [
            stream_record("MODIFY", "PRODUCT#demo-harbor-sofa", "PRODUCT", "111"),
            stream_record("MODIFY", "STOCK#SKU-1", "STOCK", "112"),
            stream_record("MODIFY", "PRODUCT#demo-arc-floor-lamp", "PRODUCT", "113"),
        ]
    }
    # when the stream batch arrives
    response = await handle_stream_event(event, catalog, search)
    # then nothing failed and search follows both changes
    assert response == {"batchItemFailures": []}
    assert await _ids_for(search, "chesterfield") == ["demo-harbor-sofa"]
    assert "demo-arc-floor-lamp" not in await _ids_for(search, "arc floor lamp")


async def test_a_removed_product_leaves_search() -> None:
    # given an indexed product deleted from the catalog
    catalog, search = await _indexed_catalog()
    assert "demo-harbor-sofa" in await _ids_for(search, "harbor sofa")
    del catalog.products["demo-harbor-sofa"]
    event = {"Records": [stream_record("REMOVE", "PRODUCT#demo-harbor-sofa", "PRODUCT", "201")]}
    # when its REMOVE record arrives
    response = await handle_stream_event(event, catalog, search)
    # then it is gone from search
    assert response == {"batchItemFailures": []}
    assert "demo-harbor-sofa" not in await _ids_for(search, "harbor sofa")


async def test_a_failed_refresh_reports_the_first_product_record_for_retry() -> None:
    # given a catalog that cannot be read
    catalog, search = await _indexed_catalog()
    catalog.down = True
    event = {
        "Records": [
            stream_record("MODIFY", "CATEGORY#sofas", "CATEGORY", "301"),
            stream_record("MODIFY", "PRODUCT#demo-harbor-sofa", "PRODUCT", "302"),
            stream_record("INSERT", "PRODUCT#demo-arc-floor-lamp", "PRODUCT", "303"),
        ]
    }
    # when the batch arrives
    response = await handle_stream_event(event, catalog, search)
    # then Lambda is told to retry from the first product record
    assert response == {"batchItemFailures": [{"itemIdentifier": "302"}]}


def test_changes_of_one_product_become_one_product_changed_event() -> None:
    records = [
        stream_record("INSERT", "PRODUCT#p1", "PRODUCT", "401"),
        stream_record("MODIFY", "PRODUCT#p2", "PRODUCT", "402"),
        stream_record("MODIFY", "PRODUCT#p1", "PRODUCT", "403"),
        stream_record("INSERT", "SLUG#p1-slug", "SLUG", "404"),
    ]
    events = domain_events(product_changes(records))
    assert [(e.topic, e.key) for e in events] == [
        (Topic.PRODUCT_CHANGED, "p1"),
        (Topic.PRODUCT_CHANGED, "p2"),
    ]
    assert events[0].payload == {
        "source": "dynamodb-stream",
        "changes": ["INSERT", "MODIFY"],
        "sequenceNumbers": ["401", "403"],
    }


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ({}, "no Records list"),
        ({"Records": [{"eventSource": "aws:sqs"}]}, "not a DynamoDB stream record"),
        ({"Records": [{"eventSource": "aws:dynamodb", "eventName": "PUT"}]}, "unknown eventName"),
        (
            {"Records": [{"eventSource": "aws:dynamodb", "eventName": "INSERT", "dynamodb": {}}]},
            "no dynamodb.Keys",
        ),
        (
            {
                "Records": [
                    {
                        "eventSource": "aws:dynamodb",
                        "eventName": "INSERT",
                        "dynamodb": {"Keys": {"pk": {"S": "PRODUCT#p"}}, "SequenceNumber": "1"},
                    }
                ]
            },
            "Keys.sk must be a string key",
        ),
    ],
)
async def test_malformed_events_are_refused(event: dict[str, Any], message: str) -> None:
    catalog = FakeCatalog()
    with pytest.raises(BadStreamRecord, match=message):
        await handle_stream_event(event, catalog, TantivySearch())
