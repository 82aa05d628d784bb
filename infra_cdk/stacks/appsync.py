"""API, mode ``appsync``: AWS AppSync with the exported SDL and direct Lambda resolvers
running the project's resolver pipelines (``gateway.lambda_appsync.handler``)."""

from __future__ import annotations

from typing import Any

from aws_cdk import Duration, Fn, Stack
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra_cdk.appsync_schema import appsync_sdl_from_file
from infra_cdk.config import REPO_ROOT, SOURCE_CODE, DeployConfig
from infra_cdk.constructs.gateway_function import GatewayFunction, gateway_code
from infra_cdk.constructs.graphql_api import GraphqlApi, load_resolvers
from infra_cdk.stacks.api import gateway_environment, grant_gateway_data_access
from infra_cdk.stacks.data import DataStack
from infra_cdk.stacks.identity import IdentityStack

HANDLER = "gateway.lambda_appsync.handler"
SCHEMA_PATH = REPO_ROOT / "schema" / "schema.graphql"
RESOLVERS_PATH = REPO_ROOT / "schema" / "resolver-map.json"
TIMEOUT = Duration.seconds(25)
"""Below AppSync's 30 s resolver limit."""


class AppSyncApiStack(Stack):
    """The resolver function (the gateway's code and grants, no API keys or origin-verify
    secret: AppSync authenticates) and the GraphQL API."""

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
        self.resolver_environment = gateway_environment(config, data, identity, None)
        self.resolver = GatewayFunction(
            self,
            "ResolverFunction",
            function_name=names.resolver_function,
            code=code
            or gateway_code(
                config.lambda_code_path(), from_source=config.lambda_code == SOURCE_CODE
            ),
            vpc=data.network.vpc,
            subnets=data.network.app_subnets,
            security_group=data.gateway_security_group,
            environment=self.resolver_environment,
            key=data.key,
            handler=HANDLER,
            timeout=TIMEOUT,
            description="Vitrine AppSync direct Lambda resolvers",
        )
        self.data_access = grant_gateway_data_access(
            self,
            self.resolver.role,
            config=config,
            data=data,
            identity=identity,
            origin_verify=None,
        )
        self.graphql = GraphqlApi(
            self,
            "GraphQL",
            name=names.graphql_api,
            sdl=appsync_sdl_from_file(SCHEMA_PATH),
            resolvers=load_resolvers(RESOLVERS_PATH),
            function=self.resolver.function,
            user_pool=identity.users.user_pool,
        )

    @property
    def domain_name(self) -> str:
        """``<id>.appsync-api.<region>.amazonaws.com`` (its path is ``/graphql``)."""
        return Fn.select(2, Fn.split("/", self.graphql.api.graphql_url))
