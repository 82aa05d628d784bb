"""All configuration in one place, from environment variables (prefix-free, 12-factor).

The ``production`` profile refuses unsafe values at start-up: introspection or GraphiQL on,
local endpoints, demo API keys, in-process caches.
"""

from __future__ import annotations

import json
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
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
    """Which payment provider takes the money: the deterministic test provider or Stripe."""

    TEST = "test"
    STRIPE = "stripe"
    NONE = "none"
    """This process takes no payments (render workers, indexers): checkout answers
    ServiceUnavailable."""


class ConsumerPlacement(StrEnum):
    """Where the event consumers (search indexer, availability projection) run."""

    IN_PROCESS = "in-process"
    """Inside every API process (the local stack, a single container)."""
    EXTERNAL = "external"
    """In ``vitrine consumers`` processes of their own; API processes only publish. Needs
    REDIS_URL, so that events cross processes."""


class SearchEngineName(StrEnum):
    """Which engine answers product search: embedded tantivy (local) or OpenSearch (AWS)."""

    TANTIVY = "tantivy"
    OPENSEARCH = "opensearch"


class OpenSearchAuth(StrEnum):
    """How requests to OpenSearch are authenticated."""

    NONE = "none"
    SIGV4 = "sigv4"


class AnalyticsSinkName(StrEnum):
    """Where shopper events go: a ring buffer in the process (local) or Kinesis (AWS)."""

    LOCAL = "local"
    KINESIS = "kinesis"


def _is_loopback(url: str | None) -> bool:
    return url is not None and (urlparse(url).hostname or "") in _LOOPBACK_HOSTS


