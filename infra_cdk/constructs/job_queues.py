"""The render/ingest job queue and its dead-letter queue (``gateway.settings`` names them
``VITRINE_RENDER_QUEUE`` and ``VITRINE_RENDER_DLQ``)."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sqs as sqs
from constructs import Construct

MAX_RECEIVE_COUNT = 3
"""Deliveries before a job goes to the DLQ (Settings.render_max_receive_count's default)."""
VISIBILITY_TIMEOUT_SECONDS = 120
"""Settings.render_visibility_timeout_seconds's default; workers extend it while they work."""
DLQ_RETENTION = Duration.days(14)


class JobQueues(Construct):
    """Both queues encrypted with the data key, TLS only; failed jobs kept 14 days."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        queue_name: str,
        dead_letter_queue_name: str,
        key: kms.IKey,
    ) -> None:
        super().__init__(scope, construct_id)
        self.dead_letter_queue = sqs.Queue(
            self,
            "DeadLetter",
            queue_name=dead_letter_queue_name,
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=key,
            enforce_ssl=True,
            retention_period=DLQ_RETENTION,
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.queue = sqs.Queue(
            self,
            "Jobs",
            queue_name=queue_name,
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=key,
            enforce_ssl=True,
            visibility_timeout=Duration.seconds(VISIBILITY_TIMEOUT_SECONDS),
            dead_letter_queue=sqs.DeadLetterQueue(
                queue=self.dead_letter_queue, max_receive_count=MAX_RECEIVE_COUNT
            ),
            removal_policy=RemovalPolicy.RETAIN,
        )
