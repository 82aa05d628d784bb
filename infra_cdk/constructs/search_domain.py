"""Amazon OpenSearch Service for product search: a Multi-AZ domain in the VPC with
fine-grained access control, and the custom resource that lets an IAM role into it.

The domain's master user is the ``search-access`` function's role (the function is
``gateway.lambda_search_access.handler``). Each stack whose role reads or writes search adds a
:class:`SearchRoleMapping`: the function puts an OpenSearch role limited to the alias's
indexes and maps that IAM role to it. IAM alone admits account principals to the domain's
HTTP API; what they may do inside is fine-grained access control's decision.
"""

from __future__ import annotations

import json

from aws_cdk import CustomResource, Duration, RemovalPolicy
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_opensearchservice as opensearch
from constructs import Construct

from infra_cdk.constructs.gateway_function import GatewayFunction
from infra_cdk.nag import acknowledge

ENGINE_VERSION = "2.19"
DATA_NODE_TYPE = "r7g.large.search"
MASTER_NODE_TYPE = "m7g.large.search"
MASTER_NODES = 3
VOLUME_GB = 100
HTTPS_PORT = 443
ACCESS_HANDLER = "gateway.lambda_search_access.handler"
HTTP_ACTIONS = ("es:ESHttpGet", "es:ESHttpHead", "es:ESHttpPost", "es:ESHttpPut", "es:ESHttpDelete")
"""The domain's HTTP API; fine-grained access control decides per index and action."""


