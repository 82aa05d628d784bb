"""Composition root: builds every adapter from settings and registers the data sources."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine

from datasources.cache.in_process import InProcessCache
from datasources.cache.redis_cache import RedisCache
from datasources.dynamodb.catalog import DynamoDBCatalog
from datasources.dynamodb.jobs import DynamoDBJobStore
from datasources.dynamodb.models import TableConfig
from datasources.errors import DataSourceUnavailable
from datasources.payments.simulated import TestPaymentProvider
from datasources.ports import AssetUrls, KeyValueCache, PaymentProvider, RateLimiter
from datasources.postgres.engine import create_engine
from datasources.postgres.shopping import shopping_stores
from datasources.pricing import FlatRateShipping, PercentageTax
from datasources.rate_limit import BucketConfig as RateLimitBucket
from datasources.rate_limit.in_process import InProcessRateLimiter
from datasources.rate_limit.redis_limiter import RedisRateLimiter
from datasources.s3.blob_store import BucketConfig, CdnAssetUrls, PresignedAssetUrls, S3BlobStore
from datasources.s3.uploads import S3AssetUploads
from datasources.sqs.job_queue import QueueConfig, SqsJobQueue
from gateway.cognito import CognitoConfig, CognitoNotConfigured, CognitoVerifier, TokenVerifier
from gateway.settings import PaymentProviderName, Settings
from resolvers.context import DataSources, JobSources, ShoppingSources


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

    async def close(self) -> None:
        """Release the clients bound to the running event loop, and the database pool."""
        await self.blobs.close()
        if self.ingest is not None:
            await self.ingest.uploads.close()
            await self.ingest.queue.close()
        if isinstance(self.cache, RedisCache):
            await self.cache.close()
        if isinstance(self.rate_limiter, RedisRateLimiter):
            await self.rate_limiter.close()
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
        )


@dataclass(frozen=True)
class IngestServices:
    """The ingest adapters with their concrete types (the worker uses them too)."""

    uploads: S3AssetUploads
    jobs: DynamoDBJobStore
    queue: SqsJobQueue
    upload_max_bytes: int
    upload_url_ttl_seconds: int

    def sources(self) -> JobSources:
        """The job data sources resolvers see."""
        return JobSources(
            uploads=self.uploads,
            jobs=self.jobs,
            queue=self.queue,
            upload_max_bytes=self.upload_max_bytes,
            upload_url_ttl_seconds=self.upload_url_ttl_seconds,
        )


def queue_config(settings: Settings) -> QueueConfig:
    """Where the ingest job queue and its dead-letter queue are."""
    return QueueConfig(
        queue_name=settings.render_queue,
        dead_letter_queue_name=settings.render_dead_letter_queue,
        region=settings.aws_region,
        max_receive_count=settings.render_max_receive_count,
        visibility_timeout_seconds=settings.render_visibility_timeout_seconds,
        endpoint_url=settings.aws_endpoint_url,
        access_key_id=settings.aws_access_key_id,
        secret_access_key=settings.secret_access_key(),
        connect_timeout_seconds=float(settings.connect_timeout_seconds),
        max_attempts=settings.max_retry_attempts + 1,
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
        region=settings.aws_region,
        endpoint_url=settings.aws_endpoint_url,
        access_key_id=settings.aws_access_key_id,
        secret_access_key=settings.secret_access_key(),
        connect_timeout_seconds=float(settings.connect_timeout_seconds),
        max_attempts=settings.max_retry_attempts + 1,
    )


def build_token_verifier(settings: Settings) -> TokenVerifier:
    """The Cognito verifier of the configured user pool; without one, every token is refused."""
    config = CognitoConfig.from_settings(settings)
    return CognitoNotConfigured() if config is None else CognitoVerifier(config)


def build_database_engine(settings: Settings) -> AsyncEngine | None:
    """The pooled PostgreSQL engine of DATABASE_URL (no connection yet), or None if unset."""
    if settings.database_url is None:
        return None
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
    """The configured payment provider (the deterministic test provider for now)."""
    if settings.payment_provider is PaymentProviderName.TEST:
        return TestPaymentProvider()
    raise ValueError(f"unknown payment provider {settings.payment_provider!r}")


def build_shopping(
    settings: Settings, engine: AsyncEngine, payments: PaymentProvider | None = None
) -> ShoppingSources:
    """The shopping data sources on ``engine``, with the configured tax and shipping."""
    tax = PercentageTax(settings.tax_rate_basis_points)
    shipping = FlatRateShipping(settings.shipping_flat_rate, settings.free_shipping_from)
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
        return RedisRateLimiter(settings.redis_url, bucket)
    return InProcessRateLimiter(bucket)


def build_services(settings: Settings) -> Services:
    """Every adapter, configured from ``settings`` (no network I/O)."""
    bucket = bucket_config(settings)
    asset_urls: AssetUrls = (
        CdnAssetUrls(settings.asset_cdn_base_url)
        if settings.asset_cdn_base_url
        else PresignedAssetUrls(bucket, settings.asset_url_ttl_seconds)
    )
    cache: KeyValueCache = (
        RedisCache(settings.redis_url) if settings.redis_url else InProcessCache()
    )
    engine = build_database_engine(settings)
    catalog = DynamoDBCatalog(table_config(settings))
    ingest = IngestServices(
        uploads=S3AssetUploads(bucket),
        jobs=DynamoDBJobStore(table_config(settings), catalog.models),
        queue=SqsJobQueue(queue_config(settings)),
        upload_max_bytes=settings.upload_max_bytes,
        upload_url_ttl_seconds=settings.upload_url_ttl_seconds,
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
    )


async def provision(services: Services) -> None:
    """Create the table, bucket and job queues when missing (local stack and tests; CDK
    does it on AWS)."""
    await check_services(services, include_resources=False)
    await services.catalog.ensure_table()
    await services.blobs.ensure_bucket()
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
    if include_resources:
        checks += [
            ("DynamoDB", f"VITRINE_CATALOG_TABLE / {where}", services.catalog.check),
            ("S3", f"VITRINE_ASSET_BUCKET / {where}", services.blobs.check),
        ]
        if services.shopping is not None:
            checks.append(
                ("PostgreSQL (shopping)", "DATABASE_URL", services.shopping.inventory.check)
            )
    for name, setting, check in checks:
        try:
            await check()
        except DataSourceUnavailable as error:
            raise StartupCheckFailed(
                f"{name} did not answer at start-up ({error}). Check the setting {setting}."
            ) from error
