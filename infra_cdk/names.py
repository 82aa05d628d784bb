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
    API_KEYS: Final = "VITRINE_API_KEYS"
    COGNITO_USER_POOL_ID: Final = "COGNITO_USER_POOL_ID"
    COGNITO_APP_CLIENT_IDS: Final = "COGNITO_APP_CLIENT_IDS"
    INTROSPECTION: Final = "VITRINE_INTROSPECTION"
    GRAPHIQL: Final = "VITRINE_GRAPHIQL"
    LOG_LEVEL: Final = "VITRINE_LOG_LEVEL"


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
GRAPHQL_PATH: Final = "/graphql"
ASSETS_PATH: Final = "assets"
"""Key prefix of 3D assets and images in the bucket, served by CloudFront at ``/assets/*``."""
RENDERS_PREFIX: Final = "renders/"
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
    def web_acl(self) -> str:
        """WAF web ACL of the CloudFront distribution."""
        return f"{self.prefix}-edge"

    @property
    def alarm_topic(self) -> str:
        """SNS topic of the operational alarms."""
        return f"{self.prefix}-alarms"

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