class SearchDomain(Construct):
    """One data node per zone with zone awareness, three dedicated masters, gp3 volumes,
    encrypted at rest (the data key) and node to node, HTTPS with TLS 1.2 only, slow, error
    and audit logs to CloudWatch, in the isolated subnets, reachable from ``clients`` only."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        domain_name: str,
        access_function_name: str,
        account: str,
        region: str,
        zones: int,
        vpc: ec2.IVpc,
        data_subnets: ec2.SubnetSelection,
        app_subnets: ec2.SubnetSelection,
        clients: ec2.ISecurityGroup,
        key: kms.IKey,
        code: lambda_.Code,
    ) -> None:
        super().__init__(scope, construct_id)
        self.security_group = ec2.SecurityGroup(
            self, "SecurityGroup", vpc=vpc, description="OpenSearch: HTTPS from the gateway only"
        )
        self.security_group.add_ingress_rule(
            clients, ec2.Port.tcp(HTTPS_PORT), "gateway and indexer to OpenSearch"
        )
        self.access = GatewayFunction(
            self,
            "Access",
            function_name=access_function_name,
            code=code,
            vpc=vpc,
            subnets=app_subnets,
            security_group=clients,
            environment={},
            key=key,
            handler=ACCESS_HANDLER,
            memory_size=256,
            timeout=Duration.seconds(60),
            description="Vitrine: maps IAM roles into OpenSearch fine-grained access control",
        )
        self.domain_arn = f"arn:aws:es:{region}:{account}:domain/{domain_name}"
        log_groups = {
            kind: logs.LogGroup(
                self,
                f"{kind}Logs",
                log_group_name=f"/aws/opensearch/{domain_name}/{kind.lower()}",
                retention=logs.RetentionDays.ONE_MONTH,
                removal_policy=RemovalPolicy.RETAIN,
            )
            for kind in ("SlowSearch", "SlowIndex", "App", "Audit")
        }
        self.log_policy = logs.CfnResourcePolicy(
            self,
            "LogDelivery",
            policy_name=f"{domain_name}-logs",
            policy_document=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "es.amazonaws.com"},
                            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                            "Resource": [f"{g.log_group_arn}" for g in log_groups.values()],
                            "Condition": {"StringEquals": {"aws:SourceAccount": account}},
                        }
                    ],
                }
            ),
        )
        self.domain = opensearch.Domain(
            self,
            "Domain",
            domain_name=domain_name,
            version=opensearch.EngineVersion.open_search(ENGINE_VERSION),
            capacity=opensearch.CapacityConfig(
                data_nodes=zones,
                data_node_instance_type=DATA_NODE_TYPE,
                master_nodes=MASTER_NODES,
                master_node_instance_type=MASTER_NODE_TYPE,
                multi_az_with_standby_enabled=False,
            ),
            zone_awareness=opensearch.ZoneAwarenessConfig(
                enabled=True, availability_zone_count=zones
            ),
            ebs=opensearch.EbsOptions(
                volume_size=VOLUME_GB, volume_type=ec2.EbsDeviceVolumeType.GP3
            ),
            encryption_at_rest=opensearch.EncryptionAtRestOptions(enabled=True, kms_key=key),
            node_to_node_encryption=True,
            enforce_https=True,
            tls_security_policy=opensearch.TLSSecurityPolicy.TLS_1_2,
            fine_grained_access_control=opensearch.AdvancedSecurityOptions(
                master_user_arn=self.access.role.role_arn
            ),
            logging=opensearch.LoggingOptions(
                slow_search_log_enabled=True,
                slow_search_log_group=log_groups["SlowSearch"],
                slow_index_log_enabled=True,
                slow_index_log_group=log_groups["SlowIndex"],
                app_log_enabled=True,
                app_log_group=log_groups["App"],
                audit_log_enabled=True,
                audit_log_group=log_groups["Audit"],
            ),
            suppress_logs_resource_policy=True,
            vpc=vpc,
            vpc_subnets=[data_subnets],
            security_groups=[self.security_group],
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.domain.node.add_dependency(self.log_policy)
        # Set on the CloudFormation resource itself: the L2 property would apply it through
        # a custom resource (an SDK call) after creation, with broad permissions of its own.
        cfn_domain = self.domain.node.default_child
        assert isinstance(cfn_domain, opensearch.CfnDomain)
        cfn_domain.access_policies = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "AccountPrincipals",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                    "Action": list(HTTP_ACTIONS),
                    "Resource": f"{self.domain_arn}/*",
                }
            ],
        }
        acknowledge(
            self.domain,
            "AwsSolutions-OS3",
            "The domain lives in the VPC's isolated subnets behind a security group that admits "
            "the gateway's only; IP allowlists do not apply to VPC domains. IAM and "
            "fine-grained access control authorize each request.",
        )
        self.grant_http(self, "AccessHttp", self.access.role)
        self.service_token = self.access.function.function_arn
        """What :class:`SearchRoleMapping` resources invoke (the access function)."""

    @property
    def endpoint_url(self) -> str:
        """``https://<VPC endpoint>`` (``OPENSEARCH_URL``)."""
        return f"https://{self.domain.domain_endpoint}"

    def grant_http(self, scope: Construct, construct_id: str, role: iam.IRole) -> iam.Policy:
        """Let ``role`` call the domain's HTTP API (IAM side; see :class:`SearchRoleMapping`)."""
        arn = self.domain_arn
        policy = iam.Policy(
            scope,
            construct_id,
            roles=[role],
            statements=[
                iam.PolicyStatement(
                    sid="SearchHttp", actions=list(HTTP_ACTIONS), resources=[arn, f"{arn}/*"]
                )
            ],
        )
        acknowledge(
            policy,
            f"AwsSolutions-IAM5[Resource::{arn}/*]",
            "OpenSearch authorizes HTTP paths under the domain ARN (indexes, aliases, "
            "_bulk); fine-grained access control limits the role to the search indexes.",
        )
        return policy


class SearchRoleMapping(Construct):
    """Maps ``role`` to an OpenSearch role named ``opensearch_role`` with rights on
    ``index_pattern`` only, and grants it the domain's HTTP API."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        search: SearchDomain,
        role: iam.IRole,
        opensearch_role: str,
        index_pattern: str,
    ) -> None:
        super().__init__(scope, construct_id)
        self.policy = search.grant_http(self, "Http", role)
        self.resource = CustomResource(
            self,
            "Mapping",
            service_token=search.service_token,
            resource_type="Custom::OpenSearchRoleMapping",
            properties={
                "Endpoint": search.endpoint_url,
                "RoleName": opensearch_role,
                "BackendRole": role.role_arn,
                "IndexPattern": index_pattern,
            },
        )
