"""Every resource name and environment variable the stacks use, in one place.

The gateway reads the same environment variables through ``gateway.settings.Settings``
(``tests/infra/test_names.py`` checks that every variable the stacks set on a container is a
field of Settings). This module is plain data so that the CDK app needs no runtime package.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

PROJECT: Final = "vitrine"


class EnvVar:
    """Environment variables the stacks set on the gateway's containers (Settings aliases)."""

    PROFILE: Final = "VITRINE_PROFILE"
    CATALOG_TABLE: Final = "VITRINE_CATALOG_TABLE"
    ASSET_BUCKET: Final = "VITRINE_ASSET_BUCKET"
    ASSET_CDN_URL: Final = "VITRINE_ASSET_CDN_URL"
    DATABASE_URL: Final = "DATABASE_URL"
    REDIS_URL: Final = "REDIS_URL"
    COGNITO_USER_POOL_ID: Final = "COGNITO_USER_POOL_ID"
    COGNITO_APP_CLIENT_IDS: Final = "COGNITO_APP_CLIENT_IDS"
    INTROSPECTION: Final = "VITRINE_INTROSPECTION"
    GRAPHIQL: Final = "VITRINE_GRAPHIQL"
    LOG_LEVEL: Final = "VITRINE_LOG_LEVEL"
    METRICS: Final = "VITRINE_METRICS"
    RENDER_QUEUE: Final = "VITRINE_RENDER_QUEUE"
    RENDER_DLQ: Final = "VITRINE_RENDER_DLQ"
    API_KEYS_SECRET_ARN: Final = "VITRINE_API_KEYS_SECRET_ARN"
    DATABASE_SECRET_ARN: Final = "VITRINE_DATABASE_SECRET_ARN"
    REDIS_AUTH_SECRET_ARN: Final = "VITRINE_REDIS_AUTH_SECRET_ARN"
    ORIGIN_VERIFY_SECRET_ARN: Final = "VITRINE_ORIGIN_VERIFY_SECRET_ARN"
    CONSUMERS: Final = "VITRINE_CONSUMERS"
    HOST: Final = "VITRINE_HOST"
    PORT: Final = "VITRINE_PORT"
    PAYMENT_PROVIDER: Final = "VITRINE_PAYMENT_PROVIDER"
    STRIPE_SECRET_ARN: Final = "VITRINE_STRIPE_SECRET_ARN"
    STRIPE_WEBHOOK_SECRET_ARN: Final = "VITRINE_STRIPE_WEBHOOK_SECRET_ARN"
    ANALYTICS_STREAM: Final = "VITRINE_ANALYTICS_STREAM"
    ANALYTICS_SINK: Final = "VITRINE_ANALYTICS_SINK"
    SEARCH_ENGINE: Final = "VITRINE_SEARCH_ENGINE"
    OPENSEARCH_URL: Final = "OPENSEARCH_URL"
    OPENSEARCH_AUTH: Final = "VITRINE_OPENSEARCH_AUTH"
    API_KEYS: Final = "VITRINE_API_KEYS"
    """Set to ``[]`` on the render workers: they serve no API, so they need no keys."""


STRIPE_PROVIDER: Final = "stripe"
"""``VITRINE_PAYMENT_PROVIDER`` of the processes that take payments (gateway, resolvers)."""
KINESIS_SINK: Final = "kinesis"
"""``VITRINE_ANALYTICS_SINK`` on AWS: shopper events go to the Kinesis stream."""
NO_PAYMENTS: Final = "none"
"""``VITRINE_PAYMENT_PROVIDER`` of the processes that take none (workers, indexers)."""

PRODUCTION_PROFILE: Final = "production"
"""The value of ``VITRINE_PROFILE`` on AWS: the gateway then refuses unsafe settings."""

DATABASE_NAME: Final = "vitrine"
DATABASE_USER: Final = "vitrine"
REDIS_PORT: Final = 6380
"""Not the default 6379 (cdk-nag AwsSolutions-AEC5)."""
DATABASE_PORT: Final = 5433
"""The cluster's port, not the default 5432 (AwsSolutions-RDS11); RDS Proxy listens on 5432."""
PROXY_PORT: Final = 5432

