"""LocalDirectoryBlobStore: the BlobStore port on a folder."""

from __future__ import annotations

import pytest

from datasources.errors import NotFound
from datasources.local_blobs import LocalDirectoryBlobStore
from datasources.ports import BlobStore


async def test_put_get_exists_round_trip(tmp_path):
    # given an empty store (the folder does not exist yet)
    store: BlobStore = LocalDirectoryBlobStore(tmp_path / "blobs")
    await store.check()

    # when an object is put
    await store.put("models/abc/lod0.glb", b"glTF-bytes", "model/gltf-binary")

    # then it exists, reads back, and lies at the key's path
    assert await store.exists("models/abc/lod0.glb") is True
    assert await store.get("models/abc/lod0.glb") == b"glTF-bytes"
    assert (tmp_path / "blobs" / "models" / "abc" / "lod0.glb").read_bytes() == b"glTF-bytes"
    assert await store.exists("models/abc/lod1.glb") is False
    assert [p.name for p in (tmp_path / "blobs" / "models" / "abc").iterdir()] == ["lod0.glb"]


async def test_missing_key_is_not_found(tmp_path):
    store = LocalDirectoryBlobStore(tmp_path)

    with pytest.raises(NotFound, match="models/none"):
        await store.get("models/none")
    assert await store.exists("models") is False  # a folder is not an object


@pytest.mark.parametrize("key", ["../escape", "/etc/passwd", "a/../../b", "a\\b", "", "a/./b"])
async def test_unsafe_keys_are_refused(tmp_path, key):
    store = LocalDirectoryBlobStore(tmp_path / "root")

    with pytest.raises(ValueError, match="invalid blob key"):
        await store.put(key, b"x", "text/plain")
    assert not (tmp_path / "escape").exists()
