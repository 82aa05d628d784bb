"""Realtime (``api_mode=lambda`` with context ``realtime_certificate_arn``): the gateway's
long-lived processes on ECS Fargate. ``vitrine serve`` behind an Application Load Balancer
answers WebSockets (``/graphql/ws``, ``/graphql/realtime``) and Server-Sent Events
(``/graphql/stream``), which CloudFront routes here; ``vitrine consumers`` follows the
domain events. Both run with ``VITRINE_CONSUMERS=external`` over ElastiCache Redis."""

from __future__ import annotations

from typing import Any

from aws_cdk import Duration, Stack
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_route53 as route53
from aws_cdk import aws_route53_targets as targets
from constructs import Construct

from infra_cdk.config import DeployConfig
from infra_cdk.constructs.containers import image_repository
from infra_cdk.constructs.fargate_gateway import (
    CONTAINER_PORT,
    FargateGatewayService,
    FargateGatewayTask,
)
from infra_cdk.nag import acknowledge
from infra_cdk.names import EXTERNAL_CONSUMERS, EnvVar
from infra_cdk.stacks.api import (
    KEY_ACTIONS,
    SECRET_ACTIONS,
    LambdaApiStack,
    gateway_environment,
    grant_gateway_data_access,
)
from infra_cdk.stacks.data import DataStack
from infra_cdk.stacks.identity import IdentityStack

SUBSCRIPTIONS_SEARCH_ROLE = "vitrine_subscriptions"
CONSUMERS_SEARCH_ROLE = "vitrine_consumers"
IDLE_TIMEOUT = Duration.hours(1)
"""How long the load balancer keeps a quiet connection (keep-alives come far more often)."""
CPU_TARGET_PERCENT = 60
MEMORY_TARGET_PERCENT = 70
"""Open subscriptions cost memory more than CPU: scale on whichever fills first."""


