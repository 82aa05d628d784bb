"""The search indexer on the catalog table's DynamoDB stream (a Lambda function of the
gateway's code: ``gateway.lambda_stream_indexer.handler``)."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra_cdk.constructs.gateway_function import GatewayFunction
from infra_cdk.nag import acknowledge

HANDLER = "gateway.lambda_stream_indexer.handler"
MEMORY_MB = 1024
TIMEOUT = Duration.seconds(60)
BATCH_SIZE = 100
BATCHING_WINDOW = Duration.seconds(5)
RETRY_ATTEMPTS = 5
MAX_RECORD_AGE = Duration.hours(24)
PRODUCT_SORT_KEY = "PRODUCT"
"""PRODUCT items' ``sk`` (``datasources.dynamodb.models.product_key``): the only records the
event source mapping passes on."""
STREAM_READ_ACTIONS = (
    "dynamodb:DescribeStream",
    "dynamodb:GetRecords",
    "dynamodb:GetShardIterator",
)
CATALOG_READ_ACTIONS = (
    "dynamodb:DescribeTable",
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:Query",
)
"""``refresh_products`` re-reads products, categories and stock; it writes nothing."""


class StreamIndexer(Construct):
    """The function, its event source mapping (PRODUCT records only, partial batch
    responses, bisect on error, bounded retries, failed batches to an on-failure queue)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        function_name: str,
        dead_letter_queue_name: str,
        code: lambda_.Code,
        vpc: ec2.IVpc,
        subnets: ec2.SubnetSelection,
        security_group: ec2.ISecurityGroup,
        environment: Mapping[str, str],
        key: kms.IKey,
        table_arn: str,
        stream_arn: str,
    ) -> None:
        super().__init__(scope, construct_id)
        self.dead_letter_queue = sqs.Queue(
            self,
            "Failed",
            queue_name=dead_letter_queue_name,
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.days(14),
            removal_policy=RemovalPolicy.RETAIN,
        )
        acknowledge(
            self.dead_letter_queue,
            "AwsSolutions-SQS3",
            "This queue is the on-failure destination of the stream mapping: it holds the "
            "stream positions of failed batches and has no dead-letter queue of its own.",
        )
        self.function = GatewayFunction(
            self,
            "Function",
            function_name=function_name,
            code=code,
            vpc=vpc,
            subnets=subnets,
            security_group=security_group,
            environment=environment,
            key=key,
            handler=HANDLER,
            memory_size=MEMORY_MB,
            timeout=TIMEOUT,
            description="Vitrine search indexer on the catalog stream",
        )
        self.policy = iam.Policy(
            self,
            "Access",
            roles=[self.function.role],
            statements=[
                iam.PolicyStatement(
                    sid="CatalogStream", actions=list(STREAM_READ_ACTIONS), resources=[stream_arn]
                ),
                iam.PolicyStatement(
                    sid="ListStreams", actions=["dynamodb:ListStreams"], resources=["*"]
                ),
                iam.PolicyStatement(
                    sid="CatalogRead",
                    actions=list(CATALOG_READ_ACTIONS),
                    resources=[table_arn, f"{table_arn}/index/*"],
                ),
                iam.PolicyStatement(
                    sid="DataKey",
                    actions=["kms:Decrypt", "kms:DescribeKey"],
                    resources=[key.key_arn],
                ),
            ],
        )
        acknowledge(
            self.policy,
            f"AwsSolutions-IAM5[Resource::{table_arn}/index/*]",
            "The catalog table's own GSIs (by_kind): DynamoDB names index ARNs under the table.",
        )
        acknowledge(
            self.policy,
            "AwsSolutions-IAM5[Resource::*]",
            "dynamodb:ListStreams (which Lambda's stream poller calls) takes no resource-level "
            "permission and reveals stream ARNs only; records are read on this stream alone.",
        )
        self.mapping = lambda_.EventSourceMapping(
            self,
            "CatalogChanges",
            target=self.function.function,
            event_source_arn=stream_arn,
            starting_position=lambda_.StartingPosition.LATEST,
            batch_size=BATCH_SIZE,
            max_batching_window=BATCHING_WINDOW,
            bisect_batch_on_error=True,
            retry_attempts=RETRY_ATTEMPTS,
            max_record_age=MAX_RECORD_AGE,
            report_batch_item_failures=True,
            on_failure=sources.SqsDlq(self.dead_letter_queue),
            filters=[
                lambda_.FilterCriteria.filter(
                    {
                        "dynamodb": {
                            "Keys": {"sk": {"S": lambda_.FilterRule.is_equal(PRODUCT_SORT_KEY)}}
                        }
                    }
                )
            ],
        )
        self.mapping.node.add_dependency(self.policy)
