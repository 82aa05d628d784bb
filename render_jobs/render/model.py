"""A GLB read into render-ready arrays: world-space triangles, PBR materials, images, variants.

Nothing here touches OpenGL, so the extraction is unit-testable on its own. Positions and
normals are baked into world space (node transforms applied, winding fixed for mirrored
nodes); primitives without normals get flat normals, as glTF prescribes.
"""

from __future__ import annotations

import base64
import io
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from PIL import Image

from render_jobs.glb import GlbFormatError, read_glb
from render_jobs.gltf_data import (
    check_supported,
    item,
    primitive_positions,
    primitive_triangles,
    read_accessor,
    scene_primitives,
    transform_points,
)
from render_jobs.gltf_variants import check_variants, material_for_variant

F32 = npt.NDArray[np.float32]
U32 = npt.NDArray[np.uint32]
U8 = npt.NDArray[np.uint8]

_CLAMP_TO_EDGE = 33071
_IDENTITY_UV = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0)


class UnknownVariant(ValueError):
    """A material variant name the model does not declare."""

    def __init__(self, name: str, available: tuple[str, ...]) -> None:
        super().__init__(f"unknown variant {name!r}; available: {list(available)}")
        self.name = name
        self.available = available


@dataclass(frozen=True)
class TextureRef:
    """A material's use of an image: which image, its UV transform and wrap mode."""

    image: int
    uv_transform: tuple[float, ...] = _IDENTITY_UV  # row-major 3x3 (KHR_texture_transform)
    repeat: bool = True


@dataclass(frozen=True)
class Material:
    """glTF metallic-roughness material (the parts the renderer shades)."""

    base_color: tuple[float, float, float, float] = (1.0, 1.0, 1.0, 1.0)
    base_color_texture: TextureRef | None = None
    metallic: float = 1.0
    roughness: float = 1.0
    metallic_roughness_texture: TextureRef | None = None
    normal_texture: TextureRef | None = None
    normal_scale: float = 1.0
    occlusion_texture: TextureRef | None = None
    occlusion_strength: float = 1.0
    emissive: tuple[float, float, float] = (0.0, 0.0, 0.0)
    emissive_texture: TextureRef | None = None
    alpha_mode: str = "OPAQUE"
    alpha_cutoff: float = 0.5
    double_sided: bool = False
    sheen_color: tuple[float, float, float] = (0.0, 0.0, 0.0)  # KHR_materials_sheen
    sheen_roughness: float = 0.0


DEFAULT_MATERIAL = Material(metallic=0.0, roughness=0.6, base_color=(0.8, 0.8, 0.8, 1.0))