ADMIN_GROUP: Final = "admin"
"""Cognito group of merchant admins (``schema.permissions.ADMIN_GROUP``)."""
SHOPPER_GROUP: Final = "shopper"

API_KEY_HEADER: Final = "x-api-key"
AUTHORIZATION_HEADER: Final = "Authorization"
REQUEST_ID_HEADER: Final = "x-request-id"
ORIGIN_VERIFY_HEADER: Final = "x-origin-verify"
"""Added by CloudFront to API origin requests; the gateway refuses requests without it."""
GRAPHQL_PATH: Final = "/graphql"
ASSETS_PATH: Final = "assets"
"""Key prefix of 3D assets and images in the bucket, served by CloudFront at ``/assets/*``."""
RENDERS_PREFIX: Final = "renders/"
UPLOADS_PREFIX: Final = "uploads/"
"""Where shoppers' and merchants' uploads land (``resolvers.asset_jobs.UPLOAD_PREFIX``)."""
MODELS_PREFIX: Final = "models/"
OPENSEARCH_ENGINE: Final = "opensearch"
SEARCH_INDEX_PATTERN: Final = "products*"
"""The indexes behind the search alias (``VITRINE_SEARCH_ALIAS``'s default ``products``)."""
EXTERNAL_CONSUMERS: Final = "external"
"""``VITRINE_CONSUMERS`` of API processes beside a ``vitrine consumers`` service."""
OPENSEARCH_SIGV4: Final = "sigv4"
"""``VITRINE_OPENSEARCH_AUTH`` for the domain (``gateway.settings.OpenSearchAuth.SIGV4``)."""
"""``VITRINE_SEARCH_ENGINE`` on AWS (``gateway.settings.SearchEngineName.OPENSEARCH``)."""
ANALYTICS_EVENTS_PREFIX: Final = "events/"
ANALYTICS_ERRORS_PREFIX: Final = "errors/"
"""Where the ingest worker writes processed models (``render_jobs.ingest.job``)."""
"""Key prefix of rendered derivatives (LODs, posters, turntables) moved to cheaper classes."""


