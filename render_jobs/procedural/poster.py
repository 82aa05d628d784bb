"""Deterministic software poster: 3/4 orthographic view, flat Lambert shading, RGBA PNG.

The camera looks at the model from the front-right and above; the model is fitted to the
frame on a transparent background and rendered at 2x, then box-filtered down. Only base
colour factors are used (textures are ignored); back faces of single-sided materials are
culled as glTF prescribes.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import numpy as np
import trimesh
from PIL import Image

from render_jobs.glb import read_glb
from render_jobs.gltf_data import (
    FloatArray,
    check_supported,
    item,
    primitive_positions,
    primitive_triangles,
    scene_primitives,
    transform_points,
)
from render_jobs.gltf_variants import check_variants, material_for_variant
from render_jobs.procedural.builder import scene_to_glb
from render_jobs.procedural.raster import rasterize

_AZIMUTH = np.radians(35.0)
_ELEVATION = np.radians(25.0)
_SUPERSAMPLE = 2
_MARGIN = 0.06
_AMBIENT = 0.38
_DIFFUSE = 0.72
_DEFAULT_RGBA = (0.8, 0.8, 0.8, 1.0)


@dataclass(frozen=True)
class _Surface:
    triangles: FloatArray  # (m, 3, 3) world-space corners
    rgba: tuple[float, float, float, float]
    double_sided: bool


def render_poster_png(
    glb_or_scene: bytes | trimesh.Scene, size: int = 512, variant: str | None = None
) -> bytes:
    """Render an RGBA PNG poster of ``size`` x ``size`` pixels, byte-identical per input.

    ``variant`` picks a ``KHR_materials_variants`` look by name (``ValueError`` if unknown).
    """
    if size < 8:
        raise ValueError("poster size must be at least 8 pixels")
    if isinstance(glb_or_scene, trimesh.Scene):
        glb_or_scene = scene_to_glb(glb_or_scene)
    surfaces = _surfaces(glb_or_scene, variant)
    image = _rasterize(surfaces, size)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=6)
    return buffer.getvalue()


def _surfaces(data: bytes, variant: str | None) -> list[_Surface]:
    gltf, binary = read_glb(data)
    check_supported(gltf)
    names = check_variants(gltf)
    variant_index = None
    if variant is not None:
        if variant not in names:
            raise ValueError(f"unknown variant {variant!r}; available: {list(names)}")
        variant_index = names.index(variant)
    surfaces = []
    for entry in scene_primitives(gltf):
        local = primitive_positions(gltf, binary, entry.primitive)
        faces = primitive_triangles(gltf, binary, entry.primitive, len(local))
        if not len(faces):
            continue
        if np.linalg.det(entry.world[:3, :3]) < 0:
            faces = faces[:, ::-1]  # mirrored node: keep counter-clockwise fronts
        corners = transform_points(entry.world, local)[faces]
        rgba, double_sided = _material(gltf, material_for_variant(entry.primitive, variant_index))
        surfaces.append(_Surface(corners, rgba, double_sided))
    return surfaces


def _material(
    gltf: dict[str, Any], index: int | None
) -> tuple[tuple[float, float, float, float], bool]:
    if index is None:
        return _DEFAULT_RGBA, False
    material = item(gltf, "materials", index)
    r, g, b, a = _base_color(material)
    if material.get("alphaMode") != "BLEND":
        a = 1.0  # OPAQUE and MASK both draw solid here
    return (r, g, b, a), bool(material.get("doubleSided", False))


def _base_color(material: dict[str, Any]) -> tuple[float, float, float, float]:
    pbr = material.get("pbrMetallicRoughness")
    factor = pbr.get("baseColorFactor") if isinstance(pbr, dict) else None
    if not (isinstance(factor, list) and len(factor) == 4):
        return (1.0, 1.0, 1.0, 1.0)
    try:
        r, g, b, a = (min(max(float(c), 0.0), 1.0) for c in factor)
    except (TypeError, ValueError):
        return (1.0, 1.0, 1.0, 1.0)
    return (r, g, b, a)


def _camera() -> tuple[FloatArray, FloatArray, FloatArray]:
    """Unit vectors: towards the camera, screen right, screen up."""
    toward = np.array(
        [
            np.sin(_AZIMUTH) * np.cos(_ELEVATION),
            np.sin(_ELEVATION),
            np.cos(_AZIMUTH) * np.cos(_ELEVATION),
        ]
    )
    right = np.cross((0.0, 1.0, 0.0), toward)
    right /= np.linalg.norm(right)
    up = np.cross(toward, right)
    return toward, right, up


def _rasterize(surfaces: list[_Surface], size: int) -> Image.Image:
    toward, right, up = _camera()
    light = 0.55 * toward + 0.35 * up - 0.45 * right
    light /= np.linalg.norm(light)
    batches = [_shade(surface, toward, light) for surface in surfaces]
    if not any(len(triangles) for triangles, _ in batches):
        return Image.new("RGBA", (size, size), (0, 0, 0, 0))
    points = np.concatenate([triangles for triangles, _ in batches])
    colors = np.concatenate([fills for _, fills in batches])
    view = np.stack([points @ right, points @ up, points @ toward], axis=-1)
    low = view[..., :2].reshape(-1, 2).min(axis=0)
    high = view[..., :2].reshape(-1, 2).max(axis=0)
    canvas = size * _SUPERSAMPLE
    scale = canvas * (1.0 - 2.0 * _MARGIN) / max(float((high - low).max()), 1e-12)
    corners = view.copy()
    corners[..., :2] = (view[..., :2] - (low + high) / 2.0) * scale * (1.0, -1.0) + canvas / 2.0
    image = rasterize(corners, colors, canvas)
    small = _downsample(image, _SUPERSAMPLE)
    alpha = small[..., 3:]
    rgb = np.divide(small[..., :3], alpha, out=np.zeros_like(small[..., :3]), where=alpha > 0)
    rgba = np.rint(np.clip(np.concatenate([rgb, alpha], axis=-1), 0.0, 1.0) * 255.0)
    return Image.fromarray(rgba.astype(np.uint8), "RGBA")


def _downsample(image: FloatArray, factor: int) -> FloatArray:
    """Box-filter a premultiplied image by an integer factor."""
    total = np.zeros_like(image[::factor, ::factor])
    for dy in range(factor):
        for dx in range(factor):
            total += image[dy::factor, dx::factor]
    result: FloatArray = total / (factor * factor)
    return result


def _shade(
    surface: _Surface, toward: FloatArray, light: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Front-facing triangles of a surface and their shaded sRGB colours with alpha."""
    tri = surface.triangles
    normals = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    lengths = np.linalg.norm(normals, axis=1)
    keep = lengths > 0.0
    tri, normals = tri[keep], normals[keep] / lengths[keep, None]
    facing = normals @ toward
    if surface.double_sided:
        normals = np.where(facing[:, None] < 0.0, -normals, normals)
    else:
        tri, normals = tri[facing > 0.0], normals[facing > 0.0]
    intensity = np.minimum(_AMBIENT + _DIFFUSE * np.clip(normals @ light, 0.0, None), 1.0)
    linear = np.clip(np.outer(intensity, surface.rgba[:3]), 0.0, 1.0)
    srgb = np.where(linear <= 0.0031308, 12.92 * linear, 1.055 * linear ** (1 / 2.4) - 0.055)
    alpha = np.full((len(tri), 1), surface.rgba[3])
    return tri, np.hstack([srgb, alpha])
