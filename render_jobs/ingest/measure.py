"""Measurements of pipeline outputs, including meshopt-compressed ones.

Plain GLBs are measured exactly by ``compute_stats``. Compressed delivery GLBs cannot be read
by it (their buffers are meshopt streams), so they are counted from the JSON alone: accessor
counts give triangles and vertices, accessor min/max through the node matrices give bounds.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict

from render_jobs.glb import read_glb
from render_jobs.gltf_data import item, scene_primitives, transform_points
from render_jobs.gltf_stats import ModelStats, compute_stats
from render_jobs.gltf_variants import variant_names
from render_jobs.ingest.images import image_size

Vec3 = tuple[float, float, float]
COMPRESSED = frozenset({"EXT_meshopt_compression", "KHR_draco_mesh_compression"})


class ModelSummary(BaseModel):
    """What a GLB holds and draws."""

    model_config = ConfigDict(frozen=True)

    bytes: int
    triangles: int
    vertices: int
    draw_calls: int
    materials: int
    textures: int
    max_texture_px: int
    bounds_min: Vec3
    bounds_max: Vec3
    variant_names: tuple[str, ...]
    compressed: bool


def from_stats(stats: ModelStats, max_texture_px: int) -> ModelSummary:
    """A summary from exact ``compute_stats`` figures."""
    return ModelSummary(
        bytes=stats.byte_size,
        triangles=stats.triangle_count,
        vertices=stats.vertex_count,
        draw_calls=stats.draw_calls,
        materials=stats.material_count,
        textures=stats.texture_count,
        max_texture_px=max_texture_px,
        bounds_min=stats.bounds_min,
        bounds_max=stats.bounds_max,
        variant_names=stats.variant_names,
        compressed=False,
    )


def measure(glb: bytes) -> ModelSummary:
    """Summarise a GLB written by this pipeline (plain or meshopt-compressed)."""
    gltf, binary = read_glb(glb)
    largest = max_texture_px(gltf, binary)
    if not set(gltf.get("extensionsUsed", [])) & COMPRESSED:
        return from_stats(compute_stats(glb), largest)
    triangles = vertices = 0
    lows: list[Any] = []
    highs: list[Any] = []
    drawn = scene_primitives(gltf)
    for entry in drawn:
        position = item(gltf, "accessors", entry.primitive["attributes"]["POSITION"])
        count = position["count"]
        vertices += count
        if "indices" in entry.primitive:
            count = item(gltf, "accessors", entry.primitive["indices"])["count"]
        mode = entry.primitive.get("mode", 4)
        triangles += count // 3 if mode == 4 else max(count - 2, 0) if mode in (5, 6) else 0
        if "min" in position and "max" in position:
            low, high = np.array(position["min"], float), np.array(position["max"], float)
            corners = np.array([[x, y, z] for x in (0, 1) for y in (0, 1) for z in (0, 1)])
            world = transform_points(entry.world, low + corners * (high - low))
            lows.append(world.min(axis=0))
            highs.append(world.max(axis=0))
    low = np.min(lows, axis=0) if lows else np.zeros(3)
    high = np.max(highs, axis=0) if highs else np.zeros(3)
    return ModelSummary(
        bytes=len(glb),
        triangles=triangles,
        vertices=vertices,
        draw_calls=len(drawn),
        materials=len(gltf.get("materials", [])),
        textures=len(gltf.get("textures", [])),
        max_texture_px=largest,
        bounds_min=(float(low[0]), float(low[1]), float(low[2])),
        bounds_max=(float(high[0]), float(high[1]), float(high[2])),
        variant_names=variant_names(gltf),
        compressed=True,
    )


def max_texture_px(gltf: dict[str, Any], binary: bytes) -> int:
    """The longest side of any embedded image (0 when there is none)."""
    largest = 0
    for image in gltf.get("images", []):
        view_index = image.get("bufferView")
        if not isinstance(view_index, int):
            continue
        view = gltf["bufferViews"][view_index]
        start = view.get("byteOffset", 0)
        width, height = image_size(binary[start : start + view["byteLength"]])
        largest = max(largest, width, height)
    return largest
