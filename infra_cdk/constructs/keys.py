"""The customer-managed KMS key of the data stores."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_kms as kms
from constructs import Construct


class DataKey(Construct):
    """One rotating CMK for the catalog table, the asset bucket, Aurora, Redis and secrets.

    One key keeps the monthly cost and the grants simple; split it per store when the
    stores get different owners.
    """

    def __init__(self, scope: Construct, construct_id: str, *, alias: str) -> None:
        super().__init__(scope, construct_id)
        self.key = kms.Key(
            self,
            "Key",
            alias=alias,
            description="Vitrine data at rest: DynamoDB, S3 assets, Aurora, Redis, secrets",
            enable_key_rotation=True,
            rotation_period=Duration.days(365),
            pending_window=Duration.days(30),
            removal_policy=RemovalPolicy.RETAIN,
        )
