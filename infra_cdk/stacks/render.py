"""Render: GPU workers on ECS (EC2 GPU capacity, Spot first) consuming the job queue."""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from constructs import Construct

from infra_cdk.config import DeployConfig
from infra_cdk.constructs.containers import image_repository
from infra_cdk.constructs.render_workers import GpuCapacity, RenderWorkers
from infra_cdk.nag import acknowledge
from infra_cdk.names import MODELS_PREFIX, NO_PAYMENTS, PRODUCTION_PROFILE, UPLOADS_PREFIX, EnvVar
from infra_cdk.stacks.api import (
    CATALOG_ACTIONS,
    KEY_ACTIONS,
    SECRET_ACTIONS,
    asset_bucket_arn,
    catalog_table_arn,
)
from infra_cdk.stacks.data import DataStack

QUEUE_CONSUME_ACTIONS = (
    "sqs:ReceiveMessage",
    "sqs:DeleteMessage",
    "sqs:ChangeMessageVisibility",
    "sqs:GetQueueUrl",
    "sqs:GetQueueAttributes",
)
UPLOAD_READ_ACTIONS = ("s3:GetObject",)
MODEL_WRITE_ACTIONS = ("s3:PutObject",)


def worker_environment(config: DeployConfig, data: DataStack) -> dict[str, str]:
    """The worker's settings (``gateway.settings.Settings`` names): what the ingest path
    reads, secrets by ARN; no API keys, Cognito or origin verification (it serves no API)."""
    return {
        EnvVar.PROFILE: PRODUCTION_PROFILE,
        EnvVar.CATALOG_TABLE: data.catalog.table.table_name,
        EnvVar.ASSET_BUCKET: data.assets.bucket.bucket_name,
        EnvVar.ASSET_CDN_URL: config.public_url,
        EnvVar.DATABASE_URL: data.database.url(),
        EnvVar.REDIS_URL: data.redis.url(),
        EnvVar.DATABASE_SECRET_ARN: data.database.secret.secret_arn,
        EnvVar.REDIS_AUTH_SECRET_ARN: data.redis.auth_token.secret_arn,
        EnvVar.RENDER_QUEUE: data.jobs.queue.queue_name,
        EnvVar.RENDER_DLQ: data.jobs.dead_letter_queue.queue_name,
        EnvVar.API_KEYS: "[]",
        EnvVar.PAYMENT_PROVIDER: NO_PAYMENTS,
        EnvVar.INTROSPECTION: "false",
        EnvVar.GRAPHIQL: "false",
        EnvVar.LOG_LEVEL: "INFO",
    }


def worker_statements(config: DeployConfig, data: DataStack) -> list[iam.PolicyStatement]:
    """Least privilege: consume the job queue, read uploads, write processed models, read
    and write the catalog table, use the data key, read the two secrets it connects with."""
    table_arn = catalog_table_arn(config)
    bucket_arn = asset_bucket_arn(config)
    return [
        iam.PolicyStatement(
            sid="ConsumeJobs",
            actions=list(QUEUE_CONSUME_ACTIONS),
            resources=[data.jobs.queue.queue_arn],
        ),
        iam.PolicyStatement(
            sid="CatalogTable",
            actions=list(CATALOG_ACTIONS),
            resources=[table_arn, f"{table_arn}/index/*"],
        ),
        iam.PolicyStatement(
            sid="ReadUploads",
            actions=list(UPLOAD_READ_ACTIONS),
            resources=[f"{bucket_arn}/{UPLOADS_PREFIX}*"],
        ),
        iam.PolicyStatement(
            sid="WriteModels",
            actions=list(MODEL_WRITE_ACTIONS),
            resources=[f"{bucket_arn}/{MODELS_PREFIX}*"],
        ),
        iam.PolicyStatement(sid="DataKey", actions=list(KEY_ACTIONS), resources=[data.key.key_arn]),
        iam.PolicyStatement(
            sid="Secrets",
            actions=list(SECRET_ACTIONS),
            resources=[data.database.secret.secret_arn, data.redis.auth_token.secret_arn],
        ),
    ]


class RenderStack(Stack):
    """The image repository, the cluster, its GPU capacity and the worker service."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: DeployConfig,
        data: DataStack,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        names = config.names
        self.repository = image_repository(self, "Images", names.render_repository)
        self.cluster = ecs.Cluster(
            self,
            "Cluster",
            cluster_name=names.render_cluster,
            vpc=data.network.vpc,
            container_insights_v2=ecs.ContainerInsights.ENABLED,
        )
        self.capacity = GpuCapacity(
            self,
            "Gpu",
            cluster=self.cluster,
            vpc=data.network.vpc,
            subnets=data.network.app_subnets,
            instance_types=config.render_instance_types,
            max_instances=config.render_max_instances,
        )
        self.workers = RenderWorkers(
            self,
            "Workers",
            service_name=names.render_service,
            cluster=self.cluster,
            capacity=self.capacity,
            image=ecs.ContainerImage.from_ecr_repository(self.repository, config.render_image_tag),
            environment=worker_environment(config, data),
            task_policy=worker_statements(config, data),
            queue=data.jobs.queue,
            subnets=data.network.app_subnets,
            security_group=data.gateway_security_group,
            max_tasks=config.render_max_instances,
        )
        bucket_arn = asset_bucket_arn(config)
        table_arn = catalog_table_arn(config)
        for rule, why in (
            (
                f"AwsSolutions-IAM5[Resource::{bucket_arn}/{UPLOADS_PREFIX}*]",
                "Reads the uploaded file a job names; upload keys are random ids made per "
                "upload, so they cannot be listed in advance.",
            ),
            (
                f"AwsSolutions-IAM5[Resource::{bucket_arn}/{MODELS_PREFIX}*]",
                "Writes processed models under the models/ prefix only, keyed by content "
                "hash, so object ARNs cannot be listed in advance.",
            ),
            (
                f"AwsSolutions-IAM5[Resource::{table_arn}/index/*]",
                "The catalog table's own GSIs: DynamoDB names index ARNs under the table.",
            ),
        ):
            acknowledge(self.workers.task_policy, rule, why)
