"""Analytics events: a Kinesis data stream copied by Firehose to S3 (partitioned by hour,
gzip-compressed) for offline analysis."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_kinesisfirehose as firehose
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra_cdk.nag import acknowledge
from infra_cdk.names import ANALYTICS_ERRORS_PREFIX, ANALYTICS_EVENTS_PREFIX

HOUR_PARTITIONS = (
    "year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/"
)
"""Hive-style partitions (Athena and Glue read them without a crawler's guesswork)."""
EVENTS_PREFIX = f"{ANALYTICS_EVENTS_PREFIX}{HOUR_PARTITIONS}"
ERRORS_PREFIX = f"{ANALYTICS_ERRORS_PREFIX}!{{firehose:error-output-type}}/{HOUR_PARTITIONS}"
BUFFER_SECONDS = 300
BUFFER_MIB = 128
STREAM_RETENTION = Duration.hours(24)


class AnalyticsPipeline(Construct):
    """The on-demand stream (encrypted with the data key) and a delivery stream to the
    analytics bucket, with a role that may read this stream and write these prefixes only."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stream_name: str,
        delivery_stream_name: str,
        bucket: s3.IBucket,
        bucket_arn: str,
        key: kms.IKey,
    ) -> None:
        """``bucket_arn``: the bucket's ARN as a literal (from its fixed name), so that the
        policy and its acknowledgements read the same in every synth."""
        super().__init__(scope, construct_id)
        self.stream = kinesis.Stream(
            self,
            "Stream",
            stream_name=stream_name,
            stream_mode=kinesis.StreamMode.ON_DEMAND,
            encryption=kinesis.StreamEncryption.KMS,
            encryption_key=key,
            retention_period=STREAM_RETENTION,
            removal_policy=RemovalPolicy.RETAIN,
        )
        acknowledge(
            self.stream,
            "AwsSolutions-KDS3",
            "Encrypted with the deployment's customer-managed data key (rotating, one key "
            "policy for every data store) rather than the aws/kinesis AWS-managed key.",
        )
        self.log_group = logs.LogGroup(
            self,
            "DeliveryLogs",
            retention=logs.RetentionDays.ONE_MONTH,
            removal_policy=RemovalPolicy.RETAIN,
        )
        log_stream = logs.LogStream(self, "S3Delivery", log_group=self.log_group)
        self.role = iam.Role(
            self,
            "DeliveryRole",
            assumed_by=iam.ServicePrincipal(
                "firehose.amazonaws.com",
                conditions={"StringEquals": {"sts:ExternalId": Stack.of(self).account}},
            ),
            description="Firehose: read the analytics stream, write the analytics bucket",
        )
        policy = iam.Policy(
            self,
            "DeliveryPolicy",
            roles=[self.role],
            statements=[
                iam.PolicyStatement(
                    sid="ReadStream",
                    actions=[
                        "kinesis:DescribeStream",
                        "kinesis:DescribeStreamSummary",
                        "kinesis:GetShardIterator",
                        "kinesis:GetRecords",
                        "kinesis:ListShards",
                    ],
                    resources=[self.stream.stream_arn],
                ),
                iam.PolicyStatement(
                    sid="Bucket",
                    actions=[
                        "s3:GetBucketLocation",
                        "s3:ListBucket",
                        "s3:ListBucketMultipartUploads",
                    ],
                    resources=[bucket_arn],
                ),
                iam.PolicyStatement(
                    sid="WriteObjects",
                    actions=["s3:PutObject", "s3:AbortMultipartUpload", "s3:GetObject"],
                    resources=[
                        f"{bucket_arn}/{ANALYTICS_EVENTS_PREFIX}*",
                        f"{bucket_arn}/{ANALYTICS_ERRORS_PREFIX}*",
                    ],
                ),
                iam.PolicyStatement(
                    sid="DataKey",
                    actions=["kms:Decrypt", "kms:GenerateDataKey"],
                    resources=[key.key_arn],
                ),
                iam.PolicyStatement(
                    sid="DeliveryLogs",
                    actions=["logs:PutLogEvents"],
                    resources=[self.log_group.log_group_arn],
                ),
            ],
        )
        self.policy = policy
        self.delivery_stream = firehose.CfnDeliveryStream(
            self,
            "ToS3",
            delivery_stream_name=delivery_stream_name,
            delivery_stream_type="KinesisStreamAsSource",
            kinesis_stream_source_configuration=firehose.CfnDeliveryStream.KinesisStreamSourceConfigurationProperty(
                kinesis_stream_arn=self.stream.stream_arn, role_arn=self.role.role_arn
            ),
            extended_s3_destination_configuration=firehose.CfnDeliveryStream.ExtendedS3DestinationConfigurationProperty(
                bucket_arn=bucket.bucket_arn,
                role_arn=self.role.role_arn,
                prefix=EVENTS_PREFIX,
                error_output_prefix=ERRORS_PREFIX,
                compression_format="GZIP",
                buffering_hints=firehose.CfnDeliveryStream.BufferingHintsProperty(
                    interval_in_seconds=BUFFER_SECONDS, size_in_m_bs=BUFFER_MIB
                ),
                encryption_configuration=firehose.CfnDeliveryStream.EncryptionConfigurationProperty(
                    kms_encryption_config=firehose.CfnDeliveryStream.KMSEncryptionConfigProperty(
                        awskms_key_arn=key.key_arn
                    )
                ),
                cloud_watch_logging_options=firehose.CfnDeliveryStream.CloudWatchLoggingOptionsProperty(
                    enabled=True,
                    log_group_name=self.log_group.log_group_name,
                    log_stream_name=log_stream.log_stream_name,
                ),
            ),
        )
        # The role must be able to read the stream before Firehose validates the source.
        self.delivery_stream.node.add_dependency(policy)
        for prefix in (ANALYTICS_EVENTS_PREFIX, ANALYTICS_ERRORS_PREFIX):
            acknowledge(
                policy,
                f"AwsSolutions-IAM5[Resource::{bucket_arn}/{prefix}*]",
                "Firehose names its objects by hour and a random suffix under this prefix; "
                "only the analytics prefixes of the analytics bucket are writable.",
            )
        acknowledge(
            self.delivery_stream,
            "AwsSolutions-KDF1",
            "A delivery stream whose source is a Kinesis data stream cannot take its own "
            "server-side encryption: the source stream is encrypted with the data key, and "
            "the S3 destination too.",
        )
