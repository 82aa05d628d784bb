"""The catalog's DynamoDB single table, keyed as the PynamoDB models declare it."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_kms as kms
from constructs import Construct

from infra_cdk.table_spec import IndexSpec, KeyAttribute, TableSpec

_TYPES = {
    "S": dynamodb.AttributeType.STRING,
    "N": dynamodb.AttributeType.NUMBER,
    "B": dynamodb.AttributeType.BINARY,
}
_PROJECTIONS = {
    "ALL": dynamodb.ProjectionType.ALL,
    "KEYS_ONLY": dynamodb.ProjectionType.KEYS_ONLY,
    "INCLUDE": dynamodb.ProjectionType.INCLUDE,
}
_BILLING = {
    "PAY_PER_REQUEST": dynamodb.BillingMode.PAY_PER_REQUEST,
    "PROVISIONED": dynamodb.BillingMode.PROVISIONED,
}


def _attribute(key: KeyAttribute) -> dynamodb.Attribute:
    return dynamodb.Attribute(name=key.name, type=_TYPES[key.type])


def _optional(key: KeyAttribute | None) -> dynamodb.Attribute | None:
    return None if key is None else _attribute(key)


def _non_key(index: IndexSpec) -> list[str] | None:
    return list(index.non_key_attributes) if index.projection == "INCLUDE" else None


class CatalogTable(Construct):
    """Point-in-time recovery, a NEW_AND_OLD_IMAGES stream (for the search indexer and
    subscriptions), CMK encryption, deletion protection; keys and GSIs from ``spec``."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        spec: TableSpec,
        table_name: str,
        key: kms.IKey,
    ) -> None:
        super().__init__(scope, construct_id)
        if spec.billing_mode not in _BILLING:
            raise ValueError(f"unknown billing mode {spec.billing_mode!r} in the table spec")
        self.spec = spec
        self.table = dynamodb.Table(
            self,
            "Table",
            table_name=table_name,
            partition_key=_attribute(spec.partition_key),
            sort_key=_optional(spec.sort_key),
            billing_mode=_BILLING[spec.billing_mode],
            encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
            encryption_key=key,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            stream=dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
            deletion_protection=True,
            contributor_insights_specification=dynamodb.ContributorInsightsSpecification(
                enabled=True
            ),
            removal_policy=RemovalPolicy.RETAIN,
        )
        for index in spec.global_indexes:
            partition_key = _attribute(index.partition_key)
            self.table.add_global_secondary_index(
                index_name=index.name,
                partition_key=partition_key,
                sort_key=_optional(index.sort_key),
                projection_type=_PROJECTIONS[index.projection],
                non_key_attributes=_non_key(index),
            )
        for index in spec.local_indexes:
            sort_key = _attribute(index.sort_key) if index.sort_key else None
            if sort_key is None:
                raise ValueError(f"local index {index.name} needs a sort key")
            self.table.add_local_secondary_index(
                index_name=index.name,
                sort_key=sort_key,
                projection_type=_PROJECTIONS[index.projection],
                non_key_attributes=_non_key(index),
            )
