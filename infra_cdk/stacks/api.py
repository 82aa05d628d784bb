"""API, mode ``lambda``: the gateway on Lambda behind an HTTP API."""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra_cdk.config import SOURCE_CODE, DeployConfig
from infra_cdk.constructs.gateway_function import GatewayFunction, GatewayHttpApi, gateway_code
from infra_cdk.constructs.origin_verify import OriginVerifySecret
from infra_cdk.constructs.search_domain import SearchRoleMapping
from infra_cdk.nag import acknowledge
from infra_cdk.names import (
    KINESIS_SINK,
    PRODUCTION_PROFILE,
    SEARCH_INDEX_PATTERN,
    STRIPE_PROVIDER,
    EnvVar,
)
from infra_cdk.stacks.data import DataStack, search_environment
from infra_cdk.stacks.identity import IdentityStack

GATEWAY_SEARCH_ROLE = "vitrine_gateway"
"""The OpenSearch role of the gateway (either API mode): searches and event-driven indexing."""
API_RATE_LIMIT = 2000
API_BURST_LIMIT = 4000


CATALOG_ACTIONS = (
    "dynamodb:DescribeTable",
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:Query",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:ConditionCheckItem",
)
"""What the catalog adapter does (transactions are authorised per item action); no Scan."""
ASSET_READ_ACTIONS = ("s3:GetObject",)
KEY_ACTIONS = ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey")
"""DynamoDB and S3 use the data key on the caller's behalf."""
SECRET_ACTIONS = ("secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret")
ANALYTICS_ACTIONS = ("kinesis:PutRecord", "kinesis:PutRecords")
QUEUE_ACTIONS = ("sqs:SendMessage", "sqs:GetQueueUrl", "sqs:GetQueueAttributes")
"""The gateway enqueues ingest jobs and checks the queues (/readyz); workers consume."""


def catalog_table_arn(config: DeployConfig) -> str:
    """The catalog table's ARN, from its fixed name (literal, so that findings and policies
    read the same in every synth)."""
    return f"arn:aws:dynamodb:{config.region}:{config.account}:table/{config.names.catalog_table}"


def asset_bucket_arn(config: DeployConfig) -> str:
    """The asset bucket's ARN, from its fixed name."""
    return f"arn:aws:s3:::{config.names.asset_bucket(config.account, config.region)}"


def grant_gateway_data_access(
    scope: Construct,
    role: iam.IRole,
    *,
    config: DeployConfig,
    data: DataStack,
    identity: IdentityStack,
    origin_verify: OriginVerifySecret | None,
    search_role: str = GATEWAY_SEARCH_ROLE,
) -> iam.Policy:
    """Least privilege: the named actions on this deployment's table, bucket, key and
    secrets only (explicit statements rather than the L2 ``grant_*`` helpers, whose
    wildcard actions such as ``s3:GetObject*`` grant more than the gateway uses).
    ``origin_verify`` None: the AppSync resolver function, which AppSync authenticates for
    (no API keys or origin-verify secret)."""
    table_arn = catalog_table_arn(config)
    bucket_arn = asset_bucket_arn(config)
    statements = [
        iam.PolicyStatement(
            sid="CatalogTable",
            actions=list(CATALOG_ACTIONS),
            resources=[table_arn, f"{table_arn}/index/*"],
        ),
        iam.PolicyStatement(
            sid="AssetBucketRead",
            actions=list(ASSET_READ_ACTIONS),
            resources=[f"{bucket_arn}/*"],
        ),
        iam.PolicyStatement(
            sid="AssetBucketCheck", actions=["s3:ListBucket"], resources=[bucket_arn]
        ),
        iam.PolicyStatement(sid="DataKey", actions=list(KEY_ACTIONS), resources=[data.key.key_arn]),
        iam.PolicyStatement(
            sid="Secrets",
            actions=list(SECRET_ACTIONS),
            resources=[
                data.database.secret.secret_arn,
                data.redis.auth_token.secret_arn,
                identity.stripe.api_key.secret_arn,
                identity.stripe.webhook.secret_arn,
                *(
                    ()
                    if origin_verify is None
                    else (identity.api_keys.secret.secret_arn, origin_verify.secret.secret_arn)
                ),
            ],
        ),
        iam.PolicyStatement(
            sid="AnalyticsStream",
            actions=list(ANALYTICS_ACTIONS),
            resources=[
                f"arn:aws:kinesis:{config.region}:{config.account}:stream/"
                f"{config.names.analytics_stream}"
            ],
        ),
        iam.PolicyStatement(
            sid="JobQueues",
            actions=list(QUEUE_ACTIONS),
            resources=[
                data.jobs.queue.queue_arn,
                data.jobs.dead_letter_queue.queue_arn,
            ],
        ),
    ]
    policy = iam.Policy(scope, "GatewayDataAccess", statements=statements, roles=[role])
    if data.search is not None:
        SearchRoleMapping(
            scope,
            "SearchAccess",
            search=data.search,
            role=role,
            opensearch_role=search_role,
            index_pattern=SEARCH_INDEX_PATTERN,
        )
    acknowledge(
        policy,
        f"AwsSolutions-IAM5[Resource::{table_arn}/index/*]",
        "The catalog table's own GSIs (by_kind): DynamoDB names index ARNs under the table.",
    )
    acknowledge(
        policy,
        f"AwsSolutions-IAM5[Resource::{bucket_arn}/*]",
        "s3:GetObject on the asset bucket's objects: 3D files and images are keyed by "
        "content hash, so object ARNs cannot be listed in advance.",
    )
    return policy


