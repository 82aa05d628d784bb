"""Shape descriptors of 3D models, for "visually similar" recommendations.

A descriptor has two parts, both invariant to the model's size and position:

- ``proportions``: the bounding box's extents along x, y, z (glTF: width, height, depth)
  divided by the largest, so a tall lamp and a long bench differ;
- ``d2``: the D2 shape distribution (Osada et al., 2002): a histogram of the distances
  between random pairs of points on the surface, divided by the bounding-box diagonal,
  in ``D2_BINS`` bins over [0, 1], normalised to sum 1. Sampling is seeded, so the same
  model always gets the same descriptor.

``shape_distance`` mixes them: ``0.6 * (half the L1 distance of the histograms)`` plus
``0.4 * (the Euclidean distance of the proportions / sqrt(3))``; both terms lie in [0, 1],
so the distance does too (0: the same shape).

``ShapeDescriptors`` computes them from an asset's GLB master (in the blob store) and keeps
them in the key-value cache by the asset's content hash, so each model is measured once.
"""

from __future__ import annotations

import asyncio
import io
import math
from dataclasses import dataclass

import orjson

from datasources.errors import DataSourceError, NotFound
from datasources.ports import BlobStore, KeyValueCache
from datasources.records import AssetFormat, AssetRecord

SHAPE_VERSION = 1
"""Bumped when the descriptor's definition changes (it is part of the cache key)."""
D2_BINS = 32
SURFACE_SAMPLES = 2048
D2_PAIRS = 8192
SAMPLE_SEED = 20_240_601
D2_WEIGHT = 0.6
PROPORTIONS_WEIGHT = 0.4
CACHE_TTL_SECONDS = 30 * 24 * 3600.0
"""Descriptors depend only on the model's bytes (keyed by content hash): keep them long."""


class NoGeometry(DataSourceError):
    """The model has no triangles to measure (or is not a readable GLB)."""


@dataclass(frozen=True, slots=True)
class ShapeDescriptor:
    """Size-free shape of one model (see the module docstring)."""

    proportions: tuple[float, float, float]
    d2: tuple[float, ...]

    def to_bytes(self) -> bytes:
        """The cached form."""
        return orjson.dumps({"v": SHAPE_VERSION, "p": self.proportions, "d2": self.d2})

    @classmethod
    def from_bytes(cls, raw: bytes) -> ShapeDescriptor | None:
        """The descriptor cached as ``raw``; None when it is of another version."""
        data = orjson.loads(raw)
        if data.get("v") != SHAPE_VERSION:
            return None
        width, height, depth = (float(v) for v in data["p"])
        return cls(proportions=(width, height, depth), d2=tuple(float(v) for v in data["d2"]))


def shape_descriptor(glb: bytes) -> ShapeDescriptor:
    """The descriptor of the GLB ``glb`` (all its meshes in world space); NoGeometry when it
    has no triangles or cannot be read."""
    # Heavy: loaded only where descriptors are computed, never on the Lambda import path.
    import numpy as np
    import trimesh

    try:
        loaded = trimesh.load(io.BytesIO(glb), file_type="glb", force="scene")
    except Exception as error:  # trimesh raises many types for unreadable files
        raise NoGeometry(f"the model cannot be read: {error}") from error
    if not isinstance(loaded, trimesh.Scene):
        raise NoGeometry("the model has no scene")
    # dump() applies each node's world transform to a copy of its mesh.
    meshes = [m for m in loaded.dump() if isinstance(m, trimesh.Trimesh) and len(m.faces)]
    if not meshes:
        raise NoGeometry("the model has no triangles")
    mesh = trimesh.util.concatenate(meshes)
    if not isinstance(mesh, trimesh.Trimesh):
        raise NoGeometry("the model has no triangles")
    extents = np.asarray(mesh.extents, dtype=float)
    diagonal = float(np.linalg.norm(extents))
    if diagonal <= 0 or mesh.area <= 0:
        raise NoGeometry("the model has no extent")
    points, _ = trimesh.sample.sample_surface(mesh, SURFACE_SAMPLES, seed=SAMPLE_SEED)
    rng = np.random.default_rng(SAMPLE_SEED)
    first = rng.integers(0, len(points), D2_PAIRS)
    second = rng.integers(0, len(points), D2_PAIRS)
    distances = np.linalg.norm(points[first] - points[second], axis=1) / diagonal
    histogram, _ = np.histogram(np.clip(distances, 0.0, 1.0), bins=D2_BINS, range=(0.0, 1.0))
    d2 = histogram / max(int(histogram.sum()), 1)
    width, height, depth = (float(v) for v in extents / extents.max())
    return ShapeDescriptor(
        proportions=(round(width, 4), round(height, 4), round(depth, 4)),
        d2=tuple(round(float(v), 5) for v in d2),
    )


def shape_distance(a: ShapeDescriptor, b: ShapeDescriptor) -> float:
    """How different two shapes are, in [0, 1] (see the module docstring)."""
    histogram = 0.5 * sum(abs(x - y) for x, y in zip(a.d2, b.d2, strict=True))
    proportions = math.dist(a.proportions, b.proportions) / math.sqrt(3)
    return D2_WEIGHT * histogram + PROPORTIONS_WEIGHT * proportions


def master_key(asset: AssetRecord) -> str | None:
    """The blob key of the asset's full-detail GLB, if it has one."""
    masters = [s for s in asset.sources if s.format is AssetFormat.GLB]
    if not masters:
        return None
    return min(masters, key=lambda s: s.lod).key


class ShapeDescriptors:
    """Descriptors of assets: from the cache, else computed from the GLB master and cached."""

    def __init__(self, blobs: BlobStore, cache: KeyValueCache) -> None:
        self._blobs = blobs
        self._cache = cache

    @staticmethod
    def cache_key(asset: AssetRecord) -> str:
        """Where the descriptor of ``asset`` is cached (by content hash and version)."""
        return f"shape:v{SHAPE_VERSION}:{asset.sha256}"

    async def of(self, asset: AssetRecord) -> ShapeDescriptor | None:
        """The descriptor of ``asset``; None when its GLB master is missing or unreadable."""
        key = self.cache_key(asset)
        raw = await self._cache.get(key)
        if raw is not None:
            cached = ShapeDescriptor.from_bytes(raw)
            if cached is not None:
                return cached
        blob = master_key(asset)
        if blob is None:
            return None
        try:
            glb = await self._blobs.get(blob)
        except NotFound:
            return None
        try:
            descriptor = await asyncio.to_thread(shape_descriptor, glb)
        except NoGeometry:
            return None
        await self._cache.set(key, descriptor.to_bytes(), CACHE_TTL_SECONDS)
        return descriptor
