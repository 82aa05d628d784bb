"""GPU render/ingest workers: ECS on EC2 GPU instances (Spot first, on-demand beside it),
running ``vitrine worker`` and scaled on the job queue's backlog down to zero."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aws_cdk import Duration
from aws_cdk import aws_applicationautoscaling as appscaling
from aws_cdk import aws_autoscaling as autoscaling
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra_cdk.constructs.containers import task_log_group, task_role
from infra_cdk.nag import acknowledge

WORKER_COMMAND = ("vitrine", "worker")
GPUS_PER_TASK = 1
TASK_CPU_UNITS = 3072
"""Three of a g5/g6.xlarge's four vCPUs; the rest is the ECS agent's and the OS's."""
TASK_MEMORY_RESERVATION_MIB = 12 * 1024
"""Of the instance's 16 GiB (the agent reserves some)."""
ROOT_VOLUME_GIB = 100
"""The GPU AMI needs 30 GiB; the rest holds the image and temporary meshes."""
SPOT_WEIGHT = 4
ON_DEMAND_WEIGHT = 1
"""Four of every five tasks go to Spot; the on-demand share keeps jobs moving while Spot
capacity for every listed type is short."""
BACKLOG_STEPS = ((1, 1), (10, 2), (50, 4))
"""(jobs waiting or running at least, tasks added per minute while so)."""
SCALE_PERIOD = Duration.minutes(1)


def _launch_template(
    scope: Construct,
    construct_id: str,
    *,
    security_group: ec2.ISecurityGroup,
    role: iam.IRole,
) -> ec2.LaunchTemplate:
    """ECS GPU-optimized Amazon Linux 2 (resolved from SSM at deploy time, not at synth),
    encrypted root volume, IMDSv2 only, detailed monitoring."""
    return ec2.LaunchTemplate(
        scope,
        construct_id,
        machine_image=ecs.EcsOptimizedImage.amazon_linux2(ecs.AmiHardwareType.GPU),
        user_data=ec2.UserData.for_linux(),
        role=role,
        security_group=security_group,
        require_imdsv2=True,
        detailed_monitoring=True,
        block_devices=[
            ec2.BlockDevice(
                device_name="/dev/xvda",
                volume=ec2.BlockDeviceVolume.ebs(
                    ROOT_VOLUME_GIB, encrypted=True, volume_type=ec2.EbsDeviceVolumeType.GP3
                ),
            )
        ],
    )


