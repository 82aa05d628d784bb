"""Aurora PostgreSQL Serverless v2, Multi-AZ, behind RDS Proxy, credentials in Secrets Manager."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms
from aws_cdk import aws_rds as rds
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra_cdk.nag import acknowledge
from infra_cdk.names import DATABASE_NAME, DATABASE_PORT, DATABASE_USER, PROXY_PORT

MIN_ACU = 0.5
MAX_ACU = 16


class Database(Construct):
    """A writer and a reader in different zones (the reader scales with the writer and takes
    over on failover), encrypted with the data key, reached through RDS Proxy with TLS."""

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
            self, "ClusterSecurityGroup", vpc=vpc, description="Aurora: from RDS Proxy only"
        )
        self.proxy_security_group = ec2.SecurityGroup(
            self, "ProxySecurityGroup", vpc=vpc, description="RDS Proxy: from the gateway only"
        )
        self.cluster = rds.DatabaseCluster(
            self,
            "Cluster",
            engine=rds.DatabaseClusterEngine.aurora_postgres(
                version=rds.AuroraPostgresEngineVersion.VER_16_13
            ),
            credentials=rds.Credentials.from_generated_secret(
                DATABASE_USER, secret_name=secret_name, encryption_key=key
            ),
            default_database_name=DATABASE_NAME,
            writer=rds.ClusterInstance.serverless_v2("Writer"),
            readers=[rds.ClusterInstance.serverless_v2("Reader", scale_with_writer=True)],
            serverless_v2_min_capacity=MIN_ACU,
            serverless_v2_max_capacity=MAX_ACU,
            vpc=vpc,
            vpc_subnets=subnets,
            security_groups=[self.security_group],
            port=DATABASE_PORT,
            storage_encrypted=True,
            storage_encryption_key=key,
            iam_authentication=True,
            deletion_protection=True,
            backup=rds.BackupProps(retention=Duration.days(14)),
            cloudwatch_logs_exports=["postgresql"],
            removal_policy=RemovalPolicy.SNAPSHOT,
        )
        secret = self.cluster.secret
        if secret is None:  # pragma: no cover - from_generated_secret always makes one
            raise RuntimeError("the cluster has no generated secret")
        self.secret: secretsmanager.ISecret = secret
        self.proxy = self.cluster.add_proxy(
            "Proxy",
            secrets=[secret],
            vpc=vpc,
            vpc_subnets=subnets,
            security_groups=[self.proxy_security_group],
            require_tls=True,
            debug_logging=False,
            idle_client_timeout=Duration.minutes(30),
        )
        # add_proxy already admits the proxy's security group on the cluster's port.
        self.proxy_security_group.add_ingress_rule(
            clients, ec2.Port.tcp(PROXY_PORT), "gateway to RDS Proxy"
        )
        acknowledge(
            self.cluster.node.find_child("Secret"),
            "AwsSolutions-SMG4",
            "Rotation is off until the gateway reads its database credentials from Secrets "
            "Manager at start (today DATABASE_URL is resolved at deploy time): a rotated "
            "password would strand the running functions. Tracked in issue 8.",
        )

    def url(self) -> str:
        """``DATABASE_URL`` through the proxy with TLS, without the password: the gateway
        reads it by ARN (``VITRINE_DATABASE_SECRET_ARN``) at cold start."""
        return (
            f"postgresql://{DATABASE_USER}@{self.proxy.endpoint}:{PROXY_PORT}"
            f"/{DATABASE_NAME}?sslmode=require"
        )