class RealtimeStack(Stack):
    """The gateway image's repository, a Fargate cluster, the subscriptions service behind
    its load balancer (two tasks at least, one per zone, scaled on CPU and memory) and the
    consumers service."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: DeployConfig,
        data: DataStack,
        identity: IdentityStack,
        api: LambdaApiStack,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        if config.realtime_certificate_arn is None or config.hosted_zone_id is None:
            raise ValueError("the realtime stack needs a regional certificate and a hosted zone")
        names = config.names
        vpc = data.network.vpc
        self.repository = image_repository(self, "Images", names.gateway_repository)
        image = ecs.ContainerImage.from_ecr_repository(self.repository, config.gateway_image_tag)
        self.cluster = ecs.Cluster(
            self,
            "Cluster",
            cluster_name=names.realtime_cluster,
            vpc=vpc,
            container_insights_v2=ecs.ContainerInsights.ENABLED,
        )
        environment = {
            **gateway_environment(config, data, identity, api.origin_verify),
            EnvVar.CONSUMERS: EXTERNAL_CONSUMERS,
            EnvVar.HOST: "0.0.0.0",
            EnvVar.PORT: str(CONTAINER_PORT),
        }
        self.load_balancer_group = ec2.SecurityGroup(
            self,
            "LoadBalancerSecurityGroup",
            vpc=vpc,
            description="Realtime load balancer: HTTPS from CloudFront",
            allow_all_outbound=False,
        )
        self.load_balancer_group.add_ingress_rule(
            ec2.Peer.any_ipv4(),
            ec2.Port.tcp(443),
            "CloudFront (the gateway checks x-origin-verify)",
        )
        acknowledge(
            self.load_balancer_group,
            "AwsSolutions-EC23",
            "CloudFront reaches the origin from its edge addresses; every request must carry "
            "the x-origin-verify value, which the gateway checks, so direct calls are refused.",
        )
        self.task_group = ec2.SecurityGroup(
            self,
            "TaskSecurityGroup",
            vpc=vpc,
            description="Subscriptions tasks: the gateway port from the load balancer only",
            allow_all_outbound=False,
        )
        # The data stores admit the gateway's group; the tasks join it without this stack
        # editing it (the load balancer's rules go on the task group, here).
        gateway_group = ec2.SecurityGroup.from_security_group_id(
            self,
            "GatewaySecurityGroup",
            data.gateway_security_group.security_group_id,
            mutable=False,
        )
        self.subscriptions = FargateGatewayService(
            self,
            "Subscriptions",
            service_name=names.subscriptions_service,
            description="Vitrine subscriptions: vitrine serve for WebSockets and SSE",
            cluster=self.cluster,
            image=image,
            command=["vitrine", "serve"],
            environment=environment,
            subnets=data.network.app_subnets,
            security_groups=[gateway_group, self.task_group],
            desired_count=2,
            port=CONTAINER_PORT,
        )
        self.consumers = FargateGatewayService(
            self,
            "Consumers",
            service_name=names.consumers_service,
            description="Vitrine consumers: search indexing and availability counters",
            cluster=self.cluster,
            image=image,
            command=["vitrine", "consumers"],
            environment=environment,
            subnets=data.network.app_subnets,
            security_groups=[gateway_group],
            desired_count=1,
        )
        self.migrate = FargateGatewayTask(
            self,
            "Migrate",
            description="Vitrine migrate: Alembic migrations, run once per deploy",
            image=image,
            command=["vitrine", "migrate"],
            environment=environment,
        )
        for service, search_role in (
            (self.subscriptions, SUBSCRIPTIONS_SEARCH_ROLE),
            (self.consumers, CONSUMERS_SEARCH_ROLE),
        ):
            self.repository.grant_pull(service.task_definition.obtain_execution_role())
            grant_gateway_data_access(
                service,
                service.task_role,
                config=config,
                data=data,
                identity=identity,
                origin_verify=api.origin_verify,
                search_role=search_role,
            )
        # The migration reads the database secret and nothing else.
        self.repository.grant_pull(self.migrate.task_definition.obtain_execution_role())
        iam.Policy(
            self.migrate,
            "DatabaseSecret",
            roles=[self.migrate.task_role],
            statements=[
                iam.PolicyStatement(
                    sid="DatabaseSecret",
                    actions=list(SECRET_ACTIONS),
                    resources=[data.database.secret.secret_arn],
                ),
                iam.PolicyStatement(
                    sid="DataKey", actions=list(KEY_ACTIONS), resources=[data.key.key_arn]
                ),
            ],
        )
        self.scaling = self.subscriptions.service.auto_scale_task_count(
            min_capacity=2, max_capacity=config.max_realtime_tasks
        )
        self.scaling.scale_on_cpu_utilization("Cpu", target_utilization_percent=CPU_TARGET_PERCENT)
        self.scaling.scale_on_memory_utilization(
            "Memory", target_utilization_percent=MEMORY_TARGET_PERCENT
        )
        self.load_balancer = elbv2.ApplicationLoadBalancer(
            self,
            "LoadBalancer",
            load_balancer_name=names.realtime_load_balancer,
            vpc=vpc,
            internet_facing=True,
            vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PUBLIC),
            security_group=self.load_balancer_group,
            idle_timeout=IDLE_TIMEOUT,
            drop_invalid_header_fields=True,
            deletion_protection=True,
        )
        acknowledge(
            self.load_balancer,
            "AwsSolutions-ELB2",
            "Every request reaching this origin comes through CloudFront, whose standard logs "
            "(the log bucket's cloudfront/ prefix) record it; the gateway logs each operation.",
        )
        self.listener = self.load_balancer.add_listener(
            "Https",
            port=443,
            protocol=elbv2.ApplicationProtocol.HTTPS,
            certificates=[
                acm.Certificate.from_certificate_arn(
                    self, "Certificate", config.realtime_certificate_arn
                )
            ],
            ssl_policy=elbv2.SslPolicy.RECOMMENDED_TLS,
            open=False,
        )
        self.listener.add_targets(
            "Gateway",
            port=CONTAINER_PORT,
            protocol=elbv2.ApplicationProtocol.HTTP,
            targets=[self.subscriptions.service],
            health_check=elbv2.HealthCheck(path="/healthz", healthy_http_codes="200"),
            deregistration_delay=Duration.seconds(30),
        )
        zone = route53.HostedZone.from_hosted_zone_attributes(
            self,
            "Zone",
            hosted_zone_id=config.hosted_zone_id,
            zone_name=config.hosted_zone_name or "",
        )
        route53.ARecord(
            self,
            "Origin",
            zone=zone,
            record_name=config.realtime_origin_domain,
            target=route53.RecordTarget.from_alias(targets.LoadBalancerTarget(self.load_balancer)),
        )
