"""Cognito settings: derived issuer and JWKS URL, client id lists, what production refuses."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from gateway.bootstrap import build_token_verifier
from gateway.cognito import CognitoConfig, CognitoNotConfigured, CognitoVerifier
from gateway.settings import CognitoTokenUse, Settings
from resolvers.errors import Unauthorized
from tests.support.profiles import SAFE_PRODUCTION

POOL = "eu-west-1_AbCdEf123"
AWS_ISSUER = f"https://cognito-idp.eu-west-1.amazonaws.com/{POOL}"


def settings(**values: object) -> Settings:
    return Settings(**{"VITRINE_PROFILE": "test", **values})  # type: ignore[arg-type]


def test_issuer_and_jwks_url_are_derived_from_the_pool() -> None:
    configured = settings(COGNITO_USER_POOL_ID=POOL, COGNITO_APP_CLIENT_IDS="client1")
    config = CognitoConfig.from_settings(configured)
    assert config is not None
    assert config.issuer == AWS_ISSUER
    assert config.jwks_url == f"{AWS_ISSUER}/.well-known/jwks.json"
    assert config.app_client_ids == frozenset({"client1"})
    assert config.token_use is CognitoTokenUse.ANY
    assert isinstance(build_token_verifier(configured), CognitoVerifier)


def test_issuer_and_jwks_url_are_separate_settings() -> None:
    # as for moto: the real AWS issuer in the tokens, the keys on the local endpoint
    configured = settings(
        COGNITO_USER_POOL_ID=POOL,
        COGNITO_APP_CLIENT_IDS="client1",
        COGNITO_JWKS_URL=f"http://127.0.0.1:5000/{POOL}/.well-known/jwks.json",
    )
    config = CognitoConfig.from_settings(configured)
    assert config is not None
    assert config.issuer == AWS_ISSUER
    assert config.jwks_url == f"http://127.0.0.1:5000/{POOL}/.well-known/jwks.json"
    explicit = settings(
        COGNITO_ISSUER="https://issuer.example.com/pool/",
        COGNITO_APP_CLIENT_IDS="client1",
    )
    assert explicit.cognito_issuer_value() == "https://issuer.example.com/pool"
    assert explicit.cognito_jwks_url_value() == (
        "https://issuer.example.com/pool/.well-known/jwks.json"
    )


def test_client_ids_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COGNITO_USER_POOL_ID", POOL)
    monkeypatch.setenv("COGNITO_APP_CLIENT_IDS", " web1, ios2 ,")
    assert Settings().cognito_app_client_ids == ["web1", "ios2"]
    monkeypatch.setenv("COGNITO_APP_CLIENT_IDS", '["web1", "android3"]')
    monkeypatch.setenv("COGNITO_TOKEN_USE", "access")
    loaded = Settings()
    assert loaded.cognito_app_client_ids == ["web1", "android3"]
    assert loaded.cognito_token_use is CognitoTokenUse.ACCESS


async def test_no_pool_means_tokens_are_refused_with_a_clear_reason() -> None:
    unconfigured = settings(COGNITO_USER_POOL_ID="")
    verifier = build_token_verifier(unconfigured)
    assert isinstance(verifier, CognitoNotConfigured)
    assert CognitoConfig.from_settings(unconfigured) is None
    with pytest.raises(Unauthorized) as refused:
        await verifier.verify("a.b.c")
    assert "Cognito is not configured" in str(refused.value)


@pytest.mark.parametrize(
    ("values", "complaint"),
    [
        ({"COGNITO_USER_POOL_ID": POOL}, "COGNITO_APP_CLIENT_IDS must list the app client"),
        ({"COGNITO_APP_CLIENT_IDS": "client1"}, "need COGNITO_USER_POOL_ID"),
        ({"COGNITO_USER_POOL_ID": "not a pool"}, "COGNITO_USER_POOL_ID"),
        (
            {"COGNITO_USER_POOL_ID": POOL, "COGNITO_APP_CLIENT_IDS": "c", "COGNITO_TOKEN_USE": "x"},
            "COGNITO_TOKEN_USE",
        ),
    ],
)
def test_incomplete_cognito_settings_are_refused(values: dict[str, object], complaint: str) -> None:
    with pytest.raises(ValidationError) as refused:
        settings(**values)
    assert complaint in str(refused.value)


def production(**values: object) -> Settings:
    return Settings(**{**SAFE_PRODUCTION, **values})  # type: ignore[arg-type]


def test_production_accepts_the_pools_own_jwks_url() -> None:
    configured = production(COGNITO_USER_POOL_ID=POOL, COGNITO_APP_CLIENT_IDS="web1")
    assert configured.cognito_jwks_url_value() == f"{AWS_ISSUER}/.well-known/jwks.json"


@pytest.mark.parametrize(
    "jwks_url",
    [
        "http://127.0.0.1:5000/pool/.well-known/jwks.json",
        "https://localhost/pool/.well-known/jwks.json",
        "http://keys.example.com/jwks.json",
    ],
)
def test_production_refuses_a_local_or_plain_http_jwks_url(jwks_url: str) -> None:
    with pytest.raises(ValidationError) as refused:
        production(
            COGNITO_USER_POOL_ID=POOL, COGNITO_APP_CLIENT_IDS="web1", COGNITO_JWKS_URL=jwks_url
        )
    assert "COGNITO_JWKS_URL must be the user pool's HTTPS JWKS URL in production" in str(
        refused.value
    )
