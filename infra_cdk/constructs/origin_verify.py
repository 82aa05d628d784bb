"""The origin-verify secret: CloudFront sends it to the API origin, the gateway checks it."""

from __future__ import annotations

from aws_cdk import RemovalPolicy, SecretValue
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra_cdk.nag import acknowledge


class OriginVerifySecret(Construct):
    """A generated 48-character value in Secrets Manager, by a fixed name so that the Edge
    stack can reference it without a cross-stack export."""

    def __init__(self, scope: Construct, construct_id: str, *, secret_name: str) -> None:
        super().__init__(scope, construct_id)
        self.secret_name = secret_name
        self.secret = secretsmanager.Secret(
            self,
            "Secret",
            secret_name=secret_name,
            description="x-origin-verify value CloudFront adds to API origin requests",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                exclude_punctuation=True, password_length=48
            ),
            removal_policy=RemovalPolicy.RETAIN,
        )
        acknowledge(
            self.secret,
            "AwsSolutions-SMG4",
            "CloudFront's origin header is set from this value at deploy time: rotating it "
            "means a new value, an Edge deploy, then new gateway containers (docs/deploy.md, "
            "Rotating keys); an automatic rotation would lock CloudFront out until then.",
        )


def origin_verify_header_value(secret_name: str) -> str:
    """The header value as a CloudFormation dynamic reference (resolved at deploy time)."""
    return SecretValue.secrets_manager(secret_name).unsafe_unwrap()
