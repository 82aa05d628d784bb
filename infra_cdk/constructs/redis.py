"""ElastiCache Redis: resolver cache, rate-limit buckets, subscription fan-out."""

from __future__ import annotations

from aws_cdk import RemovalPolicy, SecretValue
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticache as elasticache
from aws_cdk import aws_kms as kms
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra_cdk.nag import acknowledge
from infra_cdk.names import REDIS_PORT

NODE_TYPE = "cache.r7g.large"
ENGINE_VERSION = "7.1"


class RedisCache(Construct):
    """A primary and a replica in different zones with automatic failover, encrypted in
    transit (TLS) and at rest (the data key), AUTH token from Secrets Manager, a
    non-default port, in the isolated subnets."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        vpc: ec2.IVpc,
        subnets: ec2.SubnetSelection,
        key: kms.IKey,
        secret_name: str,
        clients: ec2.ISecurityGroup,
    ) -> None:
        super().__init__(scope, construct_id)
        self.security_group = ec2.SecurityGroup(
            self, "SecurityGroup", vpc=vpc, description="Redis: from the gateway only"
        )
        self.security_group.add_ingress_rule(clients, ec2.Port.tcp(REDIS_PORT), "gateway to Redis")
        self.auth_token = secretsmanager.Secret(
            self,
            "AuthToken",
            secret_name=secret_name,
            encryption_key=key,
            generate_secret_string=secretsmanager.SecretStringGenerator(
                exclude_punctuation=True, password_length=64
            ),
            removal_policy=RemovalPolicy.RETAIN,
        )
        acknowledge(
            self.auth_token,
            "AwsSolutions-SMG4",
            "ElastiCache takes a new AUTH token only through a ROTATE/SET modification of the "
            "replication group; rotation arrives with the gateway reading REDIS_URL from "
            "Secrets Manager at start. Tracked in issue 8.",
        )
        subnet_group = elasticache.CfnSubnetGroup(
            self,
            "Subnets",
            description="Vitrine Redis",
            subnet_ids=vpc.select_subnets(
                subnet_type=subnets.subnet_type, subnet_group_name=subnets.subnet_group_name
            ).subnet_ids,
        )
        self.replication_group = elasticache.CfnReplicationGroup(
            self,
            "ReplicationGroup",
            replication_group_description="Vitrine resolver cache and fan-out",
            engine="redis",
            engine_version=ENGINE_VERSION,
            cache_node_type=NODE_TYPE,
            num_node_groups=1,
            replicas_per_node_group=1,
            automatic_failover_enabled=True,
            multi_az_enabled=True,
            port=REDIS_PORT,
            at_rest_encryption_enabled=True,
            kms_key_id=key.key_arn,
            transit_encryption_enabled=True,
            auth_token=self.token_value(),
            cache_subnet_group_name=subnet_group.ref,
            security_group_ids=[self.security_group.security_group_id],
            snapshot_retention_limit=3,
            auto_minor_version_upgrade=True,
        )
        self.replication_group.apply_removal_policy(RemovalPolicy.SNAPSHOT)

    def token_value(self) -> str:
        """The AUTH token as a CloudFormation dynamic reference (resolved at deploy time)."""
        return SecretValue.secrets_manager(self.auth_token.secret_arn).unsafe_unwrap()

    def url(self) -> str:
        """``REDIS_URL``: TLS (``rediss``) to the primary endpoint, without the AUTH token:
        the gateway reads it by ARN (``VITRINE_REDIS_AUTH_SECRET_ARN``) at cold start."""
        host = self.replication_group.attr_primary_end_point_address
        return f"rediss://{host}:{REDIS_PORT}/0"
