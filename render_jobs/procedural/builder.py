"""Recipe -> trimesh scene -> deterministic GLB with ``KHR_materials_variants``."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import trimesh

from render_jobs.glb import read_glb, write_glb
from render_jobs.gltf_variants import VARIANTS_EXTENSION
from render_jobs.procedural.kinds import KINDS, Parts
from render_jobs.procedural.recipes import ModelRecipe, PbrMaterial

GENERATOR = "vitrine render_jobs.procedural"
_SMOOTH_ANGLE = math.radians(35.0)


def build_scene(recipe: ModelRecipe) -> trimesh.Scene:
    """Build the recipe's parts as a Y-up scene in metres, one node and material per part.

    The model is centred on X/Z, rests on the floor (min Y = 0) and its bounding box is
    exactly ``width_m x height_m x depth_m``. Materials are each part's default (first
    variant's) look.
    """
    spec = KINDS.get(recipe.kind)
    if spec is None:
        raise ValueError(f"unknown kind {recipe.kind!r}; known: {', '.join(sorted(KINDS))}")
    missing = sorted(set(spec.parts) - set(recipe.parts))
    extra = sorted(set(recipe.parts) - set(spec.parts))
    if missing or extra:
        raise ValueError(
            f"recipe {recipe.slug!r} must give materials for exactly the parts of "
            f"{recipe.kind!r} {list(spec.parts)} (missing {missing}, unknown {extra})"
        )
    parts = _fit(spec.build(recipe.width_m, recipe.depth_m, recipe.height_m), recipe)
    scene = trimesh.Scene()
    for part in spec.parts:
        mesh = trimesh.graph.smooth_shade(parts[part], angle=_SMOOTH_ANGLE)
        material = _trimesh_material(recipe.default_material(part))
        mesh.visual = trimesh.visual.TextureVisuals(material=material)  # type: ignore[no-untyped-call]
        scene.add_geometry(mesh, geom_name=part, node_name=part)
    return scene


def _fit(parts: Parts, recipe: ModelRecipe) -> Parts:
    """Centre on X/Z, drop onto the floor and scale each axis to the recipe's exact size.

    Kind builders already aim at the recipe's size; this last per-axis scale only absorbs
    their small approximations (a few percent at most, checked by the tests).
    """
    low = np.min([mesh.bounds[0] for mesh in parts.values()], axis=0)
    high = np.max([mesh.bounds[1] for mesh in parts.values()], axis=0)
    target = np.array([recipe.width_m, recipe.height_m, recipe.depth_m])
    scale = target / (high - low)
    matrix = np.diag([*scale, 1.0])
    center = (low + high) / 2.0
    matrix[:3, 3] = -np.array([center[0], low[1], center[2]]) * scale
    return {name: mesh.copy().apply_transform(matrix) for name, mesh in parts.items()}


def _trimesh_material(material: PbrMaterial) -> trimesh.visual.material.PBRMaterial:
    return trimesh.visual.material.PBRMaterial(  # type: ignore[no-untyped-call]
        name=material.name,
        baseColorFactor=list(material.base_color_rgba),
        metallicFactor=material.metallic,
        roughnessFactor=material.roughness,
        alphaMode="BLEND" if material.is_translucent else "OPAQUE",
    )


def build_glb(recipe: ModelRecipe) -> bytes:
    """Export the recipe as GLB bytes, identical on every call and in every process."""
    gltf, binary = read_glb(scene_to_glb(build_scene(recipe), include_normals=True))
    _finish(gltf, recipe)
    return write_glb(gltf, binary)


def scene_to_glb(scene: trimesh.Scene, *, include_normals: bool = False) -> bytes:
    """Plain trimesh GLB export of a scene."""
    data = scene.export(file_type="glb", include_normals=include_normals)  # type: ignore[no-untyped-call]
    return bytes(data)


def _finish(gltf: dict[str, Any], recipe: ModelRecipe) -> None:
    """Replace trimesh's materials with the recipe's exact ones and add the variants."""
    materials: list[PbrMaterial] = []
    index: dict[PbrMaterial, int] = {}

    def material_index(material: PbrMaterial) -> int:
        if material not in index:
            index[material] = len(materials)
            materials.append(material)
        return index[material]

    for mesh in gltf["meshes"]:
        mesh.pop("extras", None)
        for primitive in mesh["primitives"]:
            primitive["material"] = material_index(recipe.default_material(mesh["name"]))
    if recipe.variants:
        for mesh in gltf["meshes"]:
            looks = [recipe.material_for(mesh["name"], v) for v in recipe.variants]
            if len(set(looks)) == 1:
                continue
            by_material: dict[int, list[int]] = {}
            for variant, look in enumerate(looks):
                by_material.setdefault(material_index(look), []).append(variant)
            mappings = [{"material": m, "variants": v} for m, v in by_material.items()]
            for primitive in mesh["primitives"]:
                primitive.setdefault("extensions", {})[VARIANTS_EXTENSION] = {"mappings": mappings}
        gltf.setdefault("extensions", {})[VARIANTS_EXTENSION] = {
            "variants": [{"name": variant.name} for variant in recipe.variants]
        }
        used = set(gltf.get("extensionsUsed", [])) | {VARIANTS_EXTENSION}
        gltf["extensionsUsed"] = sorted(used)
    gltf["materials"] = [_material_json(material) for material in materials]
    gltf["asset"] = {"version": "2.0", "generator": GENERATOR}
    gltf["scenes"][gltf.get("scene", 0)]["name"] = recipe.slug


def _material_json(material: PbrMaterial) -> dict[str, Any]:
    result: dict[str, Any] = {
        "name": material.name,
        "pbrMetallicRoughness": {
            "baseColorFactor": list(material.base_color_rgba),
            "metallicFactor": material.metallic,
            "roughnessFactor": material.roughness,
        },
    }
    if material.is_translucent:
        result["alphaMode"] = "BLEND"
    return result
