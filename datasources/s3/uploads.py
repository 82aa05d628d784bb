"""Direct browser uploads: presigned S3 POST policies (SigV4) and HeadObject checks."""

from __future__ import annotations

import asyncio
import weakref
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from datasources.aws_clients import aio_session
from datasources.errors import DataSourceUnavailable
from datasources.instrumentation import record_call
from datasources.job_records import UploadedObject
from datasources.s3.blob_store import BucketConfig

SERVICE = "s3"


class S3AssetUploads:
    """AssetUploads port on the asset bucket."""

    def __init__(self, config: BucketConfig) -> None:
        self._config = config
        self._signer_client: Any = None
        self._session: Any = None
        self._clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Any] = (
            weakref.WeakKeyDictionary()
        )

    def presign_post(
        self, key: str, content_type: str, max_bytes: int, expires_in_seconds: int
    ) -> tuple[str, dict[str, str]]:
        """A SigV4 POST policy: exact key and Content-Type, 1..max_bytes bytes."""
        presigned: dict[str, Any] = self._signer().generate_presigned_post(
            Bucket=self._config.bucket,
            Key=key,
            Fields={"Content-Type": content_type},
            Conditions=[
                {"Content-Type": content_type},
                ["content-length-range", 1, max_bytes],
            ],
            ExpiresIn=expires_in_seconds,
        )
        return str(presigned["url"]), {str(k): str(v) for k, v in presigned["fields"].items()}

    def _signer(self) -> Any:
        # Built on first use: a botocore client loads the S3 service model (cold start).
        if self._signer_client is None:
            self._signer_client = boto3.client("s3", **self._config.client_kwargs())
        return self._signer_client

    async def _client(self) -> Any:
        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None:
            if self._session is None:
                self._session = aio_session()
            client = await self._session.client("s3", **self._config.client_kwargs()).__aenter__()
            self._clients[loop] = client
        return client

    async def close(self) -> None:
        """Close the client of the running loop."""
        client = self._clients.pop(asyncio.get_running_loop(), None)
        if client is not None:
            await client.__aexit__(None, None, None)

    async def head(self, key: str) -> UploadedObject | None:
        """Size and type of ``key``, or None when absent."""
        try:
            s3 = await self._client()
            with record_call(SERVICE, "HeadObject"):
                response = await s3.head_object(Bucket=self._config.bucket, Key=key)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in {"NoSuchKey", "404", "NotFound"}:
                return None
            raise DataSourceUnavailable(f"S3 bucket {self._config.bucket!r}", str(error)) from error
        except BotoCoreError as error:
            raise DataSourceUnavailable(f"S3 bucket {self._config.bucket!r}", str(error)) from error
        return UploadedObject(
            key=key,
            byte_size=int(response.get("ContentLength", 0)),
            content_type=response.get("ContentType"),
            metadata=dict(response.get("Metadata") or {}),
        )
