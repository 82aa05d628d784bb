"""Secrets by ARN, read from Secrets Manager (moto server) at cold start."""

from __future__ import annotations

import json
import uuid

import boto3
import pytest

from datasources.errors import DataSourceUnavailable
from datasources.records import Money
from datasources.shopping_records import PaymentRequest
from gateway.bootstrap import build_payment_provider
from gateway.secrets import SecretResolutionError, resolve_secrets, with_credentials
from gateway.settings import LOCAL_API_KEY, Profile
from tests.conftest import make_settings
from tests.support.moto_process import MotoProcess

pytestmark = pytest.mark.integration


def secret(moto: MotoProcess, value: str) -> str:
    """A new secret in moto; its ARN."""
    client = boto3.client(
        "secretsmanager",
        region_name="us-east-1",
        endpoint_url=moto.endpoint_url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    created = client.create_secret(Name=f"vitrine/test/{uuid.uuid4().hex[:10]}", SecretString=value)
    return str(created["ARN"])


def test_every_secret_is_read_by_arn(moto: MotoProcess) -> None:
    # given the four secrets as the stacks create them
    api_keys = secret(moto, json.dumps({"key": "sk-storefront-1"}))
    database = secret(
        moto, json.dumps({"username": "vitrine", "password": "p@ss/w:rd", "host": "ignored"})
    )
    redis = secret(moto, "redis-token-123")
    origin = secret(moto, "cf-origin-secret")
    settings = make_settings(
        moto.endpoint_url,
        AWS_REGION="us-east-1",
        VITRINE_API_KEYS_SECRET_ARN=api_keys,
        VITRINE_DATABASE_SECRET_ARN=database,
        VITRINE_REDIS_AUTH_SECRET_ARN=redis,
        VITRINE_ORIGIN_VERIFY_SECRET_ARN=origin,
        DATABASE_URL="postgresql://vitrine@proxy.example:5432/vitrine?sslmode=require",
        REDIS_URL="rediss://primary.example:6380/0",
    )
    # when the gateway starts
    resolved = resolve_secrets(settings)
    # then each setting holds its secret, escaped where it goes into a URL
    assert resolved.api_key_values() == frozenset({"sk-storefront-1"})
    assert LOCAL_API_KEY not in resolved.api_key_values()
    assert resolved.database_url == (
        "postgresql://vitrine:p%40ss%2Fw%3Ard@proxy.example:5432/vitrine?sslmode=require"
    )
    assert resolved.redis_url == "rediss://:redis-token-123@primary.example:6380/0"
    assert resolved.origin_verify_secret is not None
    assert resolved.origin_verify_secret.get_secret_value() == "cf-origin-secret"
    # and the settings it started from are unchanged
    assert (
        settings.database_url == "postgresql://vitrine@proxy.example:5432/vitrine?sslmode=require"
    )


def test_a_missing_secret_fails_the_cold_start_with_its_arn(moto: MotoProcess) -> None:
    arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:vitrine/none-AbCdEf"
    settings = make_settings(
        moto.endpoint_url, AWS_REGION="us-east-1", VITRINE_API_KEYS_SECRET_ARN=arn
    )
    with pytest.raises(
        SecretResolutionError, match=r"refused .*vitrine/none-AbCdEf \(ResourceNotFoundException\)"
    ):
        resolve_secrets(settings)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("{not json", "is not valid JSON"),
        (json.dumps({"other": "x"}), "must hold"),
        (json.dumps([]), "holds no API key"),
    ],
)
def test_malformed_api_key_secrets_are_refused(moto: MotoProcess, value: str, message: str) -> None:
    arn = secret(moto, value)
    settings = make_settings(
        moto.endpoint_url, AWS_REGION="us-east-1", VITRINE_API_KEYS_SECRET_ARN=arn
    )
    with pytest.raises(SecretResolutionError, match=message):
        resolve_secrets(settings)


