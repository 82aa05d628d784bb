"""Object storage on S3 through aioboto3, and URLs for the stored objects."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from datasources.aws_clients import LoopBoundClients
from datasources.errors import DataSourceUnavailable, NotFound
from datasources.instrumentation import record_call

SERVICE = "s3"


@dataclass(frozen=True)
class BucketConfig:
    """Which bucket to use and how to reach it."""

    bucket: str
    region: str
    endpoint_url: str | None = None
    access_key_id: str | None = None
    secret_access_key: str | None = None
    connect_timeout_seconds: float = 2.0
    max_attempts: int = 2

    def client_kwargs(self) -> dict[str, Any]:
        """Keyword arguments shared by every S3 client built for this bucket."""
        return {
            "region_name": self.region,
            "endpoint_url": self.endpoint_url,
            "aws_access_key_id": self.access_key_id,
            "aws_secret_access_key": self.secret_access_key,
            "config": Config(
                signature_version="s3v4",
                connect_timeout=self.connect_timeout_seconds,
                retries={"max_attempts": self.max_attempts, "mode": "standard"},
                s3={"addressing_style": "path"},
            ),
        }


class S3BlobStore:
    """BlobStore port on one S3 bucket; one long-lived client per event loop."""

    def __init__(self, config: BucketConfig) -> None:
        self._config = config
        self._clients = LoopBoundClients("s3", config.client_kwargs())

    @asynccontextmanager
    async def _s3(self) -> AsyncIterator[Any]:
        yield await self._clients.get()

    async def close(self) -> None:
        """Close the client of the running loop."""
        await self._clients.close()

    def _unavailable(self, error: Exception) -> DataSourceUnavailable:
        where = self._config.endpoint_url or "AWS"
        return DataSourceUnavailable(f"S3 bucket {self._config.bucket!r} at {where}", str(error))

    async def ensure_bucket(self) -> None:
        """Create the bucket when missing (local stack and tests only)."""
        async with self._s3() as s3:
            with record_call(SERVICE, "CreateBucket"):
                try:
                    await s3.head_bucket(Bucket=self._config.bucket)
                except ClientError:
                    await s3.create_bucket(Bucket=self._config.bucket)

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        """Store ``data`` under ``key``."""
        try:
            async with self._s3() as s3:
                with record_call(SERVICE, "PutObject"):
                    await s3.put_object(
                        Bucket=self._config.bucket, Key=key, Body=data, ContentType=content_type
                    )
        except (BotoCoreError, ClientError) as error:
            raise self._unavailable(error) from error

    async def get(self, key: str) -> bytes:
        """The bytes under ``key``; NotFound if absent."""
        try:
            async with self._s3() as s3:
                with record_call(SERVICE, "GetObject"):
                    response = await s3.get_object(Bucket=self._config.bucket, Key=key)
                    body: bytes = await response["Body"].read()
                    return body
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in {"NoSuchKey", "404"}:
                raise NotFound(f"No object {key!r} in bucket {self._config.bucket!r}") from error
            raise self._unavailable(error) from error
        except BotoCoreError as error:
            raise self._unavailable(error) from error

    async def exists(self, key: str) -> bool:
        """Whether ``key`` is stored."""
        try:
            async with self._s3() as s3:
                with record_call(SERVICE, "HeadObject"):
                    await s3.head_object(Bucket=self._config.bucket, Key=key)
                    return True
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in {"NoSuchKey", "404", "NotFound"}:
                return False
            raise self._unavailable(error) from error
        except BotoCoreError as error:
            raise self._unavailable(error) from error

    async def check(self) -> None:
        """Raise DataSourceUnavailable unless the bucket answers."""
        try:
            async with self._s3() as s3:
                with record_call(SERVICE, "HeadBucket"):
                    await s3.head_bucket(Bucket=self._config.bucket)
        except (BotoCoreError, ClientError) as error:
            raise self._unavailable(error) from error


class PresignedAssetUrls:
    """AssetUrls port: SigV4 presigned GET URLs (computed locally, no round trip).

    Signing costs about a millisecond of CPU, and a listing signs dozens, so each URL is
    reused for the first half of its lifetime (a client always gets at least half the TTL).
    """

    def __init__(
        self, config: BucketConfig, expires_in_seconds: int, max_entries: int = 20_000
    ) -> None:
        self._bucket = config.bucket
        self._expires = expires_in_seconds
        self._client = boto3.client("s3", **config.client_kwargs())
        self._signed: OrderedDict[str, tuple[float, str]] = OrderedDict()
        self._max_entries = max_entries

    def url_for(self, key: str) -> str:
        """A presigned GET URL for ``key`` valid for at least half the configured TTL."""
        now = time.monotonic()
        cached = self._signed.get(key)
        if cached is not None and cached[0] > now:
            return cached[1]
        url: str = self._client.generate_presigned_url(
            "get_object", Params={"Bucket": self._bucket, "Key": key}, ExpiresIn=self._expires
        )
        self._signed[key] = (now + self._expires / 2, url)
        self._signed.move_to_end(key)
        if len(self._signed) > self._max_entries:
            self._signed.popitem(last=False)
        return url


class CdnAssetUrls:
    """AssetUrls port: public URLs under a CDN (CloudFront) base URL."""

    def __init__(self, base_url: str) -> None:
        self._base = base_url.rstrip("/")

    def url_for(self, key: str) -> str:
        """The CDN URL of ``key``."""
        return f"{self._base}/{key.lstrip('/')}"