SECRET_ARN_PATTERN = r"^arn:aws[\w-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[\w/+=.@-]+$"
"""A Secrets Manager secret ARN (the gateway reads secrets by ARN, never by name)."""


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
    render_max_size: int = Field(
        default=2048, ge=8, le=4096, validation_alias="VITRINE_RENDER_MAX_SIZE"
    )
    render_max_frames: int = Field(
        default=72, ge=1, le=360, validation_alias="VITRINE_RENDER_MAX_FRAMES"
    )
    ingest_poster_size: int = Field(
        default=1024, ge=0, le=4096, validation_alias="VITRINE_INGEST_POSTER_SIZE"
    )
    """Pixels a side of the default-look poster the worker queues for every ingested asset;
    0: no automatic poster."""
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
    cart_hold_minutes: int = Field(
        default=0, ge=0, le=1440, validation_alias="VITRINE_CART_HOLD_MINUTES"
    )
    """Minutes a cart holds the units it asks for (Saleor's checkout stock reservation);
    0: carts hold nothing and the checkout alone allocates."""
    consumers: ConsumerPlacement = Field(
        default=ConsumerPlacement.IN_PROCESS, validation_alias="VITRINE_CONSUMERS"
    )
    """Where the search indexer and the availability projection run (see ConsumerPlacement)."""
    local_worker: bool = Field(default=False, validation_alias="VITRINE_LOCAL_WORKER")
    """Run the ingest/render worker inside the API process (``vitrine serve --local`` turns it
    on, so that an upload completes with no second terminal); production runs workers apart."""
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

    search_engine: SearchEngineName = Field(
        default=SearchEngineName.TANTIVY, validation_alias="VITRINE_SEARCH_ENGINE"
    )
    search_index_dir: Path | None = Field(default=None, validation_alias="VITRINE_SEARCH_INDEX_DIR")
    """Where the embedded engine keeps its indexes; unset: ``.vitrine/search`` here."""
    search_alias: str = Field(
        default="products",
        pattern=r"^[a-z0-9][a-z0-9_]{0,39}$",
        validation_alias="VITRINE_SEARCH_ALIAS",
    )
    """The alias searches read; a reindex builds ``<alias>-<timestamp>`` and switches it."""
    opensearch_url: str | None = Field(default=None, validation_alias="OPENSEARCH_URL")
    opensearch_timeout_seconds: float = Field(
        default=5.0, gt=0, le=60, validation_alias="VITRINE_OPENSEARCH_TIMEOUT"
    )
    opensearch_auth: OpenSearchAuth = Field(
        default=OpenSearchAuth.NONE, validation_alias="VITRINE_OPENSEARCH_AUTH"
    )
    """``sigv4`` signs every request for an Amazon OpenSearch Service domain (IAM, in
    ``AWS_REGION``); ``none`` for a cluster that needs no credentials (local, tests)."""

    analytics_sink: AnalyticsSinkName = Field(
        default=AnalyticsSinkName.LOCAL, validation_alias="VITRINE_ANALYTICS_SINK"
    )
    analytics_stream: str = Field(
        default="vitrine-analytics",
        pattern=r"^[a-zA-Z0-9_.-]{1,128}$",
        validation_alias="VITRINE_ANALYTICS_STREAM",
    )
    """The Kinesis data stream events are written to (``VITRINE_ANALYTICS_SINK=kinesis``; on
    AWS Firehose copies it to S3). The CDK app sets it and grants PutRecord(s) on it."""
    analytics_buffer: int = Field(
        default=10_000, ge=1, le=1_000_000, validation_alias="VITRINE_ANALYTICS_BUFFER"
    )
    """Events the local sink keeps (oldest dropped)."""
    analytics_rate_bucket: int = Field(
        default=600, ge=100, validation_alias="VITRINE_ANALYTICS_RATE_BUCKET"
    )
    """Events one identity may send in a burst (at least one full batch of 100)."""
    analytics_rate_restore: float = Field(
        default=5.0, gt=0, validation_alias="VITRINE_ANALYTICS_RATE_RESTORE"
    )
    """Events per second an identity's bucket refills by."""
    trending_hours: int = Field(default=24, ge=1, le=168, validation_alias="VITRINE_TRENDING_HOURS")
    """The window TRENDING recommendations sum shopper activity over."""

    payment_provider: PaymentProviderName = Field(
        default=PaymentProviderName.TEST, validation_alias="VITRINE_PAYMENT_PROVIDER"
    )
    payment_webhook_secret: SecretStr | None = Field(
        default=None, validation_alias="VITRINE_PAYMENT_WEBHOOK_SECRET"
    )
    stripe_secret_key: SecretStr | None = Field(default=None, validation_alias="STRIPE_SECRET_KEY")
    stripe_webhook_secret: SecretStr | None = Field(
        default=None, validation_alias="STRIPE_WEBHOOK_SECRET"
    )
    """Signing secret (``whsec_...``) of the Stripe webhook endpoint."""
    stripe_api_base: str | None = Field(default=None, validation_alias="VITRINE_STRIPE_API_BASE")
    """Another Stripe API address (stripe-mock, a recording proxy); unset: api.stripe.com."""
    stripe_timeout_seconds: float = Field(
        default=10.0, gt=0, le=80, validation_alias="VITRINE_STRIPE_TIMEOUT_SECONDS"
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

    # Secrets read from Secrets Manager at cold start (gateway/secrets.py) instead of plain
    # environment values; each replaces or completes the setting named in its comment.
    api_keys_secret_arn: str | None = Field(
        default=None, pattern=SECRET_ARN_PATTERN, validation_alias="VITRINE_API_KEYS_SECRET_ARN"
    )
    """VITRINE_API_KEYS: a JSON object with ``key``, a JSON list of keys, or one key."""
    database_secret_arn: str | None = Field(
        default=None, pattern=SECRET_ARN_PATTERN, validation_alias="VITRINE_DATABASE_SECRET_ARN"
    )
    """The password (and user, if the URL has none) of DATABASE_URL: the RDS secret JSON."""
    redis_auth_secret_arn: str | None = Field(
        default=None, pattern=SECRET_ARN_PATTERN, validation_alias="VITRINE_REDIS_AUTH_SECRET_ARN"
    )
    """The ElastiCache AUTH token (a plain string) put into REDIS_URL."""
    origin_verify_secret: SecretStr | None = Field(
        default=None, validation_alias="VITRINE_ORIGIN_VERIFY_SECRET"
    )
    """When set, requests without ``x-origin-verify: <this>`` are refused (403)."""
    origin_verify_secret_arn: str | None = Field(
        default=None,
        pattern=SECRET_ARN_PATTERN,
        validation_alias="VITRINE_ORIGIN_VERIFY_SECRET_ARN",
    )
    """VITRINE_ORIGIN_VERIFY_SECRET from Secrets Manager (a plain string)."""
    stripe_secret_arn: str | None = Field(
        default=None, pattern=SECRET_ARN_PATTERN, validation_alias="VITRINE_STRIPE_SECRET_ARN"
    )
    """STRIPE_SECRET_KEY from Secrets Manager (a plain string)."""
    stripe_webhook_secret_arn: str | None = Field(
        default=None,
        pattern=SECRET_ARN_PATTERN,
        validation_alias="VITRINE_STRIPE_WEBHOOK_SECRET_ARN",
    )
    """STRIPE_WEBHOOK_SECRET from Secrets Manager (a plain string)."""
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
    storefront: bool | None = Field(default=None, validation_alias="VITRINE_STOREFRONT")
    """The reference storefront at /storefront; unset: on in the local profile only."""
    dataloaders: bool = Field(default=True, validation_alias="VITRINE_DATALOADERS")
    resolver_cache: bool = Field(default=True, validation_alias="VITRINE_RESOLVER_CACHE")
    query_cache_size: int = Field(default=512, ge=16, validation_alias="VITRINE_QUERY_CACHE_SIZE")
    connect_timeout_seconds: int = Field(
        default=2, ge=1, validation_alias="VITRINE_CONNECT_TIMEOUT"
    )
    max_retry_attempts: int = Field(default=1, ge=0, validation_alias="VITRINE_MAX_RETRIES")
    log_level: str = Field(default="INFO", validation_alias="VITRINE_LOG_LEVEL")
    metrics: bool = Field(default=False, validation_alias="VITRINE_METRICS")
    """CloudWatch embedded metric format documents on stdout, one set per operation."""
    metrics_namespace: str = Field(
        default="Vitrine",
        min_length=1,
        max_length=255,
        validation_alias="VITRINE_METRICS_NAMESPACE",
    )
    metrics_service: str = Field(
        default="gateway", min_length=1, max_length=255, validation_alias="VITRINE_METRICS_SERVICE"
    )
    readiness_timeout_seconds: float = Field(
        default=2.0, gt=0, le=30, validation_alias="VITRINE_READINESS_TIMEOUT"
    )

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
    event_max_pending: int = Field(
        default=256, ge=1, le=100_000, validation_alias="VITRINE_EVENT_MAX_PENDING"
    )
    """Events that may wait for one subscriber before it is dropped as too slow."""
    event_channel_prefix: str = Field(
        default="vitrine:events:",
        min_length=1,
        max_length=100,
        validation_alias="VITRINE_EVENT_CHANNEL_PREFIX",
    )
    """Prefix of the Redis pub/sub channels (one per topic) when REDIS_URL is set."""
    ws_max_connections_per_identity: int = Field(
        default=20, ge=1, le=10_000, validation_alias="VITRINE_WS_MAX_CONNECTIONS_PER_IDENTITY"
    )
    """Open subscription WebSockets one caller (Cognito sub or API key) may hold per process."""
    ws_connection_init_timeout_seconds: float = Field(
        default=10.0, gt=0, le=300, validation_alias="VITRINE_WS_CONNECTION_INIT_TIMEOUT_SECONDS"
    )
    """How long a new WebSocket may wait before sending connection_init; then it is closed."""
    ws_keep_alive_seconds: float = Field(
        default=15.0, gt=0, le=300, validation_alias="VITRINE_WS_KEEP_ALIVE_SECONDS"
    )
    """Interval of keep-alive messages on subscription WebSockets (graphql-ws ``ka``)."""
    sse_keep_alive_seconds: float = Field(
        default=15.0, gt=0, le=300, validation_alias="VITRINE_SSE_KEEP_ALIVE_SECONDS"
    )
    """Interval of keep-alive comments on Server-Sent Events streams (``/graphql/stream``)."""
    sse_send_timeout_seconds: float = Field(
        default=30.0, gt=0, le=600, validation_alias="VITRINE_SSE_SEND_TIMEOUT_SECONDS"
    )
    """How long one write to a Server-Sent Events client may wait (the client reads nothing);
    then its stream is dropped and its subscription ended."""
    max_body_bytes: int = Field(default=262_144, ge=1024, validation_alias="VITRINE_MAX_BODY_BYTES")
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, validation_alias="VITRINE_CORS_ORIGINS"
    )
    field_suggestions: bool | None = Field(
        default=None, validation_alias="VITRINE_FIELD_SUGGESTIONS"
    )
    """'Did you mean' hints in validation messages; unset: on except in production."""
    request_timeout_seconds: float | None = Field(
        default=10.0, gt=0, le=300, validation_alias="VITRINE_REQUEST_TIMEOUT_SECONDS"
    )
    """Longest one GraphQL operation may run; its pending data-source calls are cancelled."""

    # Persisted queries and HTTP caching (docs/caching.md).
    persisted_queries: bool = Field(default=True, validation_alias="VITRINE_PERSISTED_QUERIES")
    persisted_query_ttl_seconds: int = Field(
        default=86_400, ge=60, validation_alias="VITRINE_PERSISTED_QUERY_TTL"
    )
    trusted_documents_only: bool = Field(
        default=False, validation_alias="VITRINE_TRUSTED_DOCUMENTS_ONLY"
    )
    """Refuse every document that is not in the trusted-documents manifest."""
    trusted_documents_manifest: Path | None = Field(
        default=None, validation_alias="VITRINE_TRUSTED_DOCUMENTS_MANIFEST"
    )
    """The manifest file; unset: client_examples/trusted-documents.json."""
    http_cache_max_age_seconds: int = Field(
        default=60, ge=0, le=86_400, validation_alias="VITRINE_HTTP_CACHE_MAX_AGE"
    )
    http_cache_stale_while_revalidate_seconds: int = Field(
        default=300, ge=0, le=86_400, validation_alias="VITRINE_HTTP_CACHE_STALE_WHILE_REVALIDATE"
    )
    response_cache: bool = Field(default=True, validation_alias="VITRINE_RESPONSE_CACHE")
    """Keep whole public catalog answers (GET) for VITRINE_HTTP_CACHE_MAX_AGE seconds."""
    response_cache_max_entries: int = Field(
        default=10_000, ge=1, validation_alias="VITRINE_RESPONSE_CACHE_MAX_ENTRIES"
    )
    """The in-process response cache's bound (without REDIS_URL)."""
    response_cache_namespace: str = Field(
        default="vitrine:responses",
        min_length=1,
        validation_alias="VITRINE_RESPONSE_CACHE_NAMESPACE",
    )
    """The Redis key prefix of the response cache (one per deployment sharing a Redis)."""
    cloudfront_distribution_id: str | None = Field(
        default=None, validation_alias="VITRINE_CLOUDFRONT_DISTRIBUTION_ID"
    )
    """The CloudFront distribution in front of /graphql; unset: no CDN invalidations."""
    cdn_invalidation_interval_seconds: float = Field(
        default=60.0, ge=0, le=3_600, validation_alias="VITRINE_CDN_INVALIDATION_INTERVAL_SECONDS"
    )
    """How long catalog changes are collected into one CloudFront invalidation."""
    cdn_invalidation_paths: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["/graphql*"], validation_alias="VITRINE_CDN_INVALIDATION_PATHS"
    )
    """The paths each invalidation names (CloudFront charges per path)."""

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

    @field_validator("cdn_invalidation_paths", mode="before")
    @classmethod
    def _split_paths(cls, value: object) -> object:
        """A JSON list or a comma-separated string of paths, each starting with '/'."""
        if isinstance(value, str):
            text = value.strip()
            value = (
                json.loads(text)
                if text.startswith("[")
                else [p.strip() for p in text.split(",") if p.strip()]
            )
        if isinstance(value, list):
            if not value:
                raise ValueError("VITRINE_CDN_INVALIDATION_PATHS must name at least one path")
            for path in value:
                if not isinstance(path, str) or not path.startswith("/"):
                    raise ValueError(
                        f"VITRINE_CDN_INVALIDATION_PATHS: {path!r} does not start with '/'"
                    )
        return value

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

    @model_validator(mode="after")
    def _external_consumers_hear_events(self) -> Self:
        if self.consumers is ConsumerPlacement.EXTERNAL and not self.redis_url:
            raise ValueError(
                "VITRINE_CONSUMERS=external needs REDIS_URL: without it events stay inside "
                "the process that published them and no consumer would hear them"
            )
        return self

    @model_validator(mode="after")
    def _opensearch_has_a_url(self) -> Self:
        if self.search_engine is SearchEngineName.OPENSEARCH and not self.opensearch_url:
            raise ValueError("VITRINE_SEARCH_ENGINE=opensearch needs OPENSEARCH_URL")
        return self

    def search_index_path(self) -> Path:
        """The embedded engine's index directory (``.vitrine/search`` under the current one
        when VITRINE_SEARCH_INDEX_DIR is unset, next to the local stack's other state)."""
        if self.search_index_dir is not None:
            return self.search_index_dir
        return Path.cwd() / ".vitrine" / "search"

    @model_validator(mode="after")
    def _stripe_has_a_key(self) -> Self:
        if (
            self.payment_provider is PaymentProviderName.STRIPE
            and self.stripe_secret_key is None
            and self.stripe_secret_arn is None
        ):
            raise ValueError(
                "VITRINE_PAYMENT_PROVIDER=stripe needs STRIPE_SECRET_KEY "
                "(or VITRINE_STRIPE_SECRET_ARN)"
            )
        return self

    def storefront_enabled(self) -> bool:
        """Whether the gateway serves the reference storefront (default: local profile only)."""
        if self.storefront is None:
            return self.profile is Profile.LOCAL
        return self.storefront

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
        if self.storefront:
            problems.append("VITRINE_STOREFRONT must not be true in production")
        if self.aws_endpoint_url is not None:
            problems.append(
                "AWS_ENDPOINT_URL must be unset in production (it points at a local stack)"
            )
        if _is_loopback(self.database_url) or self.database_url is None:
            problems.append("DATABASE_URL must point at Aurora, not a local server")
        if self.redis_url is None or _is_loopback(self.redis_url):
            problems.append("REDIS_URL must point at ElastiCache in production")
        if self.api_keys_secret_arn is None and any(
            k.get_secret_value() == LOCAL_API_KEY for k in self.api_keys
        ):
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
        if self.payment_provider is PaymentProviderName.TEST:
            problems.append("VITRINE_PAYMENT_PROVIDER must be a real provider in production")
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
