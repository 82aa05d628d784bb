"""Edge: the WAF web ACL (us-east-1, as CloudFront requires) and the CloudFront
distribution (in the main region, reading the ACL's ARN through a cross-region reference)."""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack
from aws_cdk import aws_route53 as route53
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra_cdk.config import DeployConfig
from infra_cdk.constructs.distribution import Storefront
from infra_cdk.constructs.origin_verify import origin_verify_header_value
from infra_cdk.constructs.web_acl import EdgeFirewall
from infra_cdk.stacks.data import DataStack


class EdgeFirewallStack(Stack):
    """The WAF web ACL of the distribution; deployed to us-east-1."""

    def __init__(
        self, scope: Construct, construct_id: str, *, config: DeployConfig, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, cross_region_references=True, **kwargs)
        self.firewall = EdgeFirewall(
            self,
            "Firewall",
            name=config.names.web_acl,
            rate_limit_per_5_minutes=config.rate_limit_per_5_minutes,
            max_body_bytes=config.max_request_body_bytes,
        )

    @property
    def web_acl_arn(self) -> str:
        """The web ACL's ARN."""
        return self.firewall.web_acl.attr_arn


class EdgeStack(Stack):
    """The storefront's CloudFront distribution: API and 3D assets on one domain. The API
    origin is the gateway's HTTP API (with the origin-verify header) or, in AppSync mode,
    AppSync's endpoint (which authenticates every request itself)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: DeployConfig,
        data: DataStack,
        api_domain_name: str,
        firewall: EdgeFirewallStack,
        realtime_origin_domain: str | None = None,
        origin_verify: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, cross_region_references=True, **kwargs)
        # Imported, so CloudFront's OAC does not try to edit the Data stack's bucket and key
        # policies from here (a two-way dependency); the Data stack grants CloudFront reads.
        assets = s3.Bucket.from_bucket_attributes(
            self,
            "AssetBucket",
            bucket_name=data.assets.bucket.bucket_name,
            bucket_regional_domain_name=data.assets.bucket.bucket_regional_domain_name,
        )
        logs = s3.Bucket.from_bucket_attributes(
            self,
            "LogBucket",
            bucket_name=data.logs.bucket.bucket_name,
            bucket_regional_domain_name=data.logs.bucket.bucket_regional_domain_name,
        )
        zone = (
            route53.HostedZone.from_hosted_zone_attributes(
                self,
                "Zone",
                hosted_zone_id=config.hosted_zone_id,
                zone_name=config.hosted_zone_name,
            )
            if config.hosted_zone_id and config.hosted_zone_name
            else None
        )
        self.storefront = Storefront(
            self,
            "Storefront",
            domain_name=config.domain_name,
            certificate_arn=config.certificate_arn,
            api_domain_name=api_domain_name,
            realtime_origin_domain=realtime_origin_domain,
            origin_verify_value=(
                origin_verify_header_value(config.names.secret("origin-verify"))
                if origin_verify
                else None
            ),
            asset_bucket=assets,
            log_bucket=logs,
            web_acl_arn=firewall.web_acl_arn,
            hosted_zone=zone,
        )
