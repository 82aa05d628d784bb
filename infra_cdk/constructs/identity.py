"""Cognito user pool of shoppers and merchant admins, and the storefronts' API keys."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra_cdk.nag import acknowledge
from infra_cdk.names import ADMIN_GROUP, SHOPPER_GROUP

API_KEY_FIELD = "key"


class UserDirectory(Construct):
    """A user pool with email sign-in, a strong password policy and optional TOTP MFA, one
    public app client (SRP, no secret: storefronts and mobile apps), the ``admin`` and
    ``shopper`` groups, and the hosted UI domain only when a prefix is given."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        user_pool_name: str,
        hosted_ui_domain_prefix: str | None,
        callback_urls: list[str],
    ) -> None:
        super().__init__(scope, construct_id)
        self.user_pool = cognito.UserPool(
            self,
            "UserPool",
            user_pool_name=user_pool_name,
            self_sign_up_enabled=True,
            sign_in_aliases=cognito.SignInAliases(email=True),
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            keep_original=cognito.KeepOriginalAttrs(email=True),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            password_policy=cognito.PasswordPolicy(
                min_length=12,
                require_digits=True,
                require_lowercase=True,
                require_uppercase=True,
                require_symbols=True,
                temp_password_validity=Duration.days(3),
            ),
            mfa=cognito.Mfa.OPTIONAL,
            mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False),
            feature_plan=cognito.FeaturePlan.ESSENTIALS,
            deletion_protection=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        acknowledge(
            self.user_pool,
            "AwsSolutions-COG2",
            "Shoppers sign up from the storefront, where mandatory MFA costs conversions; "
            "TOTP MFA is offered to every user and merchant admins are expected to enrol.",
        )
        acknowledge(
            self.user_pool,
            "AwsSolutions-COG8",
            "Threat protection needs the Plus feature plan, billed per monthly active user "
            "(millions of shoppers); WAF rate rules guard the API. Revisit with the cost "
            "estimate in docs/deploy.md.",
        )
        self.client = self.user_pool.add_client(
            "StorefrontClient",
            user_pool_client_name="storefront",
            generate_secret=False,
            auth_flows=cognito.AuthFlow(user_srp=True),
            prevent_user_existence_errors=True,
            enable_token_revocation=True,
            access_token_validity=Duration.hours(1),
            id_token_validity=Duration.hours(1),
            refresh_token_validity=Duration.days(30),
            o_auth=cognito.OAuthSettings(
                flows=cognito.OAuthFlows(authorization_code_grant=True),
                scopes=[cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL],
                callback_urls=callback_urls,
                logout_urls=callback_urls,
            )
            if hosted_ui_domain_prefix
            else None,
            disable_o_auth=hosted_ui_domain_prefix is None,
        )
        self.groups = {
            name: cognito.UserPoolGroup(
                self,
                f"{name.capitalize()}Group",
                user_pool=self.user_pool,
                group_name=name,
                description=description,
                precedence=precedence,
            )
            for name, description, precedence in (
                (ADMIN_GROUP, "Merchant admins: catalog mutations", 0),
                (SHOPPER_GROUP, "Shoppers: carts and orders", 10),
            )
        }
        self.domain: cognito.UserPoolDomain | None = None
        if hosted_ui_domain_prefix:
            self.domain = self.user_pool.add_domain(
                "HostedUi",
                cognito_domain=cognito.CognitoDomainOptions(domain_prefix=hosted_ui_domain_prefix),
                managed_login_version=cognito.ManagedLoginVersion.NEWER_MANAGED_LOGIN,
            )


class ApiKeys(Construct):
    """The storefronts' API key (AppSync-style ``x-api-key``), generated in Secrets Manager."""

    def __init__(self, scope: Construct, construct_id: str, *, secret_name: str) -> None:
        super().__init__(scope, construct_id)
        self.secret = secretsmanager.Secret(
            self,
            "Secret",
            secret_name=secret_name,
            description="Storefront API keys accepted in x-api-key",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                secret_string_template="{}",
                generate_string_key=API_KEY_FIELD,
                exclude_punctuation=True,
                password_length=48,
            ),
            removal_policy=RemovalPolicy.RETAIN,
        )
        acknowledge(
            self.secret,
            "AwsSolutions-SMG4",
            "API keys are handed to storefront builds, so they change on a release schedule "
            "(add the new key, deploy clients, remove the old) rather than by automatic "
            "rotation, as with AppSync API keys.",
        )
