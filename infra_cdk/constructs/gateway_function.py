"""The GraphQL gateway on Lambda (Mangum over the FastAPI app) behind an HTTP API."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import jsii
from aws_cdk import Duration, IgnoreMode, RemovalPolicy, Stack
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra_cdk.nag import acknowledge
from infra_cdk.names import GRAPHQL_PATH

HANDLER = "gateway.lambda_http.handler"
RUNTIME = lambda_.Runtime.PYTHON_3_11
MEMORY_MB = 1769
"""One full vCPU: GraphQL execution is CPU-bound Python."""
TIMEOUT = Duration.seconds(25)
"""Below the HTTP API's 30 s integration limit."""

SOURCE_PACKAGES = ("gateway", "schema", "resolvers", "datasources")
SOURCE_EXCLUDES = [
    "/*",
    *(f"!/{package}/" for package in SOURCE_PACKAGES),
    "**/__pycache__/",
    "**/node_modules/",
    "**/*.pyc",
]
"""Git-style patterns: only the runtime packages the handler imports (not render_jobs,
tests, infra_cdk or the virtualenv)."""


def gateway_code(path: Path, *, from_source: bool) -> lambda_.Code:
    """The function's code: a prepared bundle directory (``make lambda-bundle``: packages
    and their Linux wheels), or for synth tests the source tree without dependencies."""
    if not path.is_dir():
        raise FileNotFoundError(
            f"Lambda bundle {path} not found: run `make lambda-bundle` (or pass "
            "-c lambda_code=source to synthesize without dependencies)"
        )
    if from_source:
        return lambda_.Code.from_asset(
            str(path), exclude=SOURCE_EXCLUDES, ignore_mode=IgnoreMode.GIT
        )
    return lambda_.Code.from_asset(str(path), exclude=["**/__pycache__/"])


class GatewayFunction(Construct):
    """The function with its own role (logs to its log group, VPC interfaces, nothing else
    until the stack grants data access), in the private subnets, environment encrypted with
    the data key, X-Ray tracing on."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        function_name: str,
        code: lambda_.Code,
        vpc: ec2.IVpc,
        subnets: ec2.SubnetSelection,
        security_group: ec2.ISecurityGroup,
        environment: Mapping[str, str],
        key: kms.IKey,
        handler: str = HANDLER,
        memory_size: int = MEMORY_MB,
        timeout: Duration = TIMEOUT,
        description: str = "Vitrine gateway function",
    ) -> None:
        super().__init__(scope, construct_id)
        self.log_group = logs.LogGroup(
            self,
            "Logs",
            log_group_name=f"/aws/lambda/{function_name}",
            retention=logs.RetentionDays.ONE_MONTH,
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=description,
        )
        self.log_group.grant_write(self.role)
        self.role.add_to_policy(
            iam.PolicyStatement(
                sid="VpcNetworkInterfaces",
                actions=[
                    "ec2:CreateNetworkInterface",
                    "ec2:DescribeNetworkInterfaces",
                    "ec2:DescribeSubnets",
                    "ec2:DeleteNetworkInterface",
                    "ec2:AssignPrivateIpAddresses",
                    "ec2:UnassignPrivateIpAddresses",
                ],
                resources=["*"],
            )
        )
        self.function = lambda_.Function(
            self,
            "Function",
            function_name=function_name,
            runtime=RUNTIME,
            architecture=lambda_.Architecture.ARM_64,
            handler=handler,
            code=code,
            memory_size=memory_size,
            timeout=timeout,
            role=self.role,
            log_group=self.log_group,
            logging_format=lambda_.LoggingFormat.JSON,
            vpc=vpc,
            vpc_subnets=subnets,
            security_groups=[security_group],
            environment=dict(environment),
            environment_encryption=key,
            tracing=lambda_.Tracing.ACTIVE,
        )
        acknowledge(
            self.role,
            "AwsSolutions-IAM5[Resource::*]",
            "EC2 network-interface actions that attach a Lambda function to its VPC and "
            "X-Ray's PutTraceSegments/PutTelemetryRecords support no resource-level "
            "permissions; no data action is granted on '*'.",
        )
        acknowledge(
            self.function,
            "AwsSolutions-L1",
            "The runtime is pinned to the Python the project is tested with "
            "(requires-python, CI); move with the project, not ahead of it.",
        )


ACCESS_LOG_FIELDS = {
    "requestId": "$context.requestId",
    "ip": "$context.identity.sourceIp",
    "requestTime": "$context.requestTimeEpoch",
    "method": "$context.httpMethod",
    "route": "$context.routeKey",
    "status": "$context.status",
    "responseLength": "$context.responseLength",
    "responseLatency": "$context.responseLatency",
    "integrationLatency": "$context.integrationLatency",
    "integrationError": "$context.integrationErrorMessage",
}
"""One JSON line per request (no headers, so no credentials or tokens)."""


@jsii.implements(apigwv2.IAccessLogSettings)
class _AccessLogs:
    """HTTP API access-log settings (a jsii interface, not a struct)."""

    def __init__(self, destination: apigwv2.IAccessLogDestination) -> None:
        self._destination = destination

    @property
    def destination(self) -> apigwv2.IAccessLogDestination:
        """The log group."""
        return self._destination

    @property
    def format(self) -> apigateway.AccessLogFormat:
        """JSON lines of :data:`ACCESS_LOG_FIELDS`."""
        return apigateway.AccessLogFormat.custom(json.dumps(ACCESS_LOG_FIELDS))


class GatewayHttpApi(Construct):
    """An HTTP API routing /graphql and /healthz to the function: CloudFront's API origin,
    with stage throttling and JSON access logs."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        api_name: str,
        function: lambda_.IFunction,
        rate_limit: int,
        burst_limit: int,
    ) -> None:
        super().__init__(scope, construct_id)
        self.api = apigwv2.HttpApi(self, "Api", api_name=api_name, create_default_stage=False)
        integration = integrations.HttpLambdaIntegration(
            "Gateway",
            function,
            payload_format_version=apigwv2.PayloadFormatVersion.VERSION_2_0,
        )
        self.api.add_routes(
            path=GRAPHQL_PATH,
            methods=[apigwv2.HttpMethod.GET, apigwv2.HttpMethod.POST],
            integration=integration,
        )
        self.api.add_routes(
            path="/healthz", methods=[apigwv2.HttpMethod.GET], integration=integration
        )
        self.access_logs = logs.LogGroup(
            self,
            "AccessLogs",
            retention=logs.RetentionDays.ONE_MONTH,
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.stage = apigwv2.HttpStage(
            self,
            "Stage",
            http_api=self.api,
            stage_name="$default",
            auto_deploy=True,
            throttle=apigwv2.ThrottleSettings(rate_limit=rate_limit, burst_limit=burst_limit),
            detailed_metrics_enabled=True,
            access_log_settings=_AccessLogs(apigwv2.LogGroupLogDestination(self.access_logs)),
        )
        for route in self.api.node.find_all():
            if isinstance(route, apigwv2.HttpRoute):
                acknowledge(
                    route,
                    "AwsSolutions-APIG4",
                    "The gateway authenticates every request itself as AppSync does: an "
                    "x-api-key or a Cognito token verified against the user pool's keys; "
                    "anonymous callers can read nothing.",
                )

    @property
    def domain_name(self) -> str:
        """``<api-id>.execute-api.<region>.amazonaws.com``."""
        return f"{self.api.api_id}.execute-api.{Stack.of(self).region}.{Stack.of(self).url_suffix}"
