"""Structural statistics of a GLB: triangles, draw calls, materials, world bounds, variants."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from render_jobs.glb import GlbFormatError, read_glb
from render_jobs.gltf_data import (
    check_supported,
    primitive_positions,
    primitive_triangles,
    scene_primitives,
    transform_points,
)
from render_jobs.gltf_variants import check_variants

__all__ = ["GlbFormatError", "ModelStats", "compute_stats", "read_glb"]

Vec3 = tuple[float, float, float]


@dataclass(frozen=True)
class ModelStats:
    """Counts are per drawn instance: a mesh used by two nodes counts twice."""

    triangle_count: int
    vertex_count: int
    draw_calls: int
    material_count: int
    texture_count: int
    byte_size: int
    bounds_min: Vec3
    bounds_max: Vec3
    variant_names: tuple[str, ...]

    @property
    def extents(self) -> Vec3:
        """Size of the world-space bounding box along x, y, z."""
        lo, hi = self.bounds_min, self.bounds_max
        return (hi[0] - lo[0], hi[1] - lo[1], hi[2] - lo[2])


def compute_stats(data: bytes) -> ModelStats:
    """Validate a GLB and measure it; raises ``GlbFormatError`` if it is malformed.

    Bounds are exact: every POSITION is transformed by its node's world matrix. A model with
    no geometry reports zero bounds.
    """
    gltf, binary = read_glb(data)
    check_supported(gltf)
    variants = check_variants(gltf)
    triangles = vertices = 0
    lows: list[np.ndarray[Any, Any]] = []
    highs: list[np.ndarray[Any, Any]] = []
    drawn = scene_primitives(gltf)
    for entry in drawn:
        local = primitive_positions(gltf, binary, entry.primitive)
        triangles += len(primitive_triangles(gltf, binary, entry.primitive, len(local)))
        vertices += len(local)
        if len(local):
            world = transform_points(entry.world, local)
            lows.append(world.min(axis=0))
            highs.append(world.max(axis=0))
    low = np.min(lows, axis=0) if lows else np.zeros(3)
    high = np.max(highs, axis=0) if highs else np.zeros(3)
    return ModelStats(
        triangle_count=triangles,
        vertex_count=vertices,
        draw_calls=len(drawn),
        material_count=_length(gltf, "materials"),
        texture_count=_length(gltf, "textures"),
        byte_size=len(data),
        bounds_min=_vec3(low),
        bounds_max=_vec3(high),
        variant_names=variants,
    )


def _length(gltf: dict[str, Any], key: str) -> int:
    value = gltf.get(key, [])
    if not isinstance(value, list):
        raise GlbFormatError(f"'{key}' must be an array")
    return len(value)


def _vec3(values: np.ndarray[Any, Any]) -> Vec3:
    return (float(values[0]), float(values[1]), float(values[2]))
