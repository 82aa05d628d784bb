"""Identity: the Cognito user pool, its app client and groups, and the API keys."""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack
from constructs import Construct

from infra_cdk.config import DeployConfig
from infra_cdk.constructs.identity import ApiKeys, UserDirectory
from infra_cdk.constructs.payment_secrets import StripeSecrets


class IdentityStack(Stack):
    """Who may call the API."""

    def __init__(
        self, scope: Construct, construct_id: str, *, config: DeployConfig, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        names = config.names
        self.users = UserDirectory(
            self,
            "Users",
            user_pool_name=names.user_pool,
            hosted_ui_domain_prefix=config.hosted_ui_domain_prefix,
            callback_urls=[f"{config.public_url}/"],
        )
        self.api_keys = ApiKeys(self, "ApiKeys", secret_name=names.secret("api-keys"))
        self.stripe = StripeSecrets(
            self,
            "Stripe",
            key_name=names.secret("stripe-api-key"),
            webhook_name=names.secret("stripe-webhook"),
        )
