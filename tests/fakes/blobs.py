"""In-memory BlobStore for unit tests."""

from __future__ import annotations

from datasources.errors import NotFound


class FakeBlobStore:
    """BlobStore port in a dictionary."""

    def __init__(self) -> None:
        self.objects: dict[str, tuple[bytes, str]] = {}

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        self.objects[key] = (data, content_type)

    async def get(self, key: str) -> bytes:
        if key not in self.objects:
            raise NotFound(key)
        return self.objects[key][0]

    async def exists(self, key: str) -> bool:
        return key in self.objects

    async def check(self) -> None:
        return None
