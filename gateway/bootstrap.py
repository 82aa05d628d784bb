"""Composition root: builds every adapter from settings and registers the data sources.

Adapters of optional services (PostgreSQL, Redis) are imported only when their setting is
set, so that a Lambda cold start without them never loads SQLAlchemy, asyncpg or redis-py.
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, TypedDict

from datasources.analytics.local_sink import InProcessAnalyticsSink
from datasources.analytics.trending import InProcessTrending
from datasources.cache.in_process import InProcessCache
from datasources.cache.tagged_in_process import InProcessTaggedCache
from datasources.dynamodb.catalog import DynamoDBCatalog
from datasources.dynamodb.jobs import DynamoDBJobStore
from datasources.dynamodb.models import TableConfig
from datasources.errors import DataSourceUnavailable
from datasources.events.in_process import InProcessEventBus
from datasources.payments.disabled import NoPayments
from datasources.payments.simulated import TestPaymentProvider
from datasources.ports import (
    AnalyticsSink,
    AssetUrls,
    CdnInvalidator,
    EventBus,
    KeyValueCache,
    PaymentProvider,
    ProductSearch,
    RateLimiter,
    TaggedCache,
    TrendingCounters,
)
from datasources.pricing import FlatRateShipping, PercentageTax
from datasources.rate_limit import BucketConfig as RateLimitBucket
from datasources.rate_limit.in_process import InProcessRateLimiter
from datasources.s3.blob_store import BucketConfig, CdnAssetUrls, PresignedAssetUrls, S3BlobStore
from datasources.s3.uploads import S3AssetUploads
from datasources.search.tantivy_engine import TantivySearch
from datasources.sqs.job_queue import QueueConfig, SqsJobQueue
from gateway.cognito import CognitoConfig, CognitoNotConfigured, CognitoVerifier, TokenVerifier
from gateway.settings import (
    AnalyticsSinkName,
    OpenSearchAuth,
    PaymentProviderName,
    SearchEngineName,
    Settings,
)
from resolvers.context import AnalyticsSources, DataSources, JobSources, ShoppingSources

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

    from datasources.analytics.kinesis_sink import StreamConfig


class StartupCheckFailed(RuntimeError):
    """A required service did not answer at start-up."""


@dataclass(frozen=True)
class Services:
    """The adapters with their concrete types, for start-up work the ports do not cover."""

    catalog: DynamoDBCatalog
    blobs: S3BlobStore
    asset_urls: AssetUrls
    cache: KeyValueCache
    tokens: TokenVerifier = field(default_factory=CognitoNotConfigured)
    shopping: ShoppingSources | None = None
    """The shopping store on PostgreSQL; None when DATABASE_URL is unset."""
    engine: AsyncEngine | None = None
    """The PostgreSQL engine behind ``shopping`` (disposed by ``close``)."""
    ingest: IngestServices | None = None
    """Direct uploads, ingest job records and the job queue."""
    rate_limiter: RateLimiter | None = None
    """Leaky buckets per identity (Redis or in-process); None when rate limiting is off."""
    events: EventBus = field(default_factory=InProcessEventBus)
    """Domain events from mutations and workers."""
    search: ProductSearch | None = None
    """Product search (tantivy or OpenSearch); None where none is configured."""
    responses: TaggedCache | None = None
    """The full-response cache (Redis or in-process); None when VITRINE_RESPONSE_CACHE is off."""
    cdn: CdnInvalidator | None = None
    """CloudFront invalidations; None unless VITRINE_CLOUDFRONT_DISTRIBUTION_ID is set."""
    analytics: AnalyticsSources | None = None
    """Shopper events (Kinesis or a local ring buffer) and the trending counters."""

    async def close(self) -> None:
        """Release the clients bound to the running event loop, and the database pool."""
        await self.blobs.close()
        if self.ingest is not None:
            await self.ingest.uploads.close()
            await self.ingest.queue.close()
        if "redis" in sys.modules:  # a Redis adapter exists only once redis-py is imported
            from datasources.cache.redis_cache import RedisCache
            from datasources.rate_limit.redis_limiter import RedisRateLimiter

            if isinstance(self.cache, RedisCache):
                await self.cache.close()
            if isinstance(self.rate_limiter, RedisRateLimiter):
                await self.rate_limiter.close()
            if self.analytics is not None and isinstance(self.analytics.limiter, RedisRateLimiter):
                await self.analytics.limiter.close()
            from datasources.cache.tagged_redis import RedisTaggedCache

            if isinstance(self.responses, RedisTaggedCache):
                await self.responses.close()
        if self.cdn is not None:
            await self.cdn.close()
        await self.events.close()
        if self.search is not None:
            await self.search.close()
        if self.analytics is not None:
            await self.analytics.sink.close()
            await self.analytics.trending.close()
        if self.engine is not None:
            await self.engine.dispose()

    def data_sources(self) -> DataSources:
        """The named data sources resolvers see."""
        return DataSources(
            catalog=self.catalog,
            blobs=self.blobs,
            asset_urls=self.asset_urls,
            cache=self.cache,
            shopping=self.shopping,
            jobs=None if self.ingest is None else self.ingest.sources(),
            events=self.events,
            search=self.search,
            analytics=self.analytics,
        )


@dataclass(frozen=True)
class IngestServices:
    """The ingest adapters with their concrete types (the worker uses them too)."""

    uploads: S3AssetUploads
    jobs: DynamoDBJobStore
    queue: SqsJobQueue
    upload_max_bytes: int
    upload_url_ttl_seconds: int
    render_max_size: int = 2048
    render_max_frames: int = 72

    def sources(self) -> JobSources:
        """The job data sources resolvers see."""
        return JobSources(
            uploads=self.uploads,
            jobs=self.jobs,
            queue=self.queue,
            upload_max_bytes=self.upload_max_bytes,
            upload_url_ttl_seconds=self.upload_url_ttl_seconds,
            render_max_size=self.render_max_size,
            render_max_frames=self.render_max_frames,
        )


class AwsClientFields(TypedDict):
    """How the aioboto3 adapters (S3, SQS, Kinesis) reach AWS, from one place."""

    region: str
    endpoint_url: str | None
    access_key_id: str | None
    secret_access_key: str | None
    connect_timeout_seconds: float
    max_attempts: int


def aws_client(settings: Settings) -> AwsClientFields:
    """Region, endpoint, credentials, timeout and attempts of every aioboto3 adapter."""
    return AwsClientFields(
        region=settings.aws_region,
        endpoint_url=settings.aws_endpoint_url,
        access_key_id=settings.aws_access_key_id,
        secret_access_key=settings.secret_access_key(),
        connect_timeout_seconds=float(settings.connect_timeout_seconds),
        max_attempts=settings.max_retry_attempts + 1,
    )


def queue_config(settings: Settings) -> QueueConfig:
    """Where the ingest job queue and its dead-letter queue are."""
    return QueueConfig(
        queue_name=settings.render_queue,
        dead_letter_queue_name=settings.render_dead_letter_queue,
        max_receive_count=settings.render_max_receive_count,
        visibility_timeout_seconds=settings.render_visibility_timeout_seconds,
        **aws_client(settings),
    )


def table_config(settings: Settings) -> TableConfig:
    """Where the catalog table is."""
    return TableConfig(
        table_name=settings.catalog_table,
        region=settings.aws_region,
        endpoint_url=settings.aws_endpoint_url,
        access_key_id=settings.aws_access_key_id,
        secret_access_key=settings.secret_access_key(),
        connect_timeout_seconds=settings.connect_timeout_seconds,
        max_retry_attempts=settings.max_retry_attempts,
    )


def bucket_config(settings: Settings) -> BucketConfig:
    """Where the asset bucket is."""
    return BucketConfig(
        bucket=settings.asset_bucket,
        **aws_client(settings),
    )


def build_token_verifier(settings: Settings) -> TokenVerifier:
    """The Cognito verifier of the configured user pool; without one, every token is refused."""
    config = CognitoConfig.from_settings(settings)
    return CognitoNotConfigured() if config is None else CognitoVerifier(config)


def build_database_engine(settings: Settings) -> AsyncEngine | None:
    """The pooled PostgreSQL engine of DATABASE_URL (no connection yet), or None if unset."""
    if settings.database_url is None:
        return None
    from datasources.postgres.engine import create_engine

    return create_engine(
        settings.database_url,
        pool_size=settings.database_pool_size,
        max_overflow=settings.database_max_overflow,
        pool_timeout=settings.database_pool_timeout_seconds,
        pool_recycle=settings.database_pool_recycle_seconds,
        statement_timeout_ms=settings.database_statement_timeout_ms,
        application_name="vitrine-gateway",
    )


def build_payment_provider(settings: Settings) -> PaymentProvider:
    """The configured payment provider: the deterministic test provider, Stripe, or none."""
    if settings.payment_provider is PaymentProviderName.TEST:
        return TestPaymentProvider()
    if settings.payment_provider is PaymentProviderName.NONE:
        return NoPayments()
    if settings.payment_provider is PaymentProviderName.STRIPE and settings.stripe_secret_key:
        from datasources.payments.stripe_provider import StripeConfig, StripePaymentProvider

        return StripePaymentProvider(
            StripeConfig(
                secret_key=settings.stripe_secret_key.get_secret_value(),
                api_base=settings.stripe_api_base,
                timeout_seconds=settings.stripe_timeout_seconds,
            )
        )
    raise ValueError(
        f"payment provider {settings.payment_provider.value} has no key: set STRIPE_SECRET_KEY, "
        "or VITRINE_STRIPE_SECRET_ARN and resolve secrets at start-up"
    )


def build_shopping(
    settings: Settings, engine: AsyncEngine, payments: PaymentProvider | None = None
) -> ShoppingSources:
    """The shopping data sources on ``engine``, with the configured tax and shipping."""
    tax = PercentageTax(settings.tax_rate_basis_points)
    shipping = FlatRateShipping(settings.shipping_flat_rate, settings.free_shipping_from)
    from datasources.postgres.shopping import shopping_stores

    stores = shopping_stores(engine, tax=tax, shipping=shipping)
    return ShoppingSources(
        inventory=stores.inventory,
        carts=stores.carts,
        discounts=stores.discounts,
        orders=stores.orders,
        checkout=stores.checkout,
        idempotency=stores.idempotency,
        payments=payments or build_payment_provider(settings),
        tax=tax,
        shipping=shipping,
        cart_hold=(
            timedelta(minutes=settings.cart_hold_minutes) if settings.cart_hold_minutes else None
        ),
    )


def build_rate_limiter(settings: Settings) -> RateLimiter | None:
    """Leaky buckets on REDIS_URL when set (shared by every gateway process), else in-process;
    None when VITRINE_RATE_LIMIT is off."""
    if not settings.rate_limit:
        return None
    bucket = RateLimitBucket(
        capacity=float(settings.rate_limit_bucket),
        restore_rate=settings.rate_limit_restore_rate,
    )
    if settings.redis_url:
        from datasources.rate_limit.redis_limiter import RedisRateLimiter

        return RedisRateLimiter(settings.redis_url, bucket)
    return InProcessRateLimiter(bucket)


def build_event_bus(settings: Settings) -> EventBus:
    """The domain event bus: Redis pub/sub across processes when REDIS_URL is set, else
    in-process (every subscriber lives in this process)."""
    if settings.redis_url:
        from datasources.events.redis_bus import RedisEventBus

        return RedisEventBus(
            settings.redis_url,
            settings.event_channel_prefix,
            max_pending=settings.event_max_pending,
        )
    return InProcessEventBus(settings.event_max_pending)


def build_response_cache(settings: Settings) -> TaggedCache | None:
    """The full-response cache: on REDIS_URL when set (shared by every gateway process), else
    in-process; None when VITRINE_RESPONSE_CACHE is off or public answers have no max-age."""
    if not settings.response_cache or settings.http_cache_max_age_seconds == 0:
        return None
    if settings.redis_url:
        from datasources.cache.tagged_redis import RedisTaggedCache

        return RedisTaggedCache(settings.redis_url, namespace=settings.response_cache_namespace)
    return InProcessTaggedCache(settings.response_cache_max_entries)


def build_cdn_invalidator(settings: Settings) -> CdnInvalidator | None:
    """CloudFront invalidations of VITRINE_CLOUDFRONT_DISTRIBUTION_ID; None when unset."""
    if settings.cloudfront_distribution_id is None:
        return None
    from datasources.cdn.cloudfront import CloudFrontInvalidator, DistributionConfig

    return CloudFrontInvalidator(
        DistributionConfig(
            distribution_id=settings.cloudfront_distribution_id,
            endpoint_url=settings.aws_endpoint_url,
            access_key_id=settings.aws_access_key_id,
            secret_access_key=settings.secret_access_key(),
            connect_timeout_seconds=float(settings.connect_timeout_seconds),
            max_attempts=settings.max_retry_attempts + 1,
        )
    )


def build_search(settings: Settings) -> ProductSearch:
    """The configured search engine: tantivy in a local directory, or an OpenSearch client
    (no I/O yet)."""
    if settings.search_engine is SearchEngineName.OPENSEARCH and settings.opensearch_url:
        from datasources.search.opensearch_engine import OpenSearchSearch

        signed = settings.opensearch_auth is OpenSearchAuth.SIGV4
        return OpenSearchSearch.connect(
            settings.opensearch_url,
            alias=settings.search_alias,
            timeout=settings.opensearch_timeout_seconds,
            sign_region=settings.aws_region if signed else None,
        )
    return TantivySearch(settings.search_index_path(), alias=settings.search_alias)


def stream_config(settings: Settings) -> StreamConfig:
    """Where the shopper-event stream is and how to reach it."""
    from datasources.analytics.kinesis_sink import StreamConfig

    return StreamConfig(
        stream_name=settings.analytics_stream,
        **aws_client(settings),
    )


def build_analytics(settings: Settings) -> AnalyticsSources:
    """The event sink (Kinesis or the in-process ring buffer), the trending counters (Redis
    when REDIS_URL is set, else in-process) and the per-identity event limit."""
    sink: AnalyticsSink
    if settings.analytics_sink is AnalyticsSinkName.KINESIS:
        from datasources.analytics.kinesis_sink import KinesisAnalyticsSink

        sink = KinesisAnalyticsSink(stream_config(settings))
    else:
        sink = InProcessAnalyticsSink(settings.analytics_buffer)
    trending: TrendingCounters = InProcessTrending(keep_hours=settings.trending_hours * 2)
    limiter: RateLimiter | None = None
    bucket = RateLimitBucket(
        capacity=float(settings.analytics_rate_bucket),
        restore_rate=settings.analytics_rate_restore,
    )
    if settings.redis_url:
        from datasources.analytics.redis_trending import RedisTrending
        from datasources.rate_limit.redis_limiter import RedisRateLimiter

        trending = RedisTrending(settings.redis_url, keep_hours=settings.trending_hours * 2)
        limiter = RedisRateLimiter(settings.redis_url, bucket)
    else:
        limiter = InProcessRateLimiter(bucket)
    return AnalyticsSources(
        sink=sink,
        trending=trending,
        limiter=limiter if settings.rate_limit else None,
        trending_hours=settings.trending_hours,
    )


def build_services(settings: Settings) -> Services:
    """Every adapter, configured from ``settings`` (no network I/O)."""
    bucket = bucket_config(settings)
    asset_urls: AssetUrls = (
        CdnAssetUrls(settings.asset_cdn_base_url)
        if settings.asset_cdn_base_url
        else PresignedAssetUrls(bucket, settings.asset_url_ttl_seconds)
    )
    cache: KeyValueCache = InProcessCache()
    if settings.redis_url:
        from datasources.cache.redis_cache import RedisCache

        cache = RedisCache(settings.redis_url)
    engine = build_database_engine(settings)
    catalog = DynamoDBCatalog(table_config(settings))
    ingest = IngestServices(
        uploads=S3AssetUploads(bucket),
        jobs=DynamoDBJobStore(table_config(settings), catalog.models),
        queue=SqsJobQueue(queue_config(settings)),
        upload_max_bytes=settings.upload_max_bytes,
        upload_url_ttl_seconds=settings.upload_url_ttl_seconds,
        render_max_size=settings.render_max_size,
        render_max_frames=settings.render_max_frames,
    )
    return Services(
        catalog=catalog,
        blobs=S3BlobStore(bucket),
        asset_urls=asset_urls,
        cache=cache,
        tokens=build_token_verifier(settings),
        shopping=None if engine is None else build_shopping(settings, engine),
        engine=engine,
        ingest=ingest,
        rate_limiter=build_rate_limiter(settings),
        events=build_event_bus(settings),
        search=build_search(settings),
        responses=build_response_cache(settings),
        cdn=build_cdn_invalidator(settings),
        analytics=build_analytics(settings),
    )


async def provision(services: Services) -> None:
    """Create the table, bucket and job queues when missing (local stack and tests; CDK
    does it on AWS)."""
    await check_services(services, include_resources=False)
    await services.catalog.ensure_table()
    await services.blobs.ensure_bucket()
    if "datasources.analytics.kinesis_sink" in sys.modules and services.analytics is not None:
        from datasources.analytics.kinesis_sink import KinesisAnalyticsSink

        if isinstance(services.analytics.sink, KinesisAnalyticsSink):
            await services.analytics.sink.ensure_stream()
    if services.ingest is not None:
        await services.ingest.queue.ensure_queues()


async def check_services(
    services: Services, settings: Settings | None = None, *, include_resources: bool = True
) -> None:
    """Fail fast, naming the service and the setting, when a dependency does not answer."""
    where = (
        "AWS_ENDPOINT_URL" if settings is None or settings.aws_endpoint_url else "AWS credentials"
    )
    checks: list[tuple[str, str, Callable[[], Awaitable[None]]]] = [
        ("Redis (resolver cache)", "REDIS_URL", services.cache.check)
    ]
    if services.responses is not None:
        checks.append(("Redis (response cache)", "REDIS_URL", services.responses.check))
    if include_resources:
        checks += [
            ("DynamoDB", f"VITRINE_CATALOG_TABLE / {where}", services.catalog.check),
            ("S3", f"VITRINE_ASSET_BUCKET / {where}", services.blobs.check),
        ]
        if services.shopping is not None:
            checks.append(
                ("PostgreSQL (shopping)", "DATABASE_URL", services.shopping.inventory.check)
            )
        if services.search is not None:
            checks.append(
                (
                    "Product search",
                    "VITRINE_SEARCH_ENGINE / VITRINE_SEARCH_INDEX_DIR / OPENSEARCH_URL",
                    services.search.check,
                )
            )
    for name, setting, check in checks:
        try:
            await check()
        except DataSourceUnavailable as error:
            raise StartupCheckFailed(
                f"{name} did not answer at start-up ({error}). Check the setting {setting}."
            ) from error
