"""Normalisation to the GLB master: metres, +Y up, centred on X/Z, resting on the floor.

glTF/GLB inputs are never re-exported: a wrapping root node carries the normalising
transform, so PBR materials, textures, extensions and ``KHR_materials_variants`` pass through
byte for byte. OBJ and STL inputs go through trimesh (which has no variants to lose).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from render_jobs.glb import read_glb, write_glb
from render_jobs.gltf_stats import ModelStats, compute_stats
from render_jobs.ingest.errors import IngestRejected
from render_jobs.ingest.params import IngestParams
from render_jobs.ingest.sniff import Kind
from render_jobs.ingest.validate import ValidatedInput

Matrix = npt.NDArray[np.float64]
WRAPPER_NAME = "vitrine-normalize"
_SMOOTH_ANGLE = math.radians(30.0)
_DEFAULT_MATERIAL: dict[str, Any] = {
    "name": "default",
    "pbrMetallicRoughness": {
        "baseColorFactor": [0.8, 0.8, 0.8, 1.0],
        "metallicFactor": 0.0,
        "roughnessFactor": 0.6,
    },
}

# Rotations (signed axis permutations) taking the named source "up" axis to +Y.
_UP: dict[str, tuple[tuple[float, ...], ...]] = {
    "y": ((1, 0, 0), (0, 1, 0), (0, 0, 1)),
    "z": ((1, 0, 0), (0, 0, 1), (0, -1, 0)),
    "-z": ((1, 0, 0), (0, 0, -1), (0, 1, 0)),
    "x": ((0, -1, 0), (1, 0, 0), (0, 0, 1)),
}


@dataclass
class Normalized:
    """The master GLB, its statistics and how it was obtained."""

    glb: bytes
    stats: ModelStats
    unit_scale: float
    up_axis: str
    notes: list[str] = field(default_factory=list)


def up_axis_for(kind: Kind, params: IngestParams) -> str:
    """The source's up axis: the parameter, or +Z for STL and +Y otherwise."""
    if params.up_axis != "auto":
        return params.up_axis
    return "z" if kind in {Kind.STL_BINARY, Kind.STL_ASCII} else "y"


def guess_unit_scale(largest_extent: float) -> float:
    """Metres per unit for a model whose largest side is ``largest_extent`` units: products
    over 100 units are taken as millimetres, over 10 as centimetres, else metres."""
    if largest_extent > 100:
        return 0.001
    if largest_extent > 10:
        return 0.01
    return 1.0


def _rotation(axis: str) -> Matrix:
    matrix = np.eye(4)
    matrix[:3, :3] = np.array(_UP[axis], dtype=np.float64)
    return matrix


def _placement(low: Matrix, high: Matrix) -> Matrix:
    """Translation centring X/Z and putting min Y on the floor."""
    matrix = np.eye(4)
    matrix[:3, 3] = (-(low[0] + high[0]) / 2, -low[1], -(low[2] + high[2]) / 2)
    return matrix


def _box(stats: ModelStats, transform: Matrix) -> tuple[Matrix, Matrix]:
    """Exact bounds after ``transform`` (a signed permutation times a uniform scale maps an
    axis-aligned box onto an axis-aligned box)."""
    corners = np.array(
        [[x, y, z] for x in (0, 1) for y in (0, 1) for z in (0, 1)], dtype=np.float64
    )
    low, high = np.array(stats.bounds_min), np.array(stats.bounds_max)
    points = low + corners * (high - low)
    moved = points @ transform[:3, :3].T + transform[:3, 3]
    return moved.min(axis=0), moved.max(axis=0)


def _unit_scale(kind: Kind, params: IngestParams, extent: float, notes: list[str]) -> float:
    if params.unit_scale is not None:
        return params.unit_scale
    if params.guess_units and kind not in {Kind.GLB, Kind.GLTF}:
        scale = guess_unit_scale(extent)
        unit = {0.001: "millimetres", 0.01: "centimetres", 1.0: "metres"}[scale]
        notes.append(f"units guessed as {unit} (largest extent {extent:g} units)")
        return scale
    return 1.0


def normalize(model: ValidatedInput, params: IngestParams) -> Normalized:
    """Build the master GLB of a validated input."""
    if model.glb is not None and model.stats is not None:
        return _normalize_gltf(model.glb, model.stats, model.kind, params)
    return _normalize_mesh(model, params)


