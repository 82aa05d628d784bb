"""AWS AppSync: the exported SDL (translated for AppSync) with direct Lambda resolvers."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import jsii
from aws_cdk import Duration, Expiration, Stack
from aws_cdk import aws_appsync as appsync
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct
from graphql import ObjectTypeDefinitionNode, ObjectTypeExtensionNode, parse

from infra_cdk.nag import acknowledge

MAX_BATCH_SIZE = 100
"""Items per BatchInvoke (AppSync allows up to 2000); the handler batches their data-source
calls with its loaders, so one invocation serves a whole list of parents."""
API_KEY_LIFETIME = Duration.days(365)
"""AppSync's longest; rotate by adding a key before the old one expires."""


@dataclass(frozen=True)
class ResolverEntry:
    """One field with a resolver, from ``schema/resolver-map.json``."""

    type_name: str
    field_name: str
    cache_ttl_seconds: int | None = None
    """The pipeline's resolver-cache TTL: AppSync caches the field as long (public fields
    only: the project caches no owner-scoped field)."""


CACHE_TYPE = "SMALL"
"""AppSync's cache instance size; the cached fields are small and few."""


def load_resolvers(path: Path) -> list[ResolverEntry]:
    """The fields with resolvers, read from the JSON that ``vitrine schema export`` writes."""
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: run `vitrine schema export`")
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    entries = [
        ResolverEntry(
            r["typeName"],
            r["fieldName"],
            None if r.get("cacheTtlSeconds") is None else int(r["cacheTtlSeconds"]),
        )
        for r in document["resolvers"]
    ]
    if not entries:
        raise ValueError(f"{path} lists no resolvers")
    return entries


def field_arguments(sdl: str) -> dict[str, tuple[str, ...]]:
    """``Type.field`` -> its argument names, for the caching keys of cached fields."""
    document = parse(sdl)
    found: dict[str, tuple[str, ...]] = {}
    for definition in document.definitions:
        if isinstance(definition, ObjectTypeDefinitionNode | ObjectTypeExtensionNode):
            for field in definition.fields or ():
                found[f"{definition.name.value}.{field.name.value}"] = tuple(
                    argument.name.value for argument in field.arguments or ()
                )
    return found


@jsii.implements(appsync.ISchemaConfig)
class _SchemaConfig:
    """jsii reads interface members through properties (plain attributes are not seen)."""

    def __init__(self, api_id: str, definition: str) -> None:
        self._api_id = api_id
        self._definition = definition

    @property
    def api_id(self) -> str:
        return self._api_id

    @property
    def definition(self) -> str:
        return self._definition


@jsii.implements(appsync.ISchema)
class InlineSchema:
    """An SDL string as an AppSync schema definition (CDK's SchemaFile reads a file)."""

    def __init__(self, sdl: str) -> None:
        self._sdl = sdl

    def bind(self, api: Any) -> appsync.ISchemaConfig:
        """The schema for ``api`` (a GraphqlApi: jsii passes it as IGraphQLApiRef)."""
        config: Any = _SchemaConfig(str(api.api_id), self._sdl)
        return cast(appsync.ISchemaConfig, config)