class GpuCapacity(Construct):
    """Two Auto Scaling groups of the given GPU instance types, one Spot
    (price-capacity-optimized over every type) and one on-demand, each an ECS capacity
    provider with managed scaling: ECS starts instances for pending tasks and removes idle
    ones, so both groups rest at zero instances."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        cluster: ecs.Cluster,
        vpc: ec2.IVpc,
        subnets: ec2.SubnetSelection,
        instance_types: Sequence[str],
        max_instances: int,
    ) -> None:
        super().__init__(scope, construct_id)
        self.security_group = ec2.SecurityGroup(
            self,
            "Instances",
            vpc=vpc,
            description="Render GPU instances: no inbound; tasks have their own interfaces",
            allow_all_outbound=True,
        )
        self.instance_role = iam.Role(
            self,
            "InstanceRole",
            assumed_by=iam.ServicePrincipal("ec2.amazonaws.com"),
            description="Vitrine render GPU instances (ECS agent only)",
        )
        self.providers: dict[str, ecs.AsgCapacityProvider] = {}
        for name, spot in (("Spot", True), ("OnDemand", False)):
            template = _launch_template(
                self,
                f"{name}Template",
                security_group=self.security_group,
                role=self.instance_role,
            )
            group = autoscaling.AutoScalingGroup(
                self,
                f"{name}Group",
                vpc=vpc,
                vpc_subnets=subnets,
                min_capacity=0,
                max_capacity=max_instances,
                mixed_instances_policy=autoscaling.MixedInstancesPolicy(
                    launch_template=template,
                    launch_template_overrides=[
                        autoscaling.LaunchTemplateOverrides(
                            instance_type=ec2.InstanceType(instance_type)
                        )
                        for instance_type in instance_types
                    ],
                    instances_distribution=autoscaling.InstancesDistribution(
                        on_demand_base_capacity=0,
                        on_demand_percentage_above_base_capacity=0 if spot else 100,
                        spot_allocation_strategy=(
                            autoscaling.SpotAllocationStrategy.PRICE_CAPACITY_OPTIMIZED
                            if spot
                            else None
                        ),
                    ),
                ),
            )
            acknowledge(
                group,
                "AwsSolutions-EC26",
                "The launch template encrypts the root volume (the only volume); the rule "
                "cannot read a launch template referenced by a mixed instances policy.",
            )
            acknowledge(
                group,
                "AwsSolutions-AS3",
                "Scaling is driven by ECS managed scaling from the job backlog; its activity "
                "shows in the capacity provider and the queue alarms, so no separate "
                "scaling e-mails are sent.",
            )
            provider = ecs.AsgCapacityProvider(
                self,
                f"{name}Provider",
                auto_scaling_group=group,
                enable_managed_scaling=True,
                enable_managed_termination_protection=True,
                target_capacity_percent=100,
                machine_image_type=ecs.MachineImageType.AMAZON_LINUX_2,
            )
            cluster.add_asg_capacity_provider(provider)
            self.providers[name] = provider
        acknowledge(
            self.instance_role,
            "AwsSolutions-IAM5[Resource::*]",
            "The ECS agent's registration, polling and telemetry actions (ecs:Poll, "
            "ecs:DiscoverPollEndpoint, ecs:StartTelemetrySession, ecr:GetAuthorizationToken) "
            "take no resource-level permissions; no data action is granted on '*'.",
        )
        acknowledge(
            self.instance_role,
            "AwsSolutions-IAM5[Action::ecs:Submit*]",
            "CDK's ECS instance policy: the agent reports task and container state "
            "(SubmitTaskStateChange, SubmitContainerStateChange...) for this cluster only.",
        )

    def strategy(self) -> list[ecs.CapacityProviderStrategy]:
        """Spot weighted over on-demand (:data:`SPOT_WEIGHT`, :data:`ON_DEMAND_WEIGHT`)."""
        return [
            ecs.CapacityProviderStrategy(
                capacity_provider=self.providers["Spot"].capacity_provider_name,
                weight=SPOT_WEIGHT,
            ),
            ecs.CapacityProviderStrategy(
                capacity_provider=self.providers["OnDemand"].capacity_provider_name,
                weight=ON_DEMAND_WEIGHT,
            ),
        ]


def backlog(queue: sqs.IQueue) -> cloudwatch.MathExpression:
    """Jobs waiting plus jobs being worked on: running jobs keep their workers."""
    return cloudwatch.MathExpression(
        label="Render job backlog",
        expression="waiting + running",
        using_metrics={
            "waiting": queue.metric_approximate_number_of_messages_visible(
                period=SCALE_PERIOD, statistic="Maximum"
            ),
            "running": queue.metric_approximate_number_of_messages_not_visible(
                period=SCALE_PERIOD, statistic="Maximum"
            ),
        },
        period=SCALE_PERIOD,
    )


class RenderWorkers(Construct):
    """The worker task (one GPU, ``vitrine worker``), its service on the GPU capacity, and
    step scaling on the queue backlog from zero tasks up to ``max_tasks``."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        service_name: str,
        cluster: ecs.Cluster,
        capacity: GpuCapacity,
        image: ecs.ContainerImage,
        environment: Mapping[str, str],
        task_policy: Sequence[iam.PolicyStatement],
        queue: sqs.IQueue,
        subnets: ec2.SubnetSelection,
        security_group: ec2.ISecurityGroup,
        max_tasks: int,
    ) -> None:
        super().__init__(scope, construct_id)
        self.log_group = task_log_group(self)
        self.task_role = task_role(
            self, "Vitrine render worker: consume jobs, read uploads, write models"
        )
        self.task_policy = iam.Policy(
            self, "TaskPolicy", statements=list(task_policy), roles=[self.task_role]
        )
        self.task_definition = ecs.Ec2TaskDefinition(
            self,
            "Task",
            network_mode=ecs.NetworkMode.AWS_VPC,
            task_role=self.task_role,
        )
        self.container = self.task_definition.add_container(
            "Worker",
            image=image,
            command=list(WORKER_COMMAND),
            cpu=TASK_CPU_UNITS,
            memory_reservation_mib=TASK_MEMORY_RESERVATION_MIB,
            gpu_count=GPUS_PER_TASK,
            environment=dict(environment),
            logging=ecs.LogDrivers.aws_logs(stream_prefix="worker", log_group=self.log_group),
            stop_timeout=Duration.seconds(120),
        )
        acknowledge(
            self.task_definition.obtain_execution_role(),
            "AwsSolutions-IAM5[Resource::*]",
            "ecr:GetAuthorizationToken takes no resource-level permission; image pulls are "
            "granted on the worker's repository only.",
        )
        acknowledge(
            self.task_definition,
            "AwsSolutions-ECS2",
            "The environment holds resource names and secret ARNs only (never secret values, "
            "as for the gateway function); the worker reads the secrets at start.",
        )
        self.service = ecs.Ec2Service(
            self,
            "Service",
            service_name=service_name,
            cluster=cluster,
            task_definition=self.task_definition,
            desired_count=0,
            min_healthy_percent=0,
            max_healthy_percent=200,
            capacity_provider_strategies=capacity.strategy(),
            vpc_subnets=subnets,
            security_groups=[security_group],
            circuit_breaker=ecs.DeploymentCircuitBreaker(rollback=True),
        )
        # The service names the capacity providers: they must be associated with the
        # cluster first. CDK adds that association to the cluster's subtree at synthesis
        # (an aspect) and does not order the service after it; depending on the whole
        # cluster construct does.
        self.service.node.add_dependency(cluster)
        self.backlog = backlog(queue)
        self.scaling = self.service.auto_scale_task_count(min_capacity=0, max_capacity=max_tasks)
        self.scaling.scale_on_metric(
            "Backlog",
            metric=self.backlog,
            adjustment_type=appscaling.AdjustmentType.CHANGE_IN_CAPACITY,
            scaling_steps=[
                appscaling.ScalingInterval(upper=0, change=-max_tasks),
                *(
                    appscaling.ScalingInterval(lower=lower, change=change)
                    for lower, change in BACKLOG_STEPS
                ),
            ],
            cooldown=Duration.minutes(2),
            evaluation_periods=3,
            datapoints_to_alarm=2,
        )
