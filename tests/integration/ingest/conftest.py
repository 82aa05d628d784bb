"""Ingest integration tests: the real sandbox process, node tools and usd-core."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from render_jobs.ingest.tools import INSTALL_HINT, NODE_DIR

SHARED_ASSETS = Path(__file__).resolve().parents[3].parent / "shared" / "assets"
BAD_ASSETS = SHARED_ASSETS / "bad"
needs_assets = pytest.mark.skipif(
    not SHARED_ASSETS.is_dir(),
    reason=f"{SHARED_ASSETS} is absent: the real-model and bad-file tests need ../shared/assets",
)

# What each file in ../shared/assets/bad must be rejected for, and where.
BAD_FILES: dict[str, tuple[str, str]] = {
    "truncated.glb": ("glb-container", "header"),
    "truncated_in_json.glb": ("glb-container", "header"),
    "buffer_2gb.glb": ("gltf-structure", "/buffers/0"),
    "accessor_overflow.glb": ("gltf-structure", "/accessors/0"),
    "png_named.glb": ("file-type", "png_named.glb"),
    "obj_bad_indices.obj": ("obj-index", "line 10"),
    "empty.glb": ("file-type", "empty.glb"),
    "bad_magic.glb": ("glb-container", "header"),
    "length_mismatch.glb": ("glb-container", "header"),
    "chunk_overflow.glb": ("glb-container", "header"),
    "nan_positions.glb": ("non-finite", "/accessors/0"),
    "path_traversal.gltf": ("path-traversal", "/buffers/0/uri"),
}


@pytest.fixture(scope="session", autouse=True)
def node_tools() -> None:
    """The pipeline's npm tools must be installed (``make install`` runs ``npm ci``)."""
    missing = [
        name
        for name in ("gltf-validator", "gltfpack")
        if not (NODE_DIR / "node_modules" / name).is_dir()
    ]
    if shutil.which("node") is None or missing:
        pytest.fail(f"node or {missing} missing: {INSTALL_HINT}")
