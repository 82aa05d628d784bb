"""All configuration in one place, from environment variables (prefix-free, 12-factor).

The ``production`` profile refuses unsafe values at start-up: introspection or GraphiQL on,
local endpoints, demo API keys, in-process caches.
"""

from __future__ import annotations

import json
from enum import StrEnum
from functools import lru_cache
from typing import Annotated, Self
from urllib.parse import urlparse

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

LOCAL_API_KEY = "da2-vitrine-local-development-key"
_LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1", "0.0.0.0"}


class Profile(StrEnum):
    """Deployment profile."""

    LOCAL = "local"
    TEST = "test"
    PRODUCTION = "production"


class CognitoTokenUse(StrEnum):
    """Which Cognito tokens the gateway accepts (AppSync accepts both ID and access tokens)."""

    ANY = "any"
    ID = "id"
    ACCESS = "access"


class PaymentProviderName(StrEnum):
    """Which payment provider takes the money (only the deterministic test provider so far)."""

    TEST = "test"


def _is_loopback(url: str | None) -> bool:
    return url is not None and (urlparse(url).hostname or "") in _LOOPBACK_HOSTS


class Settings(BaseSettings):
    """Vitrine settings; every adapter reads its endpoint and names from here."""

    model_config = SettingsConfigDict(env_file=None, extra="ignore", case_sensitive=False)

    profile: Profile = Field(default=Profile.LOCAL, validation_alias="VITRINE_PROFILE")
    host: str = Field(default="127.0.0.1", validation_alias="VITRINE_HOST")
    port: int = Field(default=8000, validation_alias="VITRINE_PORT")

    aws_region: str = Field(default="us-east-1", validation_alias="AWS_REGION")
    aws_endpoint_url: str | None = Field(default=None, validation_alias="AWS_ENDPOINT_URL")
    aws_access_key_id: str | None = Field(default=None, validation_alias="AWS_ACCESS_KEY_ID")
    aws_secret_access_key: SecretStr | None = Field(
        default=None, validation_alias="AWS_SECRET_ACCESS_KEY"
    )
    catalog_table: str = Field(default="vitrine-catalog", validation_alias="VITRINE_CATALOG_TABLE")
    asset_bucket: str = Field(default="vitrine-assets", validation_alias="VITRINE_ASSET_BUCKET")
    render_queue: str = Field(
        default="vitrine-render-jobs", validation_alias="VITRINE_RENDER_QUEUE"
    )
    render_dead_letter_queue: str = Field(
        default="vitrine-render-jobs-dlq", validation_alias="VITRINE_RENDER_DLQ"
    )
    render_max_receive_count: int = Field(
        default=3, ge=1, le=1000, validation_alias="VITRINE_RENDER_MAX_RECEIVE_COUNT"
    )
    render_visibility_timeout_seconds: int = Field(
        default=120, ge=1, le=43_200, validation_alias="VITRINE_RENDER_VISIBILITY_TIMEOUT"
    )
    upload_max_bytes: int = Field(
        default=100 * 1024 * 1024, ge=1, validation_alias="VITRINE_UPLOAD_MAX_BYTES"
    )
    upload_url_ttl_seconds: int = Field(
        default=600, ge=60, le=900, validation_alias="VITRINE_UPLOAD_URL_TTL"
    )
    worker_concurrency: int = Field(
        default=2, ge=1, le=64, validation_alias="VITRINE_WORKER_CONCURRENCY"
    )
    worker_wait_seconds: int = Field(
        default=20, ge=0, le=20, validation_alias="VITRINE_WORKER_WAIT_SECONDS"
    )
    worker_retry_delay_seconds: int = Field(
        default=30, ge=0, le=43_200, validation_alias="VITRINE_WORKER_RETRY_DELAY"
    )
    asset_cdn_base_url: str | None = Field(default=None, validation_alias="VITRINE_ASSET_CDN_URL")
    asset_url_ttl_seconds: int = Field(default=3600, validation_alias="VITRINE_ASSET_URL_TTL")

    database_url: str | None = Field(default=None, validation_alias="DATABASE_URL")
    database_pool_size: int = Field(
        default=10, ge=1, le=200, validation_alias="VITRINE_DB_POOL_SIZE"
    )
    database_max_overflow: int = Field(
        default=10, ge=0, le=200, validation_alias="VITRINE_DB_MAX_OVERFLOW"
    )
    database_pool_timeout_seconds: float = Field(
        default=10.0, gt=0, validation_alias="VITRINE_DB_POOL_TIMEOUT"
    )
    database_pool_recycle_seconds: int = Field(
        default=1800, ge=30, validation_alias="VITRINE_DB_POOL_RECYCLE"
    )
    database_statement_timeout_ms: int | None = Field(
        default=15_000, ge=1, validation_alias="VITRINE_DB_STATEMENT_TIMEOUT_MS"
    )
    redis_url: str | None = Field(default=None, validation_alias="REDIS_URL")

    payment_provider: PaymentProviderName = Field(
        default=PaymentProviderName.TEST, validation_alias="VITRINE_PAYMENT_PROVIDER"
    )
    payment_webhook_secret: SecretStr | None = Field(
        default=None, validation_alias="VITRINE_PAYMENT_WEBHOOK_SECRET"
    )
    tax_rate_basis_points: int = Field(
        default=0, ge=0, le=10_000, validation_alias="VITRINE_TAX_RATE_BASIS_POINTS"
    )
    shipping_flat_rate: int = Field(default=0, ge=0, validation_alias="VITRINE_SHIPPING_FLAT_RATE")
    free_shipping_from: int | None = Field(
        default=None, ge=0, validation_alias="VITRINE_FREE_SHIPPING_FROM"
    )

    api_keys: list[SecretStr] = Field(
        default_factory=lambda: [SecretStr(LOCAL_API_KEY)], validation_alias="VITRINE_API_KEYS"
    )
    cognito_user_pool_id: str | None = Field(
        default=None, validation_alias="COGNITO_USER_POOL_ID", pattern=r"^[\w-]+_[0-9A-Za-z]+$"
    )
    cognito_app_client_ids: Annotated[list[str], NoDecode] = Field(
        default_factory=list, validation_alias="COGNITO_APP_CLIENT_IDS"
    )
    cognito_issuer: str | None = Field(default=None, validation_alias="COGNITO_ISSUER")
    cognito_jwks_url: str | None = Field(default=None, validation_alias="COGNITO_JWKS_URL")
    cognito_token_use: CognitoTokenUse = Field(
        default=CognitoTokenUse.ANY, validation_alias="COGNITO_TOKEN_USE"
    )
    cognito_leeway_seconds: int = Field(
        default=30, ge=0, le=300, validation_alias="COGNITO_LEEWAY_SECONDS"
    )
    cognito_jwks_cache_seconds: int = Field(
        default=3600, ge=60, validation_alias="COGNITO_JWKS_CACHE_SECONDS"
    )
    cognito_jwks_min_refresh_seconds: int = Field(
        default=30, ge=1, validation_alias="COGNITO_JWKS_MIN_REFRESH_SECONDS"
    )

    introspection: bool = Field(default=True, validation_alias="VITRINE_INTROSPECTION")
    graphiql: bool = Field(default=True, validation_alias="VITRINE_GRAPHIQL")
    dataloaders: bool = Field(default=True, validation_alias="VITRINE_DATALOADERS")
    resolver_cache: bool = Field(default=True, validation_alias="VITRINE_RESOLVER_CACHE")
    query_cache_size: int = Field(default=512, ge=16, validation_alias="VITRINE_QUERY_CACHE_SIZE")
    connect_timeout_seconds: int = Field(
        default=2, ge=1, validation_alias="VITRINE_CONNECT_TIMEOUT"
    )
    max_retry_attempts: int = Field(default=1, ge=0, validation_alias="VITRINE_MAX_RETRIES")
    log_level: str = Field(default="INFO", validation_alias="VITRINE_LOG_LEVEL")

    # Limits and cost (docs/configuration.md, "Limits, cost and rate limiting").
    max_depth: int = Field(default=15, ge=1, validation_alias="VITRINE_MAX_DEPTH")
    max_aliases: int = Field(default=30, ge=0, validation_alias="VITRINE_MAX_ALIASES")
    max_fields: int = Field(default=500, ge=1, validation_alias="VITRINE_MAX_FIELDS")
    max_directives: int = Field(default=30, ge=0, validation_alias="VITRINE_MAX_DIRECTIVES")
    max_tokens: int = Field(default=5000, ge=100, validation_alias="VITRINE_MAX_TOKENS")
    max_query_cost: int = Field(default=1000, ge=1, validation_alias="VITRINE_MAX_QUERY_COST")
    cost_list_size: int = Field(default=3, ge=1, validation_alias="VITRINE_COST_LIST_SIZE")
    rate_limit: bool = Field(default=True, validation_alias="VITRINE_RATE_LIMIT")
    rate_limit_bucket: int = Field(default=2000, ge=1, validation_alias="VITRINE_RATE_LIMIT_BUCKET")
    rate_limit_restore_rate: float = Field(
        default=100.0, gt=0, validation_alias="VITRINE_RATE_LIMIT_RESTORE_RATE"
    )
    max_body_bytes: int = Field(default=262_144, ge=1024, validation_alias="VITRINE_MAX_BODY_BYTES")
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, validation_alias="VITRINE_CORS_ORIGINS"
    )
    field_suggestions: bool | None = Field(
        default=None, validation_alias="VITRINE_FIELD_SUGGESTIONS"
    )
    """'Did you mean' hints in validation messages; unset: on except in production."""

    @field_validator("cognito_user_pool_id", "cognito_issuer", "cognito_jwks_url", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        """A JSON list or a comma-separated string of origins."""
        if not isinstance(value, str):
            return value
        text = value.strip()
        if text.startswith("["):
            return json.loads(text)
        return [part.strip().rstrip("/") for part in text.split(",") if part.strip()]

    @model_validator(mode="after")
    def _bucket_holds_a_query(self) -> Self:
        if self.rate_limit_bucket < self.max_query_cost:
            raise ValueError(
                "VITRINE_RATE_LIMIT_BUCKET must be at least VITRINE_MAX_QUERY_COST "
                "(otherwise the most expensive allowed query could never run)"
            )
        return self

    def suggestions_enabled(self) -> bool:
        """Whether validation messages keep graphql-core's 'Did you mean' hints."""
        if self.field_suggestions is None:
            return self.profile is not Profile.PRODUCTION
        return self.field_suggestions

    @field_validator("cognito_app_client_ids", mode="before")
    @classmethod
    def _split_client_ids(cls, value: object) -> object:
        """A JSON list or a comma-separated string, as environment variables hold them."""
        if not isinstance(value, str):
            return value
        text = value.strip()
        if text.startswith("["):
            return json.loads(text)
        return [part.strip() for part in text.split(",") if part.strip()]

    @model_validator(mode="after")
    def _cognito_is_complete(self) -> Self:
        if self.cognito_issuer_value() is None:
            if self.cognito_jwks_url is not None or self.cognito_app_client_ids:
                raise ValueError(
                    "COGNITO_JWKS_URL and COGNITO_APP_CLIENT_IDS need COGNITO_USER_POOL_ID "
                    "(or COGNITO_ISSUER) to be set"
                )
            return self
        if not self.cognito_app_client_ids:
            raise ValueError(
                "COGNITO_APP_CLIENT_IDS must list the app client id(s) whose tokens are accepted "
                "when COGNITO_USER_POOL_ID is set"
            )
        return self

    @property
    def cognito_configured(self) -> bool:
        """Whether Cognito user-pool tokens can be verified (a pool or an issuer is set)."""
        return self.cognito_issuer_value() is not None

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Self:
        if self.profile is not Profile.PRODUCTION:
            return self
        problems = []
        if self.introspection:
            problems.append("VITRINE_INTROSPECTION must be false in production")
        if self.graphiql:
            problems.append("VITRINE_GRAPHIQL must be false in production")
        if self.aws_endpoint_url is not None:
            problems.append(
                "AWS_ENDPOINT_URL must be unset in production (it points at a local stack)"
            )
        if _is_loopback(self.database_url) or self.database_url is None:
            problems.append("DATABASE_URL must point at Aurora, not a local server")
        if self.redis_url is None or _is_loopback(self.redis_url):
            problems.append("REDIS_URL must point at ElastiCache in production")
        if any(k.get_secret_value() == LOCAL_API_KEY for k in self.api_keys):
            problems.append("VITRINE_API_KEYS must not contain the local development key")
        if self.asset_cdn_base_url is None:
            problems.append("VITRINE_ASSET_CDN_URL must be set in production (CloudFront)")
        jwks_url = self.cognito_jwks_url_value()
        if jwks_url is not None and (
            _is_loopback(jwks_url) or urlparse(jwks_url).scheme != "https"
        ):
            problems.append(
                "COGNITO_JWKS_URL must be the user pool's HTTPS JWKS URL in production, "
                "not a local stack"
            )
        if self.field_suggestions:
            problems.append("VITRINE_FIELD_SUGGESTIONS must not be true in production")
        if "*" in self.cors_origins:
            problems.append("VITRINE_CORS_ORIGINS must list origins, not '*', in production")
        if problems:
            raise ValueError("Unsafe production settings: " + "; ".join(problems))
        return self

    def api_key_values(self) -> frozenset[str]:
        """The accepted API keys, as plain strings."""
        return frozenset(k.get_secret_value() for k in self.api_keys)

    def cognito_issuer_value(self) -> str | None:
        """The expected ``iss`` of tokens: COGNITO_ISSUER, else derived from the pool id."""
        if self.cognito_issuer is not None:
            return self.cognito_issuer.rstrip("/")
        if self.cognito_user_pool_id is None:
            return None
        region = self.cognito_user_pool_id.partition("_")[0] or self.aws_region
        return f"https://cognito-idp.{region}.amazonaws.com/{self.cognito_user_pool_id}"

    def cognito_jwks_url_value(self) -> str | None:
        """The signing keys URL: COGNITO_JWKS_URL, else ``<issuer>/.well-known/jwks.json``."""
        if self.cognito_jwks_url is not None:
            return self.cognito_jwks_url
        issuer = self.cognito_issuer_value()
        return None if issuer is None else f"{issuer}/.well-known/jwks.json"

    def secret_access_key(self) -> str | None:
        """The AWS secret key, if one is configured."""
        return (
            None
            if self.aws_secret_access_key is None
            else self.aws_secret_access_key.get_secret_value()
        )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings read once from the environment."""
    return Settings()
