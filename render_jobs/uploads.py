"""Storing job results while object storage may be briefly unavailable."""

from __future__ import annotations

from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from datasources.errors import DataSourceUnavailable
from datasources.ports import BlobStore

UPLOAD_ATTEMPTS = 4
"""Tries of one output upload while object storage is unavailable (waits 0.5, 1, 2 s)."""


async def put_retrying(blobs: BlobStore, key: str, data: bytes, content_type: str) -> None:
    """``blobs.put``, tried again while the store is unavailable (``UPLOAD_ATTEMPTS``).

    If it stays down, ``DataSourceUnavailable`` reaches the caller, which must not have
    written the object that marks its outputs complete (report or manifest) yet."""
    retrying = AsyncRetrying(
        stop=stop_after_attempt(UPLOAD_ATTEMPTS),
        wait=wait_exponential(multiplier=0.5, max=4),
        retry=retry_if_exception_type(DataSourceUnavailable),
        reraise=True,
    )
    async for attempt in retrying:
        with attempt:
            await blobs.put(key, data, content_type)