def test_database_secret_without_password_or_url_is_refused(moto: MotoProcess) -> None:
    arn = secret(moto, json.dumps({"username": "vitrine"}))
    with_url = make_settings(
        moto.endpoint_url,
        AWS_REGION="us-east-1",
        VITRINE_DATABASE_SECRET_ARN=arn,
        DATABASE_URL="postgresql://proxy.example/vitrine",
    )
    with pytest.raises(SecretResolutionError, match="has no 'password' field"):
        resolve_secrets(with_url)
    without_url = make_settings(moto.endpoint_url, VITRINE_DATABASE_SECRET_ARN=arn)
    with pytest.raises(SecretResolutionError, match="DATABASE_URL is not"):
        resolve_secrets(without_url, fetch=lambda _: "{}")


def test_production_refuses_the_local_key_from_a_secret(moto: MotoProcess) -> None:
    arn = secret(moto, LOCAL_API_KEY)
    settings = make_settings(
        moto.endpoint_url, AWS_REGION="us-east-1", VITRINE_API_KEYS_SECRET_ARN=arn
    ).model_copy(update={"profile": Profile.PRODUCTION})
    with pytest.raises(SecretResolutionError, match="local development key"):
        resolve_secrets(settings)


def test_no_arn_means_no_call() -> None:
    settings = make_settings("http://127.0.0.1:1")
    calls: list[str] = []
    assert resolve_secrets(settings, fetch=calls.append) is settings  # type: ignore[arg-type]
    assert calls == []


def test_credentials_go_into_the_url_with_the_user_of_the_secret() -> None:
    assert (
        with_credentials("postgresql://db.example:5432/vitrine", "pw", "app")
        == "postgresql://app:pw@db.example:5432/vitrine"
    )
    with pytest.raises(SecretResolutionError, match="names no user"):
        with_credentials("postgresql://db.example/vitrine", "pw", None)


def test_stripe_keys_are_read_by_arn_and_build_the_stripe_adapter(moto: MotoProcess) -> None:
    # given the Stripe secret key and webhook signing secret in Secrets Manager
    key = secret(moto, "sk_live_from_secrets_manager")
    signing = secret(moto, "whsec_from_secrets_manager")
    settings = make_settings(
        moto.endpoint_url,
        AWS_REGION="us-east-1",
        VITRINE_PAYMENT_PROVIDER="stripe",
        VITRINE_STRIPE_SECRET_ARN=key,
        VITRINE_STRIPE_WEBHOOK_SECRET_ARN=signing,
    )
    # when the process starts (the settings load without a key in the environment)
    unresolved_build = pytest.raises(ValueError, match="stripe has no key")
    with unresolved_build:
        build_payment_provider(settings)
    resolved = resolve_secrets(settings)
    # then the keys come from the secrets and the Stripe adapter is built with them
    assert resolved.stripe_secret_key is not None
    assert resolved.stripe_secret_key.get_secret_value() == "sk_live_from_secrets_manager"
    assert resolved.stripe_webhook_secret is not None
    assert resolved.stripe_webhook_secret.get_secret_value() == "whsec_from_secrets_manager"
    assert build_payment_provider(resolved).name == "stripe"


async def test_a_process_without_payments_refuses_every_payment_call() -> None:
    provider = build_payment_provider(
        make_settings("http://127.0.0.1:1", VITRINE_PAYMENT_PROVIDER="none")
    )
    request = PaymentRequest("order-1", Money(100, "EUR"), "pm_card_visa", "key-1")
    with pytest.raises(DataSourceUnavailable, match="takes no payments"):
        await provider.authorize(request)
    with pytest.raises(DataSourceUnavailable, match="takes no payments"):
        await provider.capture("pi_1", Money(100, "EUR"), idempotency_key="key-2")
    with pytest.raises(DataSourceUnavailable, match="takes no payments"):
        await provider.refund("pi_1", Money(100, "EUR"), idempotency_key="key-3")