@dataclass(frozen=True)
class Names:
    """Physical names of one deployment (``stage``: prod, staging, a developer's name)."""

    stage: str

    @property
    def prefix(self) -> str:
        """``vitrine-<stage>``."""
        return f"{PROJECT}-{self.stage}"

    def stack(self, concern: str) -> str:
        """CloudFormation stack name, e.g. ``vitrine-prod-data``."""
        return f"{self.prefix}-{concern}"

    @property
    def catalog_table(self) -> str:
        """DynamoDB single table of the catalog."""
        return f"{self.prefix}-catalog"

    def asset_bucket(self, account: str, region: str) -> str:
        """S3 bucket of 3D assets (bucket names are global: account and region included)."""
        return f"{self.prefix}-assets-{account}-{region}"

    def log_bucket(self, account: str, region: str) -> str:
        """S3 bucket of access logs (S3 server access logs, CloudFront standard logs)."""
        return f"{self.prefix}-logs-{account}-{region}"

    @property
    def user_pool(self) -> str:
        """Cognito user pool of shoppers and merchant admins."""
        return f"{self.prefix}-users"

    @property
    def gateway_function(self) -> str:
        """Lambda function running the GraphQL gateway over HTTP."""
        return f"{self.prefix}-gateway"

    @property
    def http_api(self) -> str:
        """API Gateway HTTP API in front of the gateway function (CloudFront's API origin)."""
        return f"{self.prefix}-http"

    @property
    def graphql_api(self) -> str:
        """AppSync GraphQL API (``api_mode=appsync``)."""
        return f"{self.prefix}-graphql"

    @property
    def resolver_function(self) -> str:
        """Lambda function of AppSync's direct Lambda resolvers."""
        return f"{self.prefix}-resolvers"

    @property
    def web_acl(self) -> str:
        """WAF web ACL of the CloudFront distribution."""
        return f"{self.prefix}-edge"

    @property
    def render_queue(self) -> str:
        """SQS queue of render/ingest jobs."""
        return f"{self.prefix}-render-jobs"

    @property
    def render_dead_letter_queue(self) -> str:
        """Its dead-letter queue."""
        return f"{self.prefix}-render-jobs-dlq"

    @property
    def render_cluster(self) -> str:
        """ECS cluster of the GPU render workers."""
        return f"{self.prefix}-render"

    @property
    def render_repository(self) -> str:
        """ECR repository of the render worker's container image."""
        return f"{self.prefix}-render"

    @property
    def render_service(self) -> str:
        """ECS service of the render workers."""
        return f"{self.prefix}-render-workers"

    @property
    def stream_indexer_function(self) -> str:
        """Lambda function indexing catalog changes from the table's stream into search."""
        return f"{self.prefix}-stream-indexer"

    @property
    def stream_indexer_dead_letter_queue(self) -> str:
        """Where stream batches the indexer failed on go (on-failure destination)."""
        return f"{self.prefix}-stream-indexer-dlq"

    @property
    def gateway_repository(self) -> str:
        """ECR repository of the gateway's container image (Dockerfile, target gateway)."""
        return f"{self.prefix}-gateway"

    @property
    def realtime_cluster(self) -> str:
        """ECS (Fargate) cluster of the long-lived gateway processes."""
        return f"{self.prefix}-realtime"

    @property
    def subscriptions_service(self) -> str:
        """ECS service of ``vitrine serve`` for WebSockets and Server-Sent Events."""
        return f"{self.prefix}-subscriptions"

    @property
    def consumers_service(self) -> str:
        """ECS service of ``vitrine consumers`` (search indexing, availability counters)."""
        return f"{self.prefix}-consumers"

    @property
    def realtime_load_balancer(self) -> str:
        """Application Load Balancer of the subscriptions service (at most 32 characters)."""
        return f"{self.prefix}-realtime"[:32]

    @property
    def search_domain(self) -> str:
        """Amazon OpenSearch Service domain of product search (at most 28 characters)."""
        return f"{self.prefix}-search"[:28]

    @property
    def search_access_function(self) -> str:
        """Lambda function (the domain's master user) mapping IAM roles into its security."""
        return f"{self.prefix}-search-access"

    @property
    def analytics_stream(self) -> str:
        """Kinesis data stream of analytics events (``VITRINE_ANALYTICS_STREAM``)."""
        return f"{self.prefix}-analytics"

    @property
    def analytics_delivery_stream(self) -> str:
        """Firehose delivery stream from the analytics stream to S3."""
        return f"{self.prefix}-analytics-to-s3"

    def analytics_bucket(self, account: str, region: str) -> str:
        """S3 bucket of analytics events for offline analysis."""
        return f"{self.prefix}-analytics-{account}-{region}"

    @property
    def alarm_topic(self) -> str:
        """SNS topic of the operational alarms."""
        return f"{self.prefix}-alarms"

    @property
    def trail(self) -> str:
        """CloudTrail trail."""
        return f"{self.prefix}-audit"

    def trail_bucket(self, account: str, region: str) -> str:
        """S3 bucket of CloudTrail log files."""
        return f"{self.prefix}-trail-{account}-{region}"

    @property
    def budget(self) -> str:
        """AWS Budgets monthly cost budget."""
        return f"{self.prefix}-monthly-cost"

    @property
    def dashboard(self) -> str:
        """CloudWatch dashboard."""
        return f"{self.prefix}-overview"

    def secret(self, purpose: str) -> str:
        """Secrets Manager secret name, e.g. ``vitrine/prod/database``."""
        return f"{PROJECT}/{self.stage}/{purpose}"

    def alarm(self, what: str) -> str:
        """CloudWatch alarm name."""
        return f"{self.prefix}-{what}"
