"""Settings refuse unsafe production values."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from gateway.bootstrap import build_payment_provider
from gateway.settings import LOCAL_API_KEY, Settings
from tests.support.profiles import SAFE_PRODUCTION


def test_safe_production_settings_load() -> None:
    settings = Settings(**SAFE_PRODUCTION)  # type: ignore[arg-type]
    assert settings.introspection is False
    assert settings.api_key_values() == frozenset({"da2-production-key"})


@pytest.mark.parametrize(
    ("override", "complaint"),
    [
        ({"VITRINE_INTROSPECTION": True}, "VITRINE_INTROSPECTION must be false in production"),
        ({"VITRINE_GRAPHIQL": True}, "VITRINE_GRAPHIQL must be false in production"),
        ({"AWS_ENDPOINT_URL": "http://127.0.0.1:5000"}, "AWS_ENDPOINT_URL must be unset"),
        (
            {"DATABASE_URL": "postgresql://postgres@127.0.0.1:5432/test"},
            "DATABASE_URL must point at Aurora",
        ),
        ({"REDIS_URL": None}, "REDIS_URL must point at ElastiCache"),
        ({"VITRINE_API_KEYS": [LOCAL_API_KEY]}, "must not contain the local development key"),
        ({"VITRINE_ASSET_CDN_URL": None}, "VITRINE_ASSET_CDN_URL must be set"),
        (
            {"VITRINE_PAYMENT_PROVIDER": "test"},
            "VITRINE_PAYMENT_PROVIDER must be a real provider",
        ),
    ],
)
def test_unsafe_production_settings_are_refused(
    override: dict[str, object], complaint: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(**{**SAFE_PRODUCTION, **override})  # type: ignore[arg-type]
    assert complaint in str(refused.value)


def test_local_defaults_are_allowed_outside_production() -> None:
    settings = Settings(VITRINE_PROFILE="local", AWS_ENDPOINT_URL="http://127.0.0.1:5000")  # type: ignore[call-arg]
    assert settings.introspection is True
    assert LOCAL_API_KEY in settings.api_key_values()


def test_stripe_without_a_secret_key_is_refused() -> None:
    with pytest.raises(ValidationError, match="VITRINE_PAYMENT_PROVIDER=stripe needs STRIPE"):
        Settings(VITRINE_PAYMENT_PROVIDER="stripe")  # type: ignore[call-arg]


def test_stripe_settings_build_the_stripe_adapter() -> None:
    settings = Settings(VITRINE_PAYMENT_PROVIDER="stripe", STRIPE_SECRET_KEY="sk_test_x")  # type: ignore[call-arg]
    provider = build_payment_provider(settings)
    assert (type(provider).__name__, provider.name) == ("StripePaymentProvider", "stripe")
