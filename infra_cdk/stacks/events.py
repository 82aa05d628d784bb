"""Events and analytics: the catalog stream's search indexer, and the analytics stream to S3."""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra_cdk.config import SOURCE_CODE, DeployConfig
from infra_cdk.constructs.analytics import AnalyticsPipeline
from infra_cdk.constructs.gateway_function import gateway_code
from infra_cdk.constructs.search_domain import SearchRoleMapping
from infra_cdk.constructs.stream_indexer import StreamIndexer
from infra_cdk.names import NO_PAYMENTS, PRODUCTION_PROFILE, SEARCH_INDEX_PATTERN, EnvVar
from infra_cdk.stacks.api import catalog_table_arn
from infra_cdk.stacks.data import DataStack, search_environment


def analytics_bucket_arn(config: DeployConfig) -> str:
    """The analytics bucket's ARN, from its fixed name."""
    return f"arn:aws:s3:::{config.names.analytics_bucket(config.account, config.region)}"


def analytics_stream_arn(config: DeployConfig) -> str:
    """The analytics stream's ARN, from its fixed name (the API stack grants puts on it)."""
    names = config.names
    return f"arn:aws:kinesis:{config.region}:{config.account}:stream/{names.analytics_stream}"


def indexer_environment(config: DeployConfig, data: DataStack) -> dict[str, str]:
    """The indexer's settings: the catalog and the search engine. The database and Redis
    URLs are there because the production profile requires them of every process; the
    indexer opens neither (and has no access to their secrets)."""
    return {
        EnvVar.PROFILE: PRODUCTION_PROFILE,
        EnvVar.CATALOG_TABLE: data.catalog.table.table_name,
        EnvVar.ASSET_BUCKET: data.assets.bucket.bucket_name,
        EnvVar.ASSET_CDN_URL: config.public_url,
        EnvVar.DATABASE_URL: data.database.url(),
        EnvVar.REDIS_URL: data.redis.url(),
        **search_environment(config, data),
        EnvVar.API_KEYS: "[]",
        EnvVar.PAYMENT_PROVIDER: NO_PAYMENTS,
        EnvVar.INTROSPECTION: "false",
        EnvVar.GRAPHIQL: "false",
        EnvVar.LOG_LEVEL: "INFO",
    }


INDEXER_SEARCH_ROLE = "vitrine_indexer"
"""The OpenSearch role of the stream indexer."""


class EventsStack(Stack):
    """The analytics stream and its delivery to S3; the search indexer on the catalog
    stream, writing to the Data stack's domain (or the cluster of context
    ``opensearch_url``)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: DeployConfig,
        data: DataStack,
        code: lambda_.Code | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        names = config.names
        self.analytics = AnalyticsPipeline(
            self,
            "Analytics",
            stream_name=names.analytics_stream,
            delivery_stream_name=names.analytics_delivery_stream,
            bucket=data.analytics.bucket,
            bucket_arn=analytics_bucket_arn(config),
            key=data.key,
        )
        table = data.catalog.table
        if table.table_stream_arn is None:
            raise ValueError("the catalog table has no stream")
        self.indexer = StreamIndexer(
            self,
            "StreamIndexer",
            function_name=names.stream_indexer_function,
            dead_letter_queue_name=names.stream_indexer_dead_letter_queue,
            code=code
            or gateway_code(
                config.lambda_code_path(), from_source=config.lambda_code == SOURCE_CODE
            ),
            vpc=data.network.vpc,
            subnets=data.network.app_subnets,
            security_group=data.gateway_security_group,
            environment=indexer_environment(config, data),
            key=data.key,
            table_arn=catalog_table_arn(config),
            stream_arn=table.table_stream_arn,
        )
        if data.search is not None:
            SearchRoleMapping(
                self,
                "SearchAccess",
                search=data.search,
                role=self.indexer.function.role,
                opensearch_role=INDEXER_SEARCH_ROLE,
                index_pattern=SEARCH_INDEX_PATTERN,
            )
