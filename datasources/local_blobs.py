"""BlobStore port on a local folder: the CLI's ``--store DIR``, tests and offline runs.

Keys are ``/``-separated relative paths (``models/<hash>/lod0.glb``) mapped onto files under
the root; a key that is absolute or climbs out (``..``) is refused. Writes go to a temporary
file first and are renamed into place, so a reader never sees half an object.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from pathlib import Path

from datasources.errors import DataSourceUnavailable, NotFound


class LocalDirectoryBlobStore:
    """BlobStore port in a directory (created on first write)."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def path_for(self, key: str) -> Path:
        """The file that holds ``key``; ``ValueError`` for an unsafe key."""
        parts = key.split("/")
        if "\\" in key or "\x00" in key or any(part in {"", ".", ".."} for part in parts):
            raise ValueError(f"invalid blob key {key!r}")
        return self.root.joinpath(*parts)

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        """Store ``data`` under ``key`` (the content type is not kept on disk)."""
        await asyncio.to_thread(self._write, self.path_for(key), data)

    def _write(self, target: Path, data: bytes) -> None:
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            descriptor, temporary = tempfile.mkstemp(dir=target.parent, prefix=".part-")
            with os.fdopen(descriptor, "wb") as stream:
                stream.write(data)
            os.replace(temporary, target)
        except OSError as error:
            raise DataSourceUnavailable(f"local blob store {self.root}", str(error)) from error

    async def get(self, key: str) -> bytes:
        """The bytes under ``key``; NotFound if absent."""
        target = self.path_for(key)
        try:
            return await asyncio.to_thread(target.read_bytes)
        except (FileNotFoundError, IsADirectoryError) as error:
            raise NotFound(f"No object {key!r} in {self.root}") from error
        except OSError as error:
            raise DataSourceUnavailable(f"local blob store {self.root}", str(error)) from error

    async def exists(self, key: str) -> bool:
        """Whether ``key`` is stored."""
        return await asyncio.to_thread(self.path_for(key).is_file)

    async def check(self) -> None:
        """Raise DataSourceUnavailable unless the root is (or can be made) a writable folder."""
        try:
            await asyncio.to_thread(self.root.mkdir, parents=True, exist_ok=True)
        except OSError as error:
            raise DataSourceUnavailable(f"local blob store {self.root}", str(error)) from error
        if not os.access(self.root, os.W_OK):
            raise DataSourceUnavailable(f"local blob store {self.root}", "not writable")