def gateway_environment(
    config: DeployConfig,
    data: DataStack,
    identity: IdentityStack,
    origin_verify: OriginVerifySecret | None,
) -> dict[str, str]:
    """The gateway's settings on AWS (``gateway.settings.Settings`` reads these names).
    Secrets go by ARN: the gateway reads them from Secrets Manager at cold start.
    ``origin_verify`` None: the AppSync resolver function (AppSync checks API keys and
    tokens; the function accepts no API key of its own)."""
    search = search_environment(config, data)
    keys = (
        {EnvVar.API_KEYS: "[]"}
        if origin_verify is None
        else {
            EnvVar.API_KEYS_SECRET_ARN: identity.api_keys.secret.secret_arn,
            EnvVar.ORIGIN_VERIFY_SECRET_ARN: origin_verify.secret.secret_arn,
        }
    )
    return {
        **search,
        **keys,
        EnvVar.PROFILE: PRODUCTION_PROFILE,
        EnvVar.CATALOG_TABLE: data.catalog.table.table_name,
        EnvVar.ASSET_BUCKET: data.assets.bucket.bucket_name,
        EnvVar.ASSET_CDN_URL: config.public_url,
        EnvVar.DATABASE_URL: data.database.url(),
        EnvVar.REDIS_URL: data.redis.url(),
        EnvVar.DATABASE_SECRET_ARN: data.database.secret.secret_arn,
        EnvVar.REDIS_AUTH_SECRET_ARN: data.redis.auth_token.secret_arn,
        EnvVar.PAYMENT_PROVIDER: STRIPE_PROVIDER,
        EnvVar.STRIPE_SECRET_ARN: identity.stripe.api_key.secret_arn,
        EnvVar.STRIPE_WEBHOOK_SECRET_ARN: identity.stripe.webhook.secret_arn,
        EnvVar.RENDER_QUEUE: data.jobs.queue.queue_name,
        EnvVar.RENDER_DLQ: data.jobs.dead_letter_queue.queue_name,
        EnvVar.ANALYTICS_STREAM: config.names.analytics_stream,
        EnvVar.ANALYTICS_SINK: KINESIS_SINK,
        EnvVar.METRICS: "true",
        EnvVar.COGNITO_USER_POOL_ID: identity.users.user_pool.user_pool_id,
        EnvVar.COGNITO_APP_CLIENT_IDS: identity.users.client.user_pool_client_id,
        EnvVar.INTROSPECTION: "false",
        EnvVar.GRAPHIQL: "false",
        EnvVar.LOG_LEVEL: "INFO",
    }


class LambdaApiStack(Stack):
    """The gateway function with least-privilege grants on the data it uses."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: DeployConfig,
        data: DataStack,
        identity: IdentityStack,
        code: lambda_.Code | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        names = config.names
        self.origin_verify = OriginVerifySecret(
            self, "OriginVerify", secret_name=names.secret("origin-verify")
        )
        self.gateway_environment = gateway_environment(config, data, identity, self.origin_verify)
        self.gateway = GatewayFunction(
            self,
            "Gateway",
            function_name=names.gateway_function,
            code=code
            or gateway_code(
                config.lambda_code_path(), from_source=config.lambda_code == SOURCE_CODE
            ),
            vpc=data.network.vpc,
            subnets=data.network.app_subnets,
            security_group=data.gateway_security_group,
            environment=self.gateway_environment,
            key=data.key,
        )
        function = self.gateway.function
        self.data_access = grant_gateway_data_access(
            self,
            self.gateway.role,
            config=config,
            data=data,
            identity=identity,
            origin_verify=self.origin_verify,
        )
        self.http_api = GatewayHttpApi(
            self,
            "Http",
            api_name=names.http_api,
            function=function,
            rate_limit=API_RATE_LIMIT,
            burst_limit=API_BURST_LIMIT,
        )
