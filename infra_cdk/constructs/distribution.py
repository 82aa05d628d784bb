"""CloudFront: the API origin (cache honouring the gateway's Cache-Control) and the asset
bucket (Origin Access Control), behind the WAF web ACL."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_route53 as route53
from aws_cdk import aws_route53_targets as targets
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra_cdk.nag import acknowledge
from infra_cdk.names import (
    API_KEY_HEADER,
    ASSETS_PATH,
    AUTHORIZATION_HEADER,
    ORIGIN_VERIFY_HEADER,
    REQUEST_ID_HEADER,
)

API_MAX_TTL = Duration.days(1)
REALTIME_PATHS = ("/graphql/ws*", "/graphql/realtime*", "/graphql/stream*")
"""WebSockets (graphql-transport-ws and graphql-ws; AppSync's protocol) and Server-Sent
Events: to the Fargate subscriptions service, which holds connections open."""
FORWARDED_TO_API = ("content-type", "accept", REQUEST_ID_HEADER)
"""Headers the gateway needs besides the cache-key ones (credentials)."""


class Storefront(Construct):
    """One distribution on the storefront's domain: ``/assets/*`` from S3, everything else
    (``/graphql``, ``/healthz``) from the HTTP API."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        domain_name: str,
        certificate_arn: str,
        api_domain_name: str,
        origin_verify_value: str | None,
        realtime_origin_domain: str | None = None,
        asset_bucket: s3.IBucket,
        log_bucket: s3.IBucket,
        web_acl_arn: str,
        hosted_zone: route53.IHostedZone | None,
    ) -> None:
        super().__init__(scope, construct_id)
        # Credentials are part of the cache key: a cached response is only ever served to a
        # caller presenting the same key or token. With no Cache-Control from the gateway,
        # nothing is cached (default TTL 0).
        self.api_cache_policy = cloudfront.CachePolicy(
            self,
            "ApiCache",
            comment="GraphQL: the gateway's Cache-Control decides; keyed on credentials",
            default_ttl=Duration.seconds(0),
            min_ttl=Duration.seconds(0),
            max_ttl=API_MAX_TTL,
            header_behavior=cloudfront.CacheHeaderBehavior.allow_list(
                AUTHORIZATION_HEADER, API_KEY_HEADER
            ),
            query_string_behavior=cloudfront.CacheQueryStringBehavior.all(),
            cookie_behavior=cloudfront.CacheCookieBehavior.none(),
            enable_accept_encoding_gzip=True,
            enable_accept_encoding_brotli=True,
        )
        self.api_origin_request_policy = cloudfront.OriginRequestPolicy(
            self,
            "ApiOriginRequest",
            comment="GraphQL: content negotiation and request ids only",
            header_behavior=cloudfront.OriginRequestHeaderBehavior.allow_list(*FORWARDED_TO_API),
            query_string_behavior=cloudfront.OriginRequestQueryStringBehavior.none(),
            cookie_behavior=cloudfront.OriginRequestCookieBehavior.none(),
        )
        api_origin = origins.HttpOrigin(
            api_domain_name,
            protocol_policy=cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
            origin_ssl_protocols=[cloudfront.OriginSslPolicy.TLS_V1_2],
            read_timeout=Duration.seconds(30),
            custom_headers=(
                {} if origin_verify_value is None else {ORIGIN_VERIFY_HEADER: origin_verify_value}
            ),
        )
        asset_origin = origins.S3BucketOrigin.with_origin_access_control(asset_bucket)
        additional_behaviors = {
            f"/{ASSETS_PATH}/*": cloudfront.BehaviorOptions(
                origin=asset_origin,
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                allowed_methods=cloudfront.AllowedMethods.ALLOW_GET_HEAD_OPTIONS,
                cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
                response_headers_policy=cloudfront.ResponseHeadersPolicy.CORS_ALLOW_ALL_ORIGINS_WITH_PREFLIGHT_AND_SECURITY_HEADERS,
                compress=True,
            )
        }
        if realtime_origin_domain is not None:
            realtime_origin = origins.HttpOrigin(
                realtime_origin_domain,
                protocol_policy=cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
                origin_ssl_protocols=[cloudfront.OriginSslPolicy.TLS_V1_2],
                read_timeout=Duration.seconds(60),
                keepalive_timeout=Duration.seconds(60),
                custom_headers=(
                    {}
                    if origin_verify_value is None
                    else {ORIGIN_VERIFY_HEADER: origin_verify_value}
                ),
            )
            for path in REALTIME_PATHS:
                # Never cached; every viewer header (Sec-WebSocket-*, credentials) goes on.
                additional_behaviors[path] = cloudfront.BehaviorOptions(
                    origin=realtime_origin,
                    viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
                    allowed_methods=cloudfront.AllowedMethods.ALLOW_ALL,
                    cache_policy=cloudfront.CachePolicy.CACHING_DISABLED,
                    origin_request_policy=cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
                    compress=False,
                )
        self.distribution = cloudfront.Distribution(
            self,
            "Distribution",
            comment="Vitrine storefront API and 3D assets",
            domain_names=[domain_name],
            certificate=acm.Certificate.from_certificate_arn(self, "Certificate", certificate_arn),
            minimum_protocol_version=cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
            price_class=cloudfront.PriceClass.PRICE_CLASS_ALL,
            web_acl_id=web_acl_arn,
            enable_logging=True,
            log_bucket=log_bucket,
            log_file_prefix="cloudfront/",
            default_behavior=cloudfront.BehaviorOptions(
                origin=api_origin,
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
                allowed_methods=cloudfront.AllowedMethods.ALLOW_ALL,
                cached_methods=cloudfront.CachedMethods.CACHE_GET_HEAD_OPTIONS,
                cache_policy=self.api_cache_policy,
                origin_request_policy=self.api_origin_request_policy,
                response_headers_policy=cloudfront.ResponseHeadersPolicy.SECURITY_HEADERS,
                compress=True,
            ),
            additional_behaviors=additional_behaviors,
        )
        acknowledge(
            self.distribution,
            "AwsSolutions-CFR1",
            "The storefront sells worldwide; geographic restrictions belong to business "
            "rules (shipping, tax), not to the CDN.",
        )
        if hosted_zone is not None:
            route53.ARecord(
                self,
                "Alias",
                zone=hosted_zone,
                record_name=domain_name,
                target=route53.RecordTarget.from_alias(targets.CloudFrontTarget(self.distribution)),
            )
            route53.AaaaRecord(
                self,
                "AliasIpv6",
                zone=hosted_zone,
                record_name=domain_name,
                target=route53.RecordTarget.from_alias(targets.CloudFrontTarget(self.distribution)),
            )
