"""Data: VPC, KMS key, catalog table, asset, analytics and log buckets, Aurora, Redis, job
queues."""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack
from constructs import Construct

from infra_cdk.config import DeployConfig
from infra_cdk.constructs.buckets import AnalyticsBucket, AssetBucket, LogBucket, TrailBucket
from infra_cdk.constructs.catalog_table import CatalogTable
from infra_cdk.constructs.database import Database
from infra_cdk.constructs.job_queues import JobQueues
from infra_cdk.constructs.keys import DataKey
from infra_cdk.constructs.network import Network
from infra_cdk.constructs.redis import RedisCache
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
        self.jobs = JobQueues(
            self,
            "JobQueues",
            queue_name=names.render_queue,
            dead_letter_queue_name=names.render_dead_letter_queue,
            key=self.key,
        )