class GraphqlApi(Construct):
    """The API (Cognito user pool by default, API key as the additional mode, X-Ray, error
    logs), one Lambda data source, and a direct Lambda resolver with BatchInvoke on every
    field that has a pipeline."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name: str,
        sdl: str,
        resolvers: Sequence[ResolverEntry],
        function: lambda_.IFunction,
        user_pool: cognito.IUserPool,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.log_role = iam.Role(
            self,
            "LogRole",
            assumed_by=iam.ServicePrincipal("appsync.amazonaws.com"),
            description="AppSync writes its request and resolver logs",
        )
        log_groups = f"arn:aws:logs:{stack.region}:{stack.account}:log-group:/aws/appsync/apis/*"
        self.log_role.add_to_policy(
            iam.PolicyStatement(
                sid="AppSyncLogs",
                actions=["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[log_groups],
            )
        )
        acknowledge(
            self.log_role,
            f"AwsSolutions-IAM5[Resource::{log_groups}]",
            "AppSync names its log group after the API id, which exists only once the API "
            "does; the role may write AppSync API log groups of this account and region "
            "only (CDK's log-retention helper makes the group, with a retention).",
        )
        self.api = appsync.GraphqlApi(
            self,
            "Api",
            name=name,
            definition=appsync.Definition.from_schema(InlineSchema(sdl)),
            authorization_config=appsync.AuthorizationConfig(
                default_authorization=appsync.AuthorizationMode(
                    authorization_type=appsync.AuthorizationType.USER_POOL,
                    user_pool_config=appsync.UserPoolConfig(
                        user_pool=user_pool, default_action=appsync.UserPoolDefaultAction.ALLOW
                    ),
                ),
                additional_authorization_modes=[
                    appsync.AuthorizationMode(
                        authorization_type=appsync.AuthorizationType.API_KEY,
                        api_key_config=appsync.ApiKeyConfig(
                            name="storefront",
                            description="Storefront reads and carts (anonymous shoppers)",
                            expires=Expiration.after(API_KEY_LIFETIME),
                        ),
                    )
                ],
            ),
            log_config=appsync.LogConfig(
                field_log_level=appsync.FieldLogLevel.ERROR,
                exclude_verbose_content=True,
                role=self.log_role,
                retention=logs.RetentionDays.ONE_MONTH,
            ),
            xray_enabled=True,
            introspection_config=appsync.IntrospectionConfig.DISABLED,
            query_depth_limit=15,
        )
        acknowledge(
            self.api,
            "AwsSolutions-ASC3",
            "Resolver errors are logged (field level ERROR, no verbose content) and every "
            "request's resolver calls are logged by the function with its request id; "
            "logging every field of every request would cost more than the API at scale.",
        )
        for child in stack.node.children:
            # CDK's log-retention custom resource (the API's log group, made at deploy)
            if child.node.id.startswith("LogRetention"):
                acknowledge(
                    child,
                    "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/"
                    "service-role/AWSLambdaBasicExecutionRole]",
                    "CDK's log-retention helper function writes only its own logs with the "
                    "AWS basic execution policy; it runs at deploy time, never on requests.",
                )
                acknowledge(
                    child,
                    "AwsSolutions-IAM5[Resource::*]",
                    "CDK's log-retention helper sets the retention of the AppSync log group, "
                    "whose name is known only at deploy time; it touches no data.",
                )
        self.data_source = self.api.add_lambda_data_source(
            "Resolvers",
            function,
            description="gateway.lambda_appsync: the project's resolver pipelines",
        )
        cached = [entry for entry in resolvers if entry.cache_ttl_seconds]
        self.cache: appsync.CfnApiCache | None = None
        if cached:
            self.cache = appsync.CfnApiCache(
                self,
                "Cache",
                api_id=self.api.api_id,
                api_caching_behavior="PER_RESOLVER_CACHING",
                type=CACHE_TYPE,
                ttl=max(entry.cache_ttl_seconds or 0 for entry in cached),
                at_rest_encryption_enabled=True,
                transit_encryption_enabled=True,
            )
        arguments = field_arguments(sdl)
        self.resolvers: dict[str, appsync.Resolver] = {}
        for entry in resolvers:
            coordinate = f"{entry.type_name}.{entry.field_name}"
            caching = (
                appsync.CachingConfig(
                    ttl=Duration.seconds(entry.cache_ttl_seconds),
                    caching_keys=[
                        f"$context.arguments.{name}" for name in arguments.get(coordinate, ())
                    ],
                )
                if entry.cache_ttl_seconds
                else None
            )
            resolver = self.data_source.create_resolver(
                f"{entry.type_name}{entry.field_name[0].upper()}{entry.field_name[1:]}",
                type_name=entry.type_name,
                field_name=entry.field_name,
                max_batch_size=MAX_BATCH_SIZE,
                caching_config=caching,
            )
            if caching is not None and self.cache is not None:
                resolver.node.add_dependency(self.cache)
            self.resolvers[coordinate] = resolver
        function_logical_id = stack.resolve(
            stack.get_logical_id(function.node.default_child)  # type: ignore[arg-type]
        )
        acknowledge(
            self.data_source,
            f"AwsSolutions-IAM5[Resource::<{function_logical_id}.Arn>:*]",
            "CDK's grant lets AppSync invoke the resolver function and its versions/aliases "
            "(ARN suffix :*) only.",
        )
