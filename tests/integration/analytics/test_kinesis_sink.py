"""The Kinesis sink against moto's Kinesis (server mode), on a stream unique to the test."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import boto3
import pytest

from datasources.analytics.kinesis_sink import KinesisAnalyticsSink, StreamConfig
from datasources.analytics.records import AnalyticsEvent, AnalyticsEventType
from datasources.errors import DataSourceUnavailable
from datasources.instrumentation import call_log
from gateway.bootstrap import build_services, provision
from tests.conftest import make_settings
from tests.support.moto_process import MotoProcess

pytestmark = pytest.mark.integration


def _config(moto: MotoProcess, name: str) -> StreamConfig:
    return StreamConfig(
        stream_name=name,
        region="us-east-1",
        endpoint_url=moto.endpoint_url,
        access_key_id="testing",
        secret_access_key="testing",
    )


def _event(index: int, session: str) -> AnalyticsEvent:
    at = datetime(2026, 11, 24, 10, index, tzinfo=UTC)
    return AnalyticsEvent(
        event_id=f"event-{index}",
        type=AnalyticsEventType.PRODUCT_VIEWED,
        occurred_at=at,
        received_at=at,
        session_id=session,
        product_id=f"product-{index}",
    )


def _read_all(moto: MotoProcess, name: str) -> list[tuple[str, bytes]]:
    client = boto3.client(
        "kinesis",
        region_name="us-east-1",
        endpoint_url=moto.endpoint_url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    out: list[tuple[str, bytes]] = []
    for shard in client.list_shards(StreamName=name)["Shards"]:
        iterator = client.get_shard_iterator(
            StreamName=name, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        records = client.get_records(ShardIterator=iterator, Limit=1000)["Records"]
        out += [(r["PartitionKey"], r["Data"]) for r in records]
    return out


async def test_events_are_written_as_json_records_keyed_by_session(moto: MotoProcess) -> None:
    # given a fresh stream
    name = f"events-{uuid.uuid4().hex[:10]}"
    sink = KinesisAnalyticsSink(_config(moto, name))
    await sink.ensure_stream()
    await sink.ensure_stream()  # idempotent
    events = [_event(i, "session-a" if i % 2 else "session-b") for i in range(5)]
    # when five events are put
    with call_log() as log:
        failed = await sink.put(events)
    await sink.close()
    # then none failed, in one PutRecords call, and the stream holds them as sent
    assert failed == ()
    assert dict(log.calls) == {"kinesis.PutRecords": 1}
    stored = _read_all(moto, name)
    decoded = [AnalyticsEvent.from_json(data) for _, data in stored]
    assert sorted(decoded, key=lambda e: e.event_id) == events
    assert {(key, AnalyticsEvent.from_json(data).session_id) for key, data in stored} == {
        ("session-a", "session-a"),
        ("session-b", "session-b"),
    }


async def test_a_missing_stream_is_reported_unavailable_with_its_name(moto: MotoProcess) -> None:
    name = f"missing-{uuid.uuid4().hex[:10]}"
    sink = KinesisAnalyticsSink(_config(moto, name))
    with pytest.raises(DataSourceUnavailable, match=name):
        await sink.put([_event(0, "session-a")])
    with pytest.raises(DataSourceUnavailable, match=name):
        await sink.check()
    await sink.close()


async def test_settings_select_the_kinesis_sink_and_provision_creates_its_stream(
    moto: MotoProcess,
) -> None:
    # given settings naming a Kinesis stream that does not exist yet
    name = f"events-{uuid.uuid4().hex[:10]}"
    settings = make_settings(
        moto.endpoint_url,
        VITRINE_ANALYTICS_SINK="kinesis",
        VITRINE_ANALYTICS_STREAM=name,
        VITRINE_ANALYTICS_RATE_BUCKET=250,
    )
    # when the services are built and provisioned
    services = build_services(settings)
    await provision(services)
    # then the sink writes to that stream, and the event limit has the configured size
    assert services.analytics is not None
    sink = services.analytics.sink
    assert isinstance(sink, KinesisAnalyticsSink)
    assert sink.stream_name == name
    assert services.analytics.limiter is not None
    assert services.analytics.limiter.config.capacity == 250
    assert await sink.put([_event(1, "session-c")]) == ()
    await services.close()
    assert [key for key, _ in _read_all(moto, name)] == ["session-c"]
