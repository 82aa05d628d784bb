"""Settings refuse unsafe production values."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from gateway.settings import LOCAL_API_KEY, Settings

SAFE_PRODUCTION = {
    "VITRINE_PROFILE": "production",
    "VITRINE_INTROSPECTION": False,
    "VITRINE_GRAPHIQL": False,
    "AWS_ENDPOINT_URL": None,
    "DATABASE_URL": "postgresql://app@aurora.cluster-abc.eu-west-1.rds.amazonaws.com/vitrine",
    "REDIS_URL": "rediss://cache.abc.euw1.cache.amazonaws.com:6379/0",
    "VITRINE_API_KEYS": ["da2-production-key"],
    "VITRINE_ASSET_CDN_URL": "https://assets.example.com",
}


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
