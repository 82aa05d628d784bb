"""The ingest job queue on SQS through aioboto3 (standard queue + dead-letter queue)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from datasources.aws_clients import LoopBoundClients
from datasources.errors import DataSourceUnavailable
from datasources.instrumentation import record_call
from datasources.job_records import QueuedMessage

SERVICE = "sqs"


@dataclass(frozen=True)
class QueueConfig:
    """Which queues to use and how to reach them."""

    queue_name: str
    dead_letter_queue_name: str
    region: str
    max_receive_count: int = 3
    visibility_timeout_seconds: int = 120
    endpoint_url: str | None = None
    access_key_id: str | None = None
    secret_access_key: str | None = None
    connect_timeout_seconds: float = 2.0
    max_attempts: int = 2

    def client_kwargs(self) -> dict[str, Any]:
        """Keyword arguments of every SQS client built for these queues."""
        return {
            "region_name": self.region,
            "endpoint_url": self.endpoint_url,
            "aws_access_key_id": self.access_key_id,
            "aws_secret_access_key": self.secret_access_key,
            "config": Config(
                connect_timeout=self.connect_timeout_seconds,
                read_timeout=60,
                retries={"max_attempts": self.max_attempts, "mode": "standard"},
            ),
        }


class SqsJobQueue:
    """JobQueue port on one SQS queue; one client per event loop."""

    def __init__(self, config: QueueConfig, *, dead_letters: bool = False) -> None:
        self._config = config
        self._name = config.dead_letter_queue_name if dead_letters else config.queue_name
        self._clients = LoopBoundClients("sqs", config.client_kwargs())
        self._urls: dict[str, str] = {}

    @property
    def name(self) -> str:
        """The queue's name."""
        return self._name

    def dead_letters(self) -> SqsJobQueue:
        """The same adapter on the dead-letter queue."""
        return SqsJobQueue(self._config, dead_letters=True)

    async def _sqs(self) -> Any:
        return await self._clients.get()

    async def close(self) -> None:
        """Close the client of the running loop."""
        await self._clients.close()

    def _unavailable(self, error: Exception) -> DataSourceUnavailable:
        where = self._config.endpoint_url or "AWS"
        return DataSourceUnavailable(f"SQS queue {self._name!r} at {where}", str(error))

    async def _url(self, name: str | None = None) -> str:
        name = name or self._name
        if name not in self._urls:
            sqs = await self._sqs()
            with record_call(SERVICE, "GetQueueUrl"):
                self._urls[name] = (await sqs.get_queue_url(QueueName=name))["QueueUrl"]
        return self._urls[name]

    async def _call(self, operation: str, method: str, **kwargs: Any) -> Any:
        try:
            sqs = await self._sqs()
            url = await self._url()
            with record_call(SERVICE, operation):
                return await getattr(sqs, method)(QueueUrl=url, **kwargs)
        except (BotoCoreError, ClientError) as error:
            raise self._unavailable(error) from error

    async def ensure_queues(self) -> None:
        """Create the dead-letter queue and the queue with its redrive policy (local/tests)."""
        try:
            sqs = await self._sqs()
            with record_call(SERVICE, "CreateQueue"):
                dlq_url = (
                    await sqs.create_queue(
                        QueueName=self._config.dead_letter_queue_name,
                        Attributes={"MessageRetentionPeriod": str(14 * 24 * 3600)},
                    )
                )["QueueUrl"]
                dlq_arn = (
                    await sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])
                )["Attributes"]["QueueArn"]
                redrive = {
                    "deadLetterTargetArn": dlq_arn,
                    "maxReceiveCount": str(self._config.max_receive_count),
                }
                await sqs.create_queue(
                    QueueName=self._config.queue_name,
                    Attributes={
                        "VisibilityTimeout": str(self._config.visibility_timeout_seconds),
                        "RedrivePolicy": json.dumps(redrive),
                    },
                )
        except (BotoCoreError, ClientError) as error:
            raise self._unavailable(error) from error

    async def send(self, body: str) -> str:
        """Enqueue ``body``; the message id."""
        response = await self._call("SendMessage", "send_message", MessageBody=body)
        return str(response["MessageId"])

    async def receive(
        self, max_messages: int, wait_seconds: int, visibility_timeout: int | None = None
    ) -> list[QueuedMessage]:
        """Long-poll up to ``max_messages`` (1..10) messages."""
        extra: dict[str, Any] = {}
        if visibility_timeout is not None:
            extra["VisibilityTimeout"] = visibility_timeout
        response = await self._call(
            "ReceiveMessage",
            "receive_message",
            MaxNumberOfMessages=max(1, min(10, max_messages)),
            WaitTimeSeconds=max(0, min(20, wait_seconds)),
            AttributeNames=["ApproximateReceiveCount"],
            **extra,
        )
        return [
            QueuedMessage(
                message_id=m["MessageId"],
                receipt_handle=m["ReceiptHandle"],
                body=m["Body"],
                receive_count=int(m.get("Attributes", {}).get("ApproximateReceiveCount", 1)),
            )
            for m in response.get("Messages", [])
        ]

    async def delete(self, receipt_handle: str) -> None:
        """Acknowledge a message."""
        await self._call("DeleteMessage", "delete_message", ReceiptHandle=receipt_handle)

    async def change_visibility(self, receipt_handle: str, seconds: int) -> None:
        """Hide a message for ``seconds`` more (0 releases it now)."""
        await self._call(
            "ChangeMessageVisibility",
            "change_message_visibility",
            ReceiptHandle=receipt_handle,
            VisibilityTimeout=max(0, min(43_200, seconds)),
        )

    async def check(self) -> None:
        """Raise DataSourceUnavailable unless the queue answers."""
        await self._call("GetQueueAttributes", "get_queue_attributes", AttributeNames=["QueueArn"])