@dataclass(frozen=True)
class Primitive:
    """One drawable: interleaved ``position, normal, uv`` float32 rows and triangle indices."""

    vertices: F32  # (n, 8)
    indices: U32  # (m * 3,)
    material: int | None
    variant_materials: dict[int, int] = field(default_factory=dict)

    @property
    def triangles(self) -> int:
        """Number of triangles."""
        return int(self.indices.size // 3)

    def material_for(self, variant: int | None) -> int | None:
        """Material index used under ``variant`` (the default when the variant maps none)."""
        if variant is not None and variant in self.variant_materials:
            return self.variant_materials[variant]
        return self.material


@dataclass(frozen=True)
class ModelData:
    """Everything the renderer needs from one GLB."""

    primitives: tuple[Primitive, ...]
    materials: tuple[Material, ...]
    images: tuple[U8 | None, ...]  # RGBA rows, top row first; None when not decodable
    variants: tuple[str, ...]
    bounds_min: tuple[float, float, float]
    bounds_max: tuple[float, float, float]

    @property
    def triangles(self) -> int:
        """Triangles drawn per frame."""
        return sum(primitive.triangles for primitive in self.primitives)

    def variant_index(self, name: str | None) -> int | None:
        """Index of a variant by name; ``UnknownVariant`` when the model has no such variant."""
        if name is None:
            return None
        if name not in self.variants:
            raise UnknownVariant(name, self.variants)
        return self.variants.index(name)

    def material(self, index: int | None) -> Material:
        """Material by index, the default material for ``None``."""
        return DEFAULT_MATERIAL if index is None else self.materials[index]


def load_model(glb: bytes, *, max_texture_px: int = 2048) -> ModelData:
    """Read a GLB (uncompressed geometry) into world-space arrays, materials and images."""
    gltf, binary = read_glb(glb)
    check_supported(gltf)
    variants = check_variants(gltf)
    primitives = [
        primitive
        for entry in scene_primitives(gltf)
        if (primitive := _primitive(gltf, binary, entry.primitive, entry.world, len(variants)))
    ]
    if not primitives:
        raise GlbFormatError("the default scene draws no triangles")
    corners = np.concatenate([p.vertices[:, :3] for p in primitives])
    materials = tuple(_material(gltf, index) for index in range(len(gltf.get("materials", []))))
    images = tuple(
        _image(gltf, binary, index, max_texture_px) for index in range(len(gltf.get("images", [])))
    )
    low, high = corners.min(axis=0), corners.max(axis=0)
    return ModelData(
        primitives=tuple(primitives),
        materials=materials,
        images=images,
        variants=variants,
        bounds_min=(float(low[0]), float(low[1]), float(low[2])),
        bounds_max=(float(high[0]), float(high[1]), float(high[2])),
    )


def _primitive(
    gltf: dict[str, Any],
    binary: bytes,
    primitive: dict[str, Any],
    world: npt.NDArray[np.float64],
    variant_count: int,
) -> Primitive | None:
    local = primitive_positions(gltf, binary, primitive)
    faces = primitive_triangles(gltf, binary, primitive, len(local))
    if not len(faces):
        return None
    attributes = primitive["attributes"]
    positions = transform_points(world, local)
    normals = None
    if "NORMAL" in attributes:
        normals = read_accessor(gltf, binary, attributes["NORMAL"])[:, :3].astype(np.float64)
        normals = normals @ np.linalg.inv(world[:3, :3])  # inverse transpose, row vectors
    uvs = np.zeros((len(local), 2))
    if "TEXCOORD_0" in attributes:
        uvs = read_accessor(gltf, binary, attributes["TEXCOORD_0"])[:, :2].astype(np.float64)
        if len(uvs) != len(local):
            raise GlbFormatError("TEXCOORD_0 and POSITION have different counts")
    if np.linalg.det(world[:3, :3]) < 0:
        faces = faces[:, [0, 2, 1]]
    if normals is None or len(normals) != len(local):
        # flat normals: one vertex per corner
        corners = positions[faces]
        face_normals = np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0])
        positions = corners.reshape(-1, 3)
        normals = np.repeat(face_normals, 3, axis=0)
        uvs = uvs[faces].reshape(-1, 2)
        faces = np.arange(len(positions)).reshape(-1, 3)
    lengths = np.linalg.norm(normals, axis=1, keepdims=True)
    normals = np.divide(normals, lengths, out=np.zeros_like(normals), where=lengths > 0)
    vertices = np.hstack([positions, normals, uvs]).astype(np.float32)
    mappings: dict[int, int] = {}
    for variant in range(variant_count):
        material = material_for_variant(primitive, variant)
        if material is not None:
            mappings[variant] = material
    default = primitive.get("material")
    return Primitive(
        vertices=np.ascontiguousarray(vertices),
        indices=faces.astype(np.uint32).reshape(-1),
        material=default if isinstance(default, int) else None,
        variant_materials=mappings,
    )


def _number(value: object, default: float) -> float:
    return float(value) if isinstance(value, int | float) and math.isfinite(value) else default


def _numbers(value: object, default: tuple[float, ...]) -> tuple[float, ...]:
    if isinstance(value, list) and len(value) == len(default):
        return tuple(_number(v, d) for v, d in zip(value, default, strict=True))
    return default


def _uv_transform(info: dict[str, Any]) -> tuple[float, ...]:
    transform = info.get("extensions", {}).get("KHR_texture_transform")
    if not isinstance(transform, dict):
        return _IDENTITY_UV
    ox, oy = _numbers(transform.get("offset"), (0.0, 0.0))
    sx, sy = _numbers(transform.get("scale"), (1.0, 1.0))
    rotation = _number(transform.get("rotation"), 0.0)
    c, s = math.cos(rotation), math.sin(rotation)
    # translation * rotation * scale, as the extension defines it
    return (c * sx, s * sy, ox, -s * sx, c * sy, oy, 0.0, 0.0, 1.0)


