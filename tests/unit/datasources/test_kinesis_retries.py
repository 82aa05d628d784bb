"""The Kinesis sink's retry of records a PutRecords call failed (moto never fails records,
so this logic is tested with a client that answers as Kinesis documents partial failure)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from datasources.analytics.kinesis_sink import KinesisAnalyticsSink, StreamConfig
from datasources.analytics.records import AnalyticsEvent, AnalyticsEventType
from datasources.aws_clients import LoopBoundClients


class ThrottlingKinesis:
    """Fails the records whose data contains any of ``failing`` for ``rounds`` calls."""

    def __init__(self, failing: set[str], rounds: int) -> None:
        self.failing = failing
        self.rounds = rounds
        self.calls: list[list[str]] = []

    async def put_records(self, StreamName: str, Records: list[dict[str, Any]]) -> dict[str, Any]:  # noqa: N803
        ids = [AnalyticsEvent.from_json(r["Data"]).event_id for r in Records]
        self.calls.append(ids)
        throttle = len(self.calls) <= self.rounds
        results = [
            {"ErrorCode": "ProvisionedThroughputExceededException", "ErrorMessage": "slow down"}
            if throttle and event_id in self.failing
            else {"SequenceNumber": "1", "ShardId": "shardId-000000000000"}
            for event_id in ids
        ]
        return {"FailedRecordCount": sum("ErrorCode" in r for r in results), "Records": results}


class FixedClients(LoopBoundClients):
    def __init__(self, client: ThrottlingKinesis) -> None:
        super().__init__("kinesis", {})
        self.client = client

    async def get(self) -> Any:
        return self.client


def _events(count: int) -> list[AnalyticsEvent]:
    at = datetime(2026, 11, 24, tzinfo=UTC)
    return [
        AnalyticsEvent(
            event_id=f"e{i}",
            type=AnalyticsEventType.SEARCHED,
            occurred_at=at,
            received_at=at,
            session_id="session-1",
            query="lamp",
        )
        for i in range(count)
    ]


async def test_failed_records_are_retried_alone_until_they_pass() -> None:
    client = ThrottlingKinesis(failing={"e1", "e3"}, rounds=2)
    sink = KinesisAnalyticsSink(StreamConfig("events", "us-east-1"), FixedClients(client))
    failed = await sink.put(_events(4))
    assert failed == ()
    assert client.calls == [["e0", "e1", "e2", "e3"], ["e1", "e3"], ["e1", "e3"]]


async def test_records_failing_after_the_retries_are_reported_by_index() -> None:
    client = ThrottlingKinesis(failing={"e1", "e3"}, rounds=99)
    sink = KinesisAnalyticsSink(
        StreamConfig("events", "us-east-1", retries=1), FixedClients(client)
    )
    failed = await sink.put(_events(4))
    assert failed == (1, 3)
    assert len(client.calls) == 2


async def test_batches_of_more_than_500_go_in_several_calls_with_global_indexes() -> None:
    client = ThrottlingKinesis(failing={"e600"}, rounds=99)
    sink = KinesisAnalyticsSink(
        StreamConfig("events", "us-east-1", retries=0), FixedClients(client)
    )
    failed = await sink.put(_events(700))
    assert failed == (600,)
    assert [len(call) for call in client.calls] == [500, 200]
