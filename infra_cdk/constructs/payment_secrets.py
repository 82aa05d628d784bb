"""Stripe's secret key and webhook signing secret, read by ARN by the gateway at cold start."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra_cdk.nag import acknowledge


class StripeSecrets(Construct):
    """Two secrets by fixed names, created with random placeholders: an operator puts the
    real ``sk_live_...`` key and the endpoint's ``whsec_...`` signing secret in them after the
    first deploy (until then Stripe refuses the key and checkouts answer ServiceUnavailable;
    nothing is charged)."""

    def __init__(
        self, scope: Construct, construct_id: str, *, key_name: str, webhook_name: str
    ) -> None:
        super().__init__(scope, construct_id)
        self.api_key = self._secret("ApiKey", key_name, "Stripe secret API key (sk_live_...)")
        self.webhook = self._secret(
            "Webhook", webhook_name, "Stripe webhook endpoint signing secret (whsec_...)"
        )

    def _secret(self, construct_id: str, name: str, description: str) -> secretsmanager.Secret:
        secret = secretsmanager.Secret(
            self,
            construct_id,
            secret_name=name,
            description=description,
            generate_secret_string=secretsmanager.SecretStringGenerator(
                exclude_punctuation=True, password_length=32
            ),
            removal_policy=RemovalPolicy.RETAIN,
        )
        acknowledge(
            secret,
            "AwsSolutions-SMG4",
            "Stripe keys are rolled in Stripe's dashboard (a new key is issued there, put here, "
            "and the old one expired); no rotation Lambda can create them.",
        )
        return secret