def _texture(gltf: dict[str, Any], info: object) -> TextureRef | None:
    if not isinstance(info, dict) or not isinstance(info.get("index"), int):
        return None
    texture = item(gltf, "textures", info["index"])
    source = texture.get("source")
    webp = texture.get("extensions", {}).get("EXT_texture_webp")
    if isinstance(webp, dict) and isinstance(webp.get("source"), int):
        source = webp["source"]
    if not isinstance(source, int):
        return None
    item(gltf, "images", source)
    repeat = True
    if isinstance(texture.get("sampler"), int):
        sampler = item(gltf, "samplers", texture["sampler"])
        repeat = sampler.get("wrapS") != _CLAMP_TO_EDGE and sampler.get("wrapT") != _CLAMP_TO_EDGE
    return TextureRef(image=source, uv_transform=_uv_transform(info), repeat=repeat)


def _material(gltf: dict[str, Any], index: int) -> Material:
    raw = item(gltf, "materials", index)
    pbr = raw.get("pbrMetallicRoughness", {})
    pbr = pbr if isinstance(pbr, dict) else {}
    normal = raw.get("normalTexture")
    occlusion = raw.get("occlusionTexture")
    strength = raw.get("extensions", {}).get("KHR_materials_emissive_strength", {})
    emissive_scale = _number(strength.get("emissiveStrength") if strength else None, 1.0)
    emissive = _numbers(raw.get("emissiveFactor"), (0.0, 0.0, 0.0))
    base = _numbers(pbr.get("baseColorFactor"), (1.0, 1.0, 1.0, 1.0))
    alpha_mode = raw.get("alphaMode", "OPAQUE")
    sheen = raw.get("extensions", {}).get("KHR_materials_sheen")
    sheen = sheen if isinstance(sheen, dict) else {}
    sheen_color = _numbers(sheen.get("sheenColorFactor"), (0.0, 0.0, 0.0))
    return Material(
        base_color=(base[0], base[1], base[2], base[3]),
        base_color_texture=_texture(gltf, pbr.get("baseColorTexture")),
        metallic=_number(pbr.get("metallicFactor"), 1.0),
        roughness=_number(pbr.get("roughnessFactor"), 1.0),
        metallic_roughness_texture=_texture(gltf, pbr.get("metallicRoughnessTexture")),
        normal_texture=_texture(gltf, normal),
        normal_scale=_number(normal.get("scale") if isinstance(normal, dict) else None, 1.0),
        occlusion_texture=_texture(gltf, occlusion),
        occlusion_strength=_number(
            occlusion.get("strength") if isinstance(occlusion, dict) else None, 1.0
        ),
        emissive=(
            emissive[0] * emissive_scale,
            emissive[1] * emissive_scale,
            emissive[2] * emissive_scale,
        ),
        emissive_texture=_texture(gltf, raw.get("emissiveTexture")),
        alpha_mode=alpha_mode if alpha_mode in {"OPAQUE", "MASK", "BLEND"} else "OPAQUE",
        alpha_cutoff=_number(raw.get("alphaCutoff"), 0.5),
        double_sided=bool(raw.get("doubleSided", False)),
        sheen_color=(sheen_color[0], sheen_color[1], sheen_color[2]),
        sheen_roughness=_number(sheen.get("sheenRoughnessFactor"), 0.0),
    )


def _image_bytes(gltf: dict[str, Any], binary: bytes, index: int) -> bytes | None:
    image = item(gltf, "images", index)
    if isinstance(image.get("bufferView"), int):
        view = item(gltf, "bufferViews", image["bufferView"])
        start = int(view.get("byteOffset", 0))
        end = start + int(view.get("byteLength", 0))
        if end > len(binary):
            raise GlbFormatError(f"images[{index}] lies outside the BIN chunk")
        return binary[start:end]
    uri = image.get("uri")
    if isinstance(uri, str) and uri.startswith("data:") and ";base64," in uri:
        return base64.b64decode(uri.split(";base64,", 1)[1])
    return None


def _image(gltf: dict[str, Any], binary: bytes, index: int, max_px: int) -> U8 | None:
    data = _image_bytes(gltf, binary, index)
    if data is None:
        return None
    try:
        with Image.open(io.BytesIO(data)) as opened:
            image = opened.convert("RGBA")
    except (OSError, ValueError):
        return None
    if max(image.size) > max_px:
        scale = max_px / max(image.size)
        size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
        image = image.resize(size, Image.Resampling.LANCZOS)
    return np.asarray(image, dtype=np.uint8)
