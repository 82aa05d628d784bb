"""Data: VPC, KMS key, catalog table, asset, analytics and log buckets, Aurora, Redis,
OpenSearch, job queues."""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra_cdk.config import SOURCE_CODE, DeployConfig
from infra_cdk.constructs.buckets import AnalyticsBucket, AssetBucket, LogBucket, TrailBucket
from infra_cdk.constructs.catalog_table import CatalogTable
from infra_cdk.constructs.database import Database
from infra_cdk.constructs.gateway_function import gateway_code
from infra_cdk.constructs.job_queues import JobQueues
from infra_cdk.constructs.keys import DataKey
from infra_cdk.constructs.network import Network
from infra_cdk.constructs.redis import RedisCache
from infra_cdk.constructs.search_domain import SearchDomain
from infra_cdk.names import OPENSEARCH_ENGINE, OPENSEARCH_SIGV4, EnvVar
from infra_cdk.table_spec import TableSpec


class DataStack(Stack):
    """Everything that holds state; the gateway's security group lives here so the data
    stores can admit it without the stacks referring to each other both ways."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: DeployConfig,
        table_spec: TableSpec,
        code: lambda_.Code | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        names = config.names
        self.network = Network(self, "Network", availability_zones=config.availability_zones)
        vpc = self.network.vpc
        self.gateway_security_group = self.network.app_security_group
        self.key = DataKey(self, "DataKey", alias=f"alias/{names.prefix}-data").key
        self.catalog = CatalogTable(
            self, "Catalog", spec=table_spec, table_name=names.catalog_table, key=self.key
        )
        self.logs = LogBucket(
            self, "Logs", bucket_name=names.log_bucket(config.account, config.region)
        )
        self.assets = AssetBucket(
            self,
            "Assets",
            bucket_name=names.asset_bucket(config.account, config.region),
            key=self.key,
            log_bucket=self.logs.bucket,
            cors_origins=config.cors_origins,
        )
        self.analytics = AnalyticsBucket(
            self,
            "Analytics",
            bucket_name=names.analytics_bucket(config.account, config.region),
            key=self.key,
            log_bucket=self.logs.bucket,
        )
        self.trail = TrailBucket(
            self,
            "Trail",
            bucket_name=names.trail_bucket(config.account, config.region),
            log_bucket=self.logs.bucket,
        )
        self.database = Database(
            self,
            "Database",
            vpc=vpc,
            subnets=self.network.data_subnets,
            key=self.key,
            secret_name=names.secret("database"),
            clients=self.gateway_security_group,
        )
        self.redis = RedisCache(
            self,
            "Redis",
            vpc=vpc,
            subnets=self.network.data_subnets,
            key=self.key,
            secret_name=names.secret("redis-auth"),
            clients=self.gateway_security_group,
        )
        self.search: SearchDomain | None = None
        """The OpenSearch domain; None when context ``opensearch_url`` names a cluster."""
        if config.opensearch_url is None:
            self.search = SearchDomain(
                self,
                "Search",
                domain_name=names.search_domain,
                access_function_name=names.search_access_function,
                account=config.account,
                region=config.region,
                zones=len(config.availability_zones),
                vpc=vpc,
                data_subnets=self.network.data_subnets,
                app_subnets=self.network.app_subnets,
                clients=self.gateway_security_group,
                key=self.key,
                code=code
                or gateway_code(
                    config.lambda_code_path(), from_source=config.lambda_code == SOURCE_CODE
                ),
            )
        self.jobs = JobQueues(
            self,
            "JobQueues",
            queue_name=names.render_queue,
            dead_letter_queue_name=names.render_dead_letter_queue,
            key=self.key,
        )


def search_environment(config: DeployConfig, data: DataStack) -> dict[str, str]:
    """Where a function finds product search: the domain (signed with its role), or the
    cluster that context ``opensearch_url`` names."""
    if data.search is None:
        assert config.opensearch_url is not None
        return {
            EnvVar.SEARCH_ENGINE: OPENSEARCH_ENGINE,
            EnvVar.OPENSEARCH_URL: config.opensearch_url,
        }
    return {
        EnvVar.SEARCH_ENGINE: OPENSEARCH_ENGINE,
        EnvVar.OPENSEARCH_URL: data.search.endpoint_url,
        EnvVar.OPENSEARCH_AUTH: OPENSEARCH_SIGV4,
    }
