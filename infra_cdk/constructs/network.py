"""The VPC: public subnets for NAT, private subnets for the gateway, isolated ones for data."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import RemovalPolicy
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_logs as logs
from constructs import Construct

PUBLIC = "public"
PRIVATE = "private"
ISOLATED = "data"


class Network(Construct):
    """A Multi-AZ VPC with flow logs, gateway endpoints (S3, DynamoDB) and interface
    endpoints (Secrets Manager) so data-plane traffic stays off the internet."""

    def __init__(
        self, scope: Construct, construct_id: str, *, availability_zones: Sequence[str]
    ) -> None:
        super().__init__(scope, construct_id)
        self.vpc = ec2.Vpc(
            self,
            "Vpc",
            availability_zones=list(availability_zones),
            ip_addresses=ec2.IpAddresses.cidr("10.40.0.0/16"),
            # One NAT gateway per zone: the gateway's outbound calls (Cognito JWKS) survive
            # the loss of a zone.
            nat_gateways=len(availability_zones),
            subnet_configuration=[
                ec2.SubnetConfiguration(
                    name=PUBLIC, subnet_type=ec2.SubnetType.PUBLIC, cidr_mask=24
                ),
                ec2.SubnetConfiguration(
                    name=PRIVATE, subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS, cidr_mask=20
                ),
                ec2.SubnetConfiguration(
                    name=ISOLATED, subnet_type=ec2.SubnetType.PRIVATE_ISOLATED, cidr_mask=24
                ),
            ],
            gateway_endpoints={
                "S3": ec2.GatewayVpcEndpointOptions(service=ec2.GatewayVpcEndpointAwsService.S3),
                "DynamoDB": ec2.GatewayVpcEndpointOptions(
                    service=ec2.GatewayVpcEndpointAwsService.DYNAMODB
                ),
            },
        )
        flow_logs = logs.LogGroup(
            self,
            "FlowLogs",
            retention=logs.RetentionDays.THREE_MONTHS,
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.vpc.add_flow_log(
            "FlowLog",
            destination=ec2.FlowLogDestination.to_cloud_watch_logs(flow_logs),
            traffic_type=ec2.FlowLogTrafficType.REJECT,
        )
        self.app_security_group = ec2.SecurityGroup(
            self,
            "AppSecurityGroup",
            vpc=self.vpc,
            description="Vitrine gateway: the only client of Aurora, Redis and the endpoints",
            allow_all_outbound=True,
        )
        endpoint_security_group = ec2.SecurityGroup(
            self,
            "EndpointSecurityGroup",
            vpc=self.vpc,
            description="Interface endpoints: HTTPS from the gateway",
            allow_all_outbound=False,
        )
        endpoint_security_group.add_ingress_rule(
            self.app_security_group, ec2.Port.tcp(443), "gateway to AWS APIs"
        )
        self.secrets_endpoint = self.vpc.add_interface_endpoint(
            "SecretsManager",
            service=ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
            subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
            private_dns_enabled=True,
            security_groups=[endpoint_security_group],
            open=False,
        )

    @property
    def app_subnets(self) -> ec2.SubnetSelection:
        """Where the gateway runs: private, with a NAT route."""
        return ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS)

    @property
    def data_subnets(self) -> ec2.SubnetSelection:
        """Where the databases run: isolated, no route out."""
        return ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)
