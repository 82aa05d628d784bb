"""Long-lived gateway processes on ECS Fargate (the ``gateway`` image of the Dockerfile):
``vitrine serve`` for WebSockets and Server-Sent Events, ``vitrine consumers`` for the event
consumers. Lambda answers the request/response traffic; these hold connections open."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aws_cdk import Duration
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from constructs import Construct

from infra_cdk.constructs.containers import task_log_group, task_role
from infra_cdk.nag import acknowledge

CONTAINER_PORT = 8000
TASK_CPU = 1024
TASK_MEMORY_MIB = 2048
STOP_TIMEOUT = Duration.seconds(60)
"""SIGTERM to SIGKILL: time to close subscriptions with a reason and finish event batches."""


class FargateGatewayTask(Construct):
    """A task definition of the gateway image: a task role (granted by the stack), ARM64,
    read-only root filesystem, logs to CloudWatch. Alone, it is a one-off task
    (``aws ecs run-task``, e.g. ``vitrine migrate``)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        description: str,
        image: ecs.ContainerImage,
        command: Sequence[str],
        environment: Mapping[str, str],
        port: int | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.log_group = task_log_group(self)
        self.task_role = task_role(self, description)
        self.task_definition = ecs.FargateTaskDefinition(
            self,
            "Task",
            cpu=TASK_CPU,
            memory_limit_mib=TASK_MEMORY_MIB,
            task_role=self.task_role,
            runtime_platform=ecs.RuntimePlatform(
                cpu_architecture=ecs.CpuArchitecture.ARM64,
                operating_system_family=ecs.OperatingSystemFamily.LINUX,
            ),
        )
        self.container = self.task_definition.add_container(
            "Gateway",
            image=image,
            command=list(command),
            environment=dict(environment),
            logging=ecs.LogDrivers.aws_logs(stream_prefix=command[-1], log_group=self.log_group),
            port_mappings=[] if port is None else [ecs.PortMapping(container_port=port)],
            stop_timeout=STOP_TIMEOUT,
            readonly_root_filesystem=True,
        )
        # The root filesystem is read-only; temporary files get a task-local volume.
        self.task_definition.add_volume(name="tmp")
        self.container.add_mount_points(
            ecs.MountPoint(container_path="/tmp", source_volume="tmp", read_only=False)
        )
        acknowledge(
            self.task_definition.obtain_execution_role(),
            "AwsSolutions-IAM5[Resource::*]",
            "ecr:GetAuthorizationToken takes no resource-level permission; image pulls are "
            "granted on the gateway's repository only.",
        )
        acknowledge(
            self.task_definition,
            "AwsSolutions-ECS2",
            "The environment holds resource names and secret ARNs only (never secret values, "
            "as for the gateway function); the process reads the secrets at start.",
        )


class FargateGatewayService(FargateGatewayTask):
    """A long-running service of the task: in the private subnets, rolling deployments with
    automatic rollback."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        service_name: str,
        description: str,
        cluster: ecs.ICluster,
        image: ecs.ContainerImage,
        command: Sequence[str],
        environment: Mapping[str, str],
        subnets: ec2.SubnetSelection,
        security_groups: Sequence[ec2.ISecurityGroup],
        desired_count: int,
        port: int | None = None,
    ) -> None:
        super().__init__(
            scope,
            construct_id,
            description=description,
            image=image,
            command=command,
            environment=environment,
            port=port,
        )
        self.service = ecs.FargateService(
            self,
            "Service",
            service_name=service_name,
            cluster=cluster,
            task_definition=self.task_definition,
            desired_count=desired_count,
            min_healthy_percent=100,
            max_healthy_percent=200,
            vpc_subnets=subnets,
            security_groups=list(security_groups),
            circuit_breaker=ecs.DeploymentCircuitBreaker(rollback=True),
            platform_version=ecs.FargatePlatformVersion.LATEST,
        )
