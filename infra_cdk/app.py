"""The CDK app: ``python -m infra_cdk.app`` (what ``make synth`` runs) or
``cdk --app "python -m infra_cdk.app" deploy --all -c account=... -c region=...``.

Stacks, in deployment order::

    vitrine-<stage>-edge-firewall  (us-east-1)  WAF web ACL
    vitrine-<stage>-data                       VPC, KMS, DynamoDB, S3, Aurora, Redis
    vitrine-<stage>-identity                   Cognito, API keys
    vitrine-<stage>-api                        gateway Lambda + HTTP API   (api_mode=lambda)
    vitrine-<stage>-edge                       CloudFront
    vitrine-<stage>-operations                 alarms, dashboard

``api_mode=appsync`` (AppSync with direct Lambda resolvers), the render (GPU) stack and the
events/analytics stack plug in here as further stacks over the same Data and Identity
stacks; they are not built yet.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aws_cdk import App, Environment, Stack, Tags
from aws_cdk import aws_lambda as lambda_

from infra_cdk.config import EDGE_REGION, ApiMode, ConfigError, DeployConfig
from infra_cdk.constructs.monitoring import Watched
from infra_cdk.nag import add_aws_solutions_checks
from infra_cdk.names import PROJECT
from infra_cdk.stacks.api import LambdaApiStack
from infra_cdk.stacks.data import DataStack
from infra_cdk.stacks.edge import EdgeFirewallStack, EdgeStack
from infra_cdk.stacks.identity import IdentityStack
from infra_cdk.stacks.operations import OperationsStack
from infra_cdk.table_spec import TableSpec, load_catalog_table_spec

CONTEXT_KEYS = (
    "account",
    "region",
    "stage",
    "api_mode",
    "domain_name",
    "certificate_arn",
    "hosted_zone_id",
    "hosted_zone_name",
    "hosted_ui_domain_prefix",
    "availability_zones",
    "lambda_code",
    "alarm_emails",
    "rate_limit_per_5_minutes",
    "max_request_body_bytes",
    "cors_origins",
)


@dataclass(frozen=True)
class VitrineApp:
    """The app and its stacks, for synthesis and for the tests' assertions."""

    app: App
    config: DeployConfig
    data: DataStack
    identity: IdentityStack
    api: LambdaApiStack
    firewall: EdgeFirewallStack
    edge: EdgeStack
    operations: OperationsStack

    @property
    def stacks(self) -> tuple[Stack, ...]:
        """Every stack, in deployment order."""
        return (self.firewall, self.data, self.identity, self.api, self.edge, self.operations)


def _context(app: App) -> dict[str, Any]:
    return {
        key: value for key in CONTEXT_KEYS if (value := app.node.try_get_context(key)) is not None
    }


def build_app(
    context: Mapping[str, Any] | None = None,
    *,
    outdir: str | None = None,
    table_spec: TableSpec | None = None,
    gateway_code: lambda_.Code | None = None,
    nag: bool = True,
) -> VitrineApp:
    """Build every stack (no AWS calls). ``context`` adds to what the CDK CLI passes."""
    app = App(outdir=outdir, context=dict(context or {}))
    config = DeployConfig.from_context(_context(app))
    if config.api_mode is not ApiMode.LAMBDA:
        raise ConfigError(
            f"api_mode={config.api_mode.value} is not built yet: only 'lambda' deploys today"
        )
    names = config.names
    env = Environment(account=config.account, region=config.region)
    edge_env = Environment(account=config.account, region=EDGE_REGION)
    firewall = EdgeFirewallStack(
        app, "EdgeFirewall", config=config, env=edge_env, stack_name=names.stack("edge-firewall")
    )
    data = DataStack(
        app,
        "Data",
        config=config,
        table_spec=table_spec or load_catalog_table_spec(),
        env=env,
        stack_name=names.stack("data"),
        termination_protection=True,
    )
    identity = IdentityStack(
        app, "Identity", config=config, env=env, stack_name=names.stack("identity")
    )
    api = LambdaApiStack(
        app,
        "Api",
        config=config,
        data=data,
        identity=identity,
        code=gateway_code,
        env=env,
        stack_name=names.stack("api"),
    )
    edge = EdgeStack(
        app,
        "Edge",
        config=config,
        data=data,
        api_domain_name=api.http_api.domain_name,
        firewall=firewall,
        env=env,
        stack_name=names.stack("edge"),
    )
    operations = OperationsStack(
        app,
        "Operations",
        config=config,
        watched=Watched(
            http_api=api.http_api.api,
            function=api.gateway.function,
            table=data.catalog.table,
            cluster=data.database.cluster,
        ),
        env=env,
        stack_name=names.stack("operations"),
    )
    for key, value in (("project", PROJECT), ("stage", config.stage)):
        # CloudFormation's schema has no Tags on proxy target groups (CDK tags them anyway).
        Tags.of(app).add(key, value, exclude_resource_types=["AWS::RDS::DBProxyTargetGroup"])
    if nag:
        add_aws_solutions_checks(app)
    return VitrineApp(
        app=app,
        config=config,
        data=data,
        identity=identity,
        api=api,
        firewall=firewall,
        edge=edge,
        operations=operations,
    )


def main() -> None:
    """Synthesize into ``CDK_OUTDIR`` (set by the CDK CLI) or ``cdk.out``."""
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    built = build_app(outdir=os.environ.get("CDK_OUTDIR", "cdk.out"))
    built.app.synth()


if __name__ == "__main__":
    main()