def _normalize_gltf(glb: bytes, stats: ModelStats, kind: Kind, params: IngestParams) -> Normalized:
    notes: list[str] = []
    axis = up_axis_for(kind, params)
    scale = _unit_scale(kind, params, max(stats.extents), notes)
    oriented = _rotation(axis) @ np.diag([scale, scale, scale, 1.0])
    low, high = _box(stats, oriented)
    matrix = _placement(low, high) @ oriented
    gltf, binary = read_glb(glb)
    if not np.allclose(matrix, np.eye(4), atol=1e-9):
        _wrap_default_scene(gltf, matrix, notes)
    master = write_glb(gltf, binary)
    return Normalized(master, compute_stats(master), scale, axis, notes)


def _wrap_default_scene(gltf: dict[str, Any], matrix: Matrix, notes: list[str]) -> None:
    scenes = gltf.get("scenes") or [{"nodes": _roots(gltf)}]
    default = dict(scenes[gltf.get("scene", 0)])
    if len(scenes) > 1:
        notes.append(f"kept the default scene only ({len(scenes) - 1} other scenes dropped)")
    nodes = gltf.setdefault("nodes", [])
    nodes.append(
        {
            "name": WRAPPER_NAME,
            "children": list(default.get("nodes", [])),
            "matrix": [float(v) for v in matrix.T.reshape(-1)],
        }
    )
    default["nodes"] = [len(nodes) - 1]
    gltf["scenes"] = [default]
    gltf["scene"] = 0


def _roots(gltf: dict[str, Any]) -> list[int]:
    nodes = gltf.get("nodes", [])
    children = {c for n in nodes for c in n.get("children", [])}
    return [i for i in range(len(nodes)) if i not in children]


def _normalize_mesh(model: ValidatedInput, params: IngestParams) -> Normalized:
    import trimesh  # imported here: it costs a second and only OBJ/STL need it

    file_type = "obj" if model.kind is Kind.OBJ else "stl"
    try:
        loaded = trimesh.load(str(model.path), file_type=file_type, force="scene")
    except MemoryError:
        raise  # the sandbox reports it as resource-limit
    except Exception as error:  # any loader failure means a broken input
        raise IngestRejected(
            "obj-syntax" if file_type == "obj" else "stl-structure",
            model.main,
            f"the file could not be loaded: {error}",
        ) from error
    if not isinstance(loaded, trimesh.Scene):
        raise IngestRejected("empty-geometry", model.main, "no mesh after loading")
    # dump() applies each node's world transform to a copy of its mesh.
    meshes = [m for m in loaded.dump() if isinstance(m, trimesh.Trimesh) and len(m.faces)]
    if not meshes:
        raise IngestRejected("empty-geometry", model.main, "no triangles after loading")
    notes: list[str] = []
    axis = up_axis_for(model.kind, params)
    rotation = _rotation(axis)
    low = np.min([m.bounds[0] for m in meshes], axis=0)
    high = np.max([m.bounds[1] for m in meshes], axis=0)
    scale = _unit_scale(model.kind, params, float(np.max(high - low)), notes)
    oriented = rotation @ np.diag([scale, scale, scale, 1.0])
    corners = np.array(
        [[x, y, z] for x in (low[0], high[0]) for y in (low[1], high[1]) for z in (low[2], high[2])]
    )
    moved = corners @ oriented[:3, :3].T
    matrix = _placement(moved.min(axis=0), moved.max(axis=0)) @ oriented
    output = trimesh.Scene()
    for index, mesh in enumerate(meshes):
        mesh.apply_transform(matrix)
        if model.kind is not Kind.OBJ:
            mesh = trimesh.graph.smooth_shade(mesh, angle=_SMOOTH_ANGLE)
        name = str(mesh.metadata.get("name") or f"mesh{index}")
        output.add_geometry(mesh, geom_name=name, node_name=name)
    exported = output.export(file_type="glb", include_normals=True)  # type: ignore[no-untyped-call]
    gltf, binary = read_glb(bytes(exported))
    _tidy_trimesh_export(gltf)
    master = write_glb(gltf, binary)
    return Normalized(master, compute_stats(master), scale, axis, notes)


def _tidy_trimesh_export(gltf: dict[str, Any]) -> None:
    """OBJ/MTL and STL carry no metalness: glTF's default (fully metallic) would be wrong."""
    for key in ("meshes", "nodes"):
        for entry in gltf.get(key, []):
            entry.pop("extras", None)
    materials = gltf.setdefault("materials", [])
    for material in materials:
        pbr = material.setdefault("pbrMetallicRoughness", {})
        pbr.setdefault("metallicFactor", 0.0)
    default_index: int | None = None
    for mesh in gltf.get("meshes", []):
        for primitive in mesh.get("primitives", []):
            if "material" not in primitive:
                if default_index is None:
                    materials.append(json.loads(json.dumps(_DEFAULT_MATERIAL)))
                    default_index = len(materials) - 1
                primitive["material"] = default_index
    if not materials:
        gltf.pop("materials")
