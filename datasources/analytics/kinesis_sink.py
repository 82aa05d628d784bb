"""The analytics sink on Kinesis Data Streams (AWS; moto locally and in tests).

Each event is one record (its JSON) with the shopper's session id as partition key, so a
session's events stay in order on one shard. ``PutRecords`` accepts a batch and may fail
some records (throttled shards): those are retried, up to ``retries`` times, and the ones
still failing are reported by index. Downstream, a Firehose delivery stream reads the
stream into S3 for offline training (docs/analytics.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from datasources.analytics.records import AnalyticsEvent
from datasources.aws_clients import LoopBoundClients
from datasources.errors import DataSourceUnavailable
from datasources.instrumentation import record_call

SERVICE = "kinesis"
MAX_RECORDS = 500
"""PutRecords' limit per call."""


@dataclass(frozen=True)
class StreamConfig:
    """Which stream to write and how to reach it."""

    stream_name: str
    region: str
    endpoint_url: str | None = None
    access_key_id: str | None = None
    secret_access_key: str | None = None
    connect_timeout_seconds: float = 2.0
    max_attempts: int = 2
    retries: int = 2
    """Extra PutRecords calls for records a call failed (throttled shards)."""

    def client_kwargs(self) -> dict[str, Any]:
        """Keyword arguments of every Kinesis client built for this stream."""
        return {
            "region_name": self.region,
            "endpoint_url": self.endpoint_url,
            "aws_access_key_id": self.access_key_id,
            "aws_secret_access_key": self.secret_access_key,
            "config": Config(
                connect_timeout=self.connect_timeout_seconds,
                read_timeout=10,
                retries={"max_attempts": self.max_attempts, "mode": "standard"},
            ),
        }


class KinesisAnalyticsSink:
    """AnalyticsSink port on one Kinesis data stream; one client per event loop."""

    def __init__(self, config: StreamConfig, clients: LoopBoundClients | None = None) -> None:
        self._config = config
        self._clients = clients or LoopBoundClients(SERVICE, config.client_kwargs())

    @property
    def stream_name(self) -> str:
        """The stream's name."""
        return self._config.stream_name

    def _unavailable(self, error: Exception) -> DataSourceUnavailable:
        where = self._config.endpoint_url or "AWS"
        return DataSourceUnavailable(
            f"Kinesis stream {self._config.stream_name!r} at {where}", str(error)
        )

    async def put(self, events: Sequence[AnalyticsEvent]) -> tuple[int, ...]:
        """Write ``events`` (batches of 500); the indexes of those still failing after the
        retries. DataSourceUnavailable when the stream cannot be reached at all."""
        failed: list[int] = []
        for start in range(0, len(events), MAX_RECORDS):
            batch = list(enumerate(events[start : start + MAX_RECORDS], start))
            failed += await self._put_batch(batch)
        return tuple(sorted(failed))

    async def _put_batch(self, batch: list[tuple[int, AnalyticsEvent]]) -> list[int]:
        pending = batch
        for _ in range(self._config.retries + 1):
            records = [{"Data": e.to_json(), "PartitionKey": e.session_id} for _, e in pending]
            try:
                client = await self._clients.get()
                with record_call(SERVICE, "PutRecords"):
                    response = await client.put_records(
                        StreamName=self._config.stream_name, Records=records
                    )
            except (BotoCoreError, ClientError) as error:
                raise self._unavailable(error) from error
            if not response.get("FailedRecordCount"):
                return []
            pending = [
                item
                for item, result in zip(pending, response["Records"], strict=True)
                if result.get("ErrorCode")
            ]
        return [index for index, _ in pending]

    async def ensure_stream(self, shards: int = 1) -> None:
        """Create the stream when missing and wait until it is active (local and tests; CDK
        creates it on AWS)."""
        try:
            client = await self._clients.get()
            try:
                with record_call(SERVICE, "CreateStream"):
                    await client.create_stream(
                        StreamName=self._config.stream_name, ShardCount=shards
                    )
            except ClientError as error:
                if error.response["Error"]["Code"] != "ResourceInUseException":
                    raise
            waiter = client.get_waiter("stream_exists")
            await waiter.wait(
                StreamName=self._config.stream_name, WaiterConfig={"Delay": 1, "MaxAttempts": 30}
            )
        except (BotoCoreError, ClientError) as error:
            raise self._unavailable(error) from error

    async def check(self) -> None:
        """Raise DataSourceUnavailable unless the stream can be described."""
        try:
            client = await self._clients.get()
            with record_call(SERVICE, "DescribeStreamSummary"):
                await client.describe_stream_summary(StreamName=self._config.stream_name)
        except (BotoCoreError, ClientError) as error:
            raise self._unavailable(error) from error

    async def close(self) -> None:
        """Close the client of the running loop."""
        await self._clients.close()
