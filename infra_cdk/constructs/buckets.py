"""S3: the 3D asset bucket (KMS, versioned, private, CloudFront-only reads) and the
access-log bucket."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra_cdk.names import RENDERS_PREFIX

UPLOAD_HEADERS = ["content-type", "content-md5", "x-amz-checksum-sha256", "x-amz-meta-*"]


class LogBucket(Construct):
    """Receives S3 server access logs and CloudFront standard logs (which need ACLs and
    SSE-S3), expiring after a year."""

    def __init__(self, scope: Construct, construct_id: str, *, bucket_name: str) -> None:
        super().__init__(scope, construct_id)
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            bucket_name=bucket_name,
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
            versioned=False,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="expire-logs",
                    expiration=Duration.days(365),
                    transitions=[
                        s3.Transition(
                            storage_class=s3.StorageClass.INFREQUENT_ACCESS,
                            transition_after=Duration.days(30),
                        )
                    ],
                )
            ],
            removal_policy=RemovalPolicy.RETAIN,
        )


class AssetBucket(Construct):
    """Originals, normalized GLB, LODs, USDZ, posters and turntables, keyed by content hash.

    Readable only through CloudFront (Origin Access Control, any distribution of this
    account: the distribution lives in a later stack, so naming it here would make the
    stacks depend on each other both ways) and by the gateway's role.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        bucket_name: str,
        key: kms.IKey,
        log_bucket: s3.IBucket,
        cors_origins: Sequence[str],
    ) -> None:
        super().__init__(scope, construct_id)
        self.key = key
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            bucket_name=bucket_name,
            encryption=s3.BucketEncryption.KMS,
            encryption_key=key,
            bucket_key_enabled=True,
            versioned=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            minimum_tls_version=1.2,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            server_access_logs_bucket=log_bucket,
            server_access_logs_prefix="s3/assets/",
            cors=[
                s3.CorsRule(
                    allowed_methods=[
                        s3.HttpMethods.PUT,
                        s3.HttpMethods.POST,
                        s3.HttpMethods.GET,
                        s3.HttpMethods.HEAD,
                    ],
                    allowed_origins=list(cors_origins),
                    allowed_headers=UPLOAD_HEADERS,
                    exposed_headers=["ETag"],
                    max_age=3000,
                )
            ],
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="old-renders-to-cheaper-classes",
                    prefix=RENDERS_PREFIX,
                    transitions=[
                        s3.Transition(
                            storage_class=s3.StorageClass.INFREQUENT_ACCESS,
                            transition_after=Duration.days(30),
                        ),
                        s3.Transition(
                            storage_class=s3.StorageClass.GLACIER_INSTANT_RETRIEVAL,
                            transition_after=Duration.days(90),
                        ),
                    ],
                ),
                s3.LifecycleRule(
                    id="expire-replaced-versions",
                    noncurrent_version_expiration=Duration.days(30),
                    noncurrent_version_transitions=[
                        s3.NoncurrentVersionTransition(
                            storage_class=s3.StorageClass.INFREQUENT_ACCESS,
                            transition_after=Duration.days(7),
                        )
                    ],
                ),
                s3.LifecycleRule(
                    id="abort-incomplete-uploads",
                    abort_incomplete_multipart_upload_after=Duration.days(2),
                ),
            ],
            removal_policy=RemovalPolicy.RETAIN,
        )
        account = Stack.of(self).account
        cloudfront = iam.ServicePrincipal("cloudfront.amazonaws.com")
        from_this_account = {
            "StringLike": {"AWS:SourceArn": f"arn:aws:cloudfront::{account}:distribution/*"}
        }
        self.bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudFrontOriginAccessControlRead",
                principals=[cloudfront],
                actions=["s3:GetObject"],
                resources=[self.bucket.arn_for_objects("*")],
                conditions=from_this_account,
            )
        )
        key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudFrontOriginAccessControlDecrypt",
                principals=[cloudfront],
                actions=["kms:Decrypt"],
                resources=["*"],
                conditions=from_this_account,
            )
        )


class AnalyticsBucket(Construct):
    """Analytics events for offline analysis (Firehose writes gzip files under
    ``events/year=/month=/day=/hour=/``): encrypted with the data key, private, TLS only,
    access-logged, moved to cheaper classes as it ages."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        bucket_name: str,
        key: kms.IKey,
        log_bucket: s3.IBucket,
    ) -> None:
        super().__init__(scope, construct_id)
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            bucket_name=bucket_name,
            encryption=s3.BucketEncryption.KMS,
            encryption_key=key,
            bucket_key_enabled=True,
            versioned=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            minimum_tls_version=1.2,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            server_access_logs_bucket=log_bucket,
            server_access_logs_prefix="s3/analytics/",
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="old-events-to-cheaper-classes",
                    transitions=[
                        s3.Transition(
                            storage_class=s3.StorageClass.INFREQUENT_ACCESS,
                            transition_after=Duration.days(30),
                        ),
                        s3.Transition(
                            storage_class=s3.StorageClass.GLACIER_INSTANT_RETRIEVAL,
                            transition_after=Duration.days(180),
                        ),
                    ],
                ),
                s3.LifecycleRule(
                    id="abort-incomplete-uploads",
                    abort_incomplete_multipart_upload_after=Duration.days(2),
                ),
            ],
            removal_policy=RemovalPolicy.RETAIN,
        )


class TrailBucket(Construct):
    """CloudTrail log files (each already encrypted by the trail's key): private, TLS only,
    versioned, access-logged, kept seven years, in Glacier Instant Retrieval after 90 days.
    The trail (operations stack) adds CloudTrail's delivery statements to its policy."""

    def __init__(
        self, scope: Construct, construct_id: str, *, bucket_name: str, log_bucket: s3.IBucket
    ) -> None:
        super().__init__(scope, construct_id)
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            bucket_name=bucket_name,
            encryption=s3.BucketEncryption.S3_MANAGED,
            versioned=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            minimum_tls_version=1.2,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            server_access_logs_bucket=log_bucket,
            server_access_logs_prefix="s3/trail/",
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="archive-and-expire-trail",
                    transitions=[
                        s3.Transition(
                            storage_class=s3.StorageClass.GLACIER_INSTANT_RETRIEVAL,
                            transition_after=Duration.days(90),
                        )
                    ],
                    expiration=Duration.days(7 * 365),
                    noncurrent_version_expiration=Duration.days(30),
                )
            ],
            removal_policy=RemovalPolicy.RETAIN,
        )
