"""The CDK app: ``python -m infra_cdk.app`` (what ``make synth`` runs) or
``cdk --app "python -m infra_cdk.app" deploy --all -c account=... -c region=...``.

Stacks, in deployment order::

    vitrine-<stage>-edge-firewall  (us-east-1)  WAF web ACL
    vitrine-<stage>-data                       VPC, KMS, DynamoDB, S3, Aurora, Redis
    vitrine-<stage>-identity                   Cognito, API keys
    vitrine-<stage>-events                     stream indexer, analytics stream -> S3
    vitrine-<stage>-api                        gateway Lambda + HTTP API   (api_mode=lambda)
                                               or AppSync + resolver Lambda (api_mode=appsync)
    vitrine-<stage>-edge                       CloudFront
    vitrine-<stage>-render                     ECS GPU workers (Spot + on-demand)
    vitrine-<stage>-operations                 alarms, dashboard
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aws_cdk import App, Environment, Stack, Tags
from aws_cdk import aws_lambda as lambda_

from infra_cdk.config import EDGE_REGION, ApiMode, DeployConfig
from infra_cdk.constructs.monitoring import AppSyncSignals, HttpApiSignals, Watched
from infra_cdk.nag import add_aws_solutions_checks
from infra_cdk.names import PROJECT
from infra_cdk.stacks.api import LambdaApiStack
from infra_cdk.stacks.appsync import AppSyncApiStack
from infra_cdk.stacks.data import DataStack
from infra_cdk.stacks.edge import EdgeFirewallStack, EdgeStack
from infra_cdk.stacks.events import EventsStack
from infra_cdk.stacks.identity import IdentityStack
from infra_cdk.stacks.operations import OperationsStack
from infra_cdk.stacks.realtime import RealtimeStack
from infra_cdk.stacks.render import RenderStack
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
    "render_instance_types",
    "render_max_instances",
    "render_image_tag",
    "opensearch_url",
    "monthly_budget_usd",
    "realtime_certificate_arn",
    "gateway_image_tag",
    "max_realtime_tasks",
)


@dataclass(frozen=True)
class VitrineApp:
    """The app and its stacks, for synthesis and for the tests' assertions."""

    app: App
    config: DeployConfig
    data: DataStack
    identity: IdentityStack
    events: EventsStack
    api: LambdaApiStack | AppSyncApiStack
    firewall: EdgeFirewallStack
    edge: EdgeStack
    render: RenderStack
    operations: OperationsStack
    realtime: RealtimeStack | None = None

    @property
    def stacks(self) -> tuple[Stack, ...]:
        """Every stack, in deployment order."""
        return (
            self.firewall,
            self.data,
            self.identity,
            self.events,
            self.api,
            self.edge,
            self.render,
            self.operations,
            *((self.realtime,) if self.realtime is not None else ()),
        )


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
        code=gateway_code,
        env=env,
        stack_name=names.stack("data"),
        termination_protection=True,
    )
    identity = IdentityStack(
        app, "Identity", config=config, env=env, stack_name=names.stack("identity")
    )
    events = EventsStack(
        app,
        "Events",
        config=config,
        data=data,
        code=gateway_code,
        env=env,
        stack_name=names.stack("events"),
    )
    api: LambdaApiStack | AppSyncApiStack
    if config.api_mode is ApiMode.APPSYNC:
        api = AppSyncApiStack(
            app,
            "Api",
            config=config,
            data=data,
            identity=identity,
            code=gateway_code,
            env=env,
            stack_name=names.stack("api"),
        )
        api_domain_name = api.domain_name
        signals: AppSyncSignals | HttpApiSignals = AppSyncSignals(api.graphql.api.api_id)
        function = api.resolver.function
    else:
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
        api_domain_name = api.http_api.domain_name
        signals = HttpApiSignals(api.http_api.api)
        function = api.gateway.function
    api.add_stack_dependency(
        events, "the gateway puts analytics events on the events stack's stream"
    )
    realtime = (
        RealtimeStack(
            app,
            "Realtime",
            config=config,
            data=data,
            identity=identity,
            api=api,
            env=env,
            stack_name=names.stack("realtime"),
        )
        if config.realtime and isinstance(api, LambdaApiStack)
        else None
    )
    edge = EdgeStack(
        app,
        "Edge",
        config=config,
        data=data,
        api_domain_name=api_domain_name,
        realtime_origin_domain=None if realtime is None else config.realtime_origin_domain,
        firewall=firewall,
        origin_verify=config.api_mode is ApiMode.LAMBDA,
        env=env,
        stack_name=names.stack("edge"),
    )
    render = RenderStack(
        app, "Render", config=config, data=data, env=env, stack_name=names.stack("render")
    )
    operations = OperationsStack(
        app,
        "Operations",
        config=config,
        watched=Watched(
            api=signals,
            function=function,
            table=data.catalog.table,
            cluster=data.database.cluster,
            dead_letter_queue=data.jobs.dead_letter_queue,
            analytics_stream=events.analytics.stream,
            stream_indexer=events.indexer.function.function,
            stream_indexer_failures=events.indexer.dead_letter_queue,
        ),
        trail_bucket=data.trail.bucket,
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
        events=events,
        api=api,
        firewall=firewall,
        edge=edge,
        render=render,
        operations=operations,
        realtime=realtime,
    )


def main() -> None:
    """Synthesize into ``CDK_OUTDIR`` (set by the CDK CLI) or ``cdk.out``."""
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    built = build_app(outdir=os.environ.get("CDK_OUTDIR", "cdk.out"))
    built.app.synth()


if __name__ == "__main__":
    main()
