"""Pieces every container service shares: its image repository, log group and task role."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from constructs import Construct


def image_repository(scope: Construct, construct_id: str, name: str) -> ecr.Repository:
    """An ECR repository: immutable tags, scanned on push, KMS-encrypted, kept on delete."""
    return ecr.Repository(
        scope,
        construct_id,
        repository_name=name,
        image_scan_on_push=True,
        image_tag_mutability=ecr.TagMutability.IMMUTABLE,
        encryption=ecr.RepositoryEncryption.KMS,
        removal_policy=RemovalPolicy.RETAIN,
    )


def task_log_group(scope: Construct) -> logs.LogGroup:
    """A service's log group (one month, kept on delete)."""
    return logs.LogGroup(
        scope, "Logs", retention=logs.RetentionDays.ONE_MONTH, removal_policy=RemovalPolicy.RETAIN
    )


def task_role(scope: Construct, description: str) -> iam.Role:
    """A task role for ECS tasks, with no permission until the stack grants some."""
    return iam.Role(
        scope,
        "TaskRole",
        assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com"),
        description=description,
    )
