"""Bounds-checked access to glTF scene graphs and accessor data held in a GLB BIN chunk.

Every index, offset and count read from the JSON is checked before any array is built, so a
file that claims a 2 GiB buffer or a million-element accessor is rejected without allocating.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, TypeGuard

import numpy as np
import numpy.typing as npt

from render_jobs.glb import GlbFormatError

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

MODE_TRIANGLES = 4
MODE_TRIANGLE_STRIP = 5
MODE_TRIANGLE_FAN = 6

_COMPONENT_DTYPES: dict[int, str] = {
    5120: "<i1",
    5121: "<u1",
    5122: "<i2",
    5123: "<u2",
    5125: "<u4",
    5126: "<f4",
}
_INDEX_COMPONENT_TYPES = frozenset({5121, 5123, 5125})
_TYPE_COMPONENTS: dict[str, int] = {
    "SCALAR": 1,
    "VEC2": 2,
    "VEC3": 3,
    "VEC4": 4,
    "MAT2": 4,
    "MAT3": 9,
    "MAT4": 16,
}
_GEOMETRY_COMPRESSION = frozenset({"KHR_draco_mesh_compression", "EXT_meshopt_compression"})


@dataclass(frozen=True)
class ScenePrimitive:
    """One drawn primitive: the primitive's JSON and the world matrix of its node."""

    node: int
    mesh: int
    index: int
    primitive: dict[str, Any]
    world: FloatArray


def item(gltf: dict[str, Any], key: str, index: object) -> dict[str, Any]:
    """Return ``gltf[key][index]`` as a JSON object, or raise ``GlbFormatError``."""
    items = gltf.get(key)
    if not isinstance(items, list):
        raise GlbFormatError(f"'{key}' is missing or not an array, but index {index} is used")
    if not _is_index(index) or not 0 <= index < len(items):
        raise GlbFormatError(f"{key}[{index}] does not exist ({len(items)} defined)")
    found = items[index]
    if not isinstance(found, dict):
        raise GlbFormatError(f"{key}[{index}] is not a JSON object")
    return found


def check_supported(gltf: dict[str, Any]) -> None:
    """Reject files whose geometry needs a decompression extension this module lacks."""
    required = gltf.get("extensionsRequired", [])
    if not isinstance(required, list):
        raise GlbFormatError("'extensionsRequired' must be an array")
    unsupported = sorted(set(map(str, required)) & _GEOMETRY_COMPRESSION)
    if unsupported:
        raise GlbFormatError(f"compressed geometry is not supported: {', '.join(unsupported)}")


def scene_primitives(gltf: dict[str, Any]) -> list[ScenePrimitive]:
    """List every primitive drawn by the default scene, in depth-first node order."""
    found: list[ScenePrimitive] = []
    stack = [(node, np.eye(4), frozenset[int]()) for node in reversed(_root_nodes(gltf))]
    while stack:
        node_index, parent, ancestors = stack.pop()
        if node_index in ancestors:
            raise GlbFormatError(f"node {node_index} is its own ancestor (cycle)")
        node = item(gltf, "nodes", node_index)
        world = parent @ _local_matrix(node, node_index)
        if "mesh" in node:
            mesh = item(gltf, "meshes", node["mesh"])
            primitives = mesh.get("primitives")
            if not isinstance(primitives, list):
                raise GlbFormatError(f"meshes[{node['mesh']}].primitives must be an array")
            for index, primitive in enumerate(primitives):
                if not isinstance(primitive, dict):
                    raise GlbFormatError(f"meshes[{node['mesh']}].primitives[{index}] is invalid")
                found.append(ScenePrimitive(node_index, node["mesh"], index, primitive, world))
        children = node.get("children", [])
        if not isinstance(children, list):
            raise GlbFormatError(f"nodes[{node_index}].children must be an array")
        inner = ancestors | {node_index}
        stack.extend((child, world, inner) for child in reversed(children))
    return found


def _root_nodes(gltf: dict[str, Any]) -> list[int]:
    scenes = gltf.get("scenes")
    if isinstance(scenes, list) and scenes:
        scene = item(gltf, "scenes", gltf.get("scene", 0))
        roots = scene.get("nodes", [])
    else:
        nodes = gltf.get("nodes", [])
        count = len(nodes) if isinstance(nodes, list) else 0
        children = {c for n in nodes[:count] if isinstance(n, dict) for c in n.get("children", [])}
        roots = [i for i in range(count) if i not in children]
    if not isinstance(roots, list) or not all(_is_index(r) for r in roots):
        raise GlbFormatError("scene nodes must be an array of node indices")
    return [int(r) for r in roots]


def _local_matrix(node: dict[str, Any], index: int) -> FloatArray:
    if "matrix" in node:
        values = _numbers(node["matrix"], 16, f"nodes[{index}].matrix")
        return np.array(values, dtype=np.float64).reshape(4, 4).T
    tx, ty, tz = _numbers(node.get("translation", [0, 0, 0]), 3, f"nodes[{index}].translation")
    x, y, z, w = _numbers(node.get("rotation", [0, 0, 0, 1]), 4, f"nodes[{index}].rotation")
    sx, sy, sz = _numbers(node.get("scale", [1, 1, 1]), 3, f"nodes[{index}].scale")
    norm = math.sqrt(x * x + y * y + z * z + w * w) or 1.0
    x, y, z, w = x / norm, y / norm, z / norm, w / norm
    rotation = np.array(
        [
            [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
            [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
            [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
        ]
    )
    matrix = np.eye(4)
    matrix[:3, :3] = rotation * np.array([sx, sy, sz])
    matrix[:3, 3] = (tx, ty, tz)
    return matrix


def _numbers(value: object, count: int, what: str) -> list[float]:
    if (
        not isinstance(value, list)
        or len(value) != count
        or not all(_is_number(v) and math.isfinite(v) for v in value)
    ):
        raise GlbFormatError(f"{what} must be {count} finite numbers")
    return [float(v) for v in value]


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_index(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _count(obj: dict[str, Any], key: str, what: str, default: int | None = None) -> int:
    value = obj.get(key, default)
    if not _is_index(value):
        raise GlbFormatError(f"{what}.{key} must be a non-negative integer")
    return value


def read_accessor(gltf: dict[str, Any], binary: bytes, index: object) -> FloatArray | IntArray:
    """Decode accessor ``index`` to an array of shape ``(count, components)``.

    Integer data stays integer (int64) unless the accessor is ``normalized``; float data is
    returned as float64.
    """
    what = f"accessors[{index}]"
    accessor = item(gltf, "accessors", index)
    dtype_code = _COMPONENT_DTYPES.get(accessor.get("componentType"))  # type: ignore[arg-type]
    components = _TYPE_COMPONENTS.get(accessor.get("type"))  # type: ignore[arg-type]
    if dtype_code is None or components is None:
        raise GlbFormatError(f"{what} has an invalid componentType or type")
    dtype = np.dtype(dtype_code)
    count = _count(accessor, "count", what)
    if "bufferView" in accessor:
        data = _read_elements(
            gltf,
            binary,
            accessor["bufferView"],
            _count(accessor, "byteOffset", what, 0),
            count,
            dtype,
            components,
            what,
        )
    else:
        data = np.zeros((count, components), dtype=dtype)
    if "sparse" in accessor:
        _apply_sparse(gltf, binary, accessor["sparse"], data, what)
    if accessor.get("normalized") and dtype.kind in "iu":
        normalized: FloatArray = np.maximum(data.astype(np.float64) / np.iinfo(dtype).max, -1.0)
        return normalized
    if dtype.kind == "f":
        return data.astype(np.float64)
    return data.astype(np.int64)


def _read_elements(
    gltf: dict[str, Any],
    binary: bytes,
    view_index: object,
    byte_offset: int,
    count: int,
    dtype: np.dtype[Any],
    components: int,
    what: str,
) -> npt.NDArray[Any]:
    view = item(gltf, "bufferViews", view_index)
    view_what = f"bufferViews[{view_index}]"
    buffer_length = _buffer_length(gltf, binary, view.get("buffer"))
    view_offset = _count(view, "byteOffset", view_what, 0)
    view_length = _count(view, "byteLength", view_what)
    if view_offset + view_length > buffer_length:
        raise GlbFormatError(
            f"{view_what} spans bytes {view_offset}..{view_offset + view_length} "
            f"but its buffer holds {buffer_length}"
        )
    element = dtype.itemsize * components
    stride = _count(view, "byteStride", view_what, element)
    if stride < element:
        raise GlbFormatError(f"{view_what}.byteStride {stride} is smaller than one element")
    if count == 0:
        return np.zeros((0, components), dtype=dtype)
    needed = byte_offset + stride * (count - 1) + element
    if needed > view_length:
        raise GlbFormatError(
            f"{what} needs {needed} bytes for {count} elements but {view_what} holds {view_length}"
        )
    return np.ndarray(
        (count, components),
        dtype=dtype,
        buffer=binary,
        offset=view_offset + byte_offset,
        strides=(stride, dtype.itemsize),
    ).copy()


def _buffer_length(gltf: dict[str, Any], binary: bytes, index: object) -> int:
    buffer = item(gltf, "buffers", index)
    if index != 0 or "uri" in buffer:
        raise GlbFormatError(f"buffers[{index}] is external; only the GLB BIN buffer is supported")
    declared = _count(buffer, "byteLength", f"buffers[{index}]")
    if declared > len(binary):
        raise GlbFormatError(
            f"buffers[0] declares {declared} bytes but the BIN chunk holds {len(binary)}"
        )
    return declared


def _apply_sparse(
    gltf: dict[str, Any], binary: bytes, sparse: object, data: npt.NDArray[Any], what: str
) -> None:
    if not isinstance(sparse, dict):
        raise GlbFormatError(f"{what}.sparse must be an object")
    count = _count(sparse, "count", f"{what}.sparse")
    indices, values = sparse.get("indices"), sparse.get("values")
    if not isinstance(indices, dict) or not isinstance(values, dict):
        raise GlbFormatError(f"{what}.sparse needs 'indices' and 'values' objects")
    index_code = _COMPONENT_DTYPES.get(indices.get("componentType"))  # type: ignore[arg-type]
    if index_code is None or indices.get("componentType") not in _INDEX_COMPONENT_TYPES:
        raise GlbFormatError(f"{what}.sparse.indices has an invalid componentType")
    targets = _read_elements(
        gltf,
        binary,
        indices.get("bufferView"),
        _count(indices, "byteOffset", what, 0),
        count,
        np.dtype(index_code),
        1,
        f"{what}.sparse.indices",
    )[:, 0]
    replacements = _read_elements(
        gltf,
        binary,
        values.get("bufferView"),
        _count(values, "byteOffset", what, 0),
        count,
        data.dtype,
        data.shape[1],
        f"{what}.sparse.values",
    )
    if count and int(targets.max()) >= data.shape[0]:
        raise GlbFormatError(f"{what}.sparse.indices point past the accessor's {data.shape[0]}")
    data[targets.astype(np.int64)] = replacements


def primitive_positions(
    gltf: dict[str, Any], binary: bytes, primitive: dict[str, Any]
) -> FloatArray:
    """Local-space POSITION data of a primitive as finite float64 ``(n, 3)``."""
    attributes = primitive.get("attributes")
    if not isinstance(attributes, dict) or "POSITION" not in attributes:
        raise GlbFormatError("a mesh primitive has no POSITION attribute")
    positions = read_accessor(gltf, binary, attributes["POSITION"])
    if positions.shape[1] != 3:
        raise GlbFormatError(f"accessors[{attributes['POSITION']}] (POSITION) must be VEC3")
    if not np.isfinite(positions).all():
        raise GlbFormatError(f"accessors[{attributes['POSITION']}] (POSITION) has NaN/Inf values")
    return positions.astype(np.float64)


def primitive_triangles(
    gltf: dict[str, Any], binary: bytes, primitive: dict[str, Any], vertex_count: int
) -> IntArray:
    """Triangle vertex indices ``(m, 3)`` of a primitive; empty for point and line modes."""
    mode = primitive.get("mode", MODE_TRIANGLES)
    if not _is_index(mode) or mode > MODE_TRIANGLE_FAN:
        raise GlbFormatError(f"primitive mode {mode!r} is not one of 0..6")
    if "indices" in primitive:
        accessor = item(gltf, "accessors", primitive["indices"])
        if accessor.get("componentType") not in _INDEX_COMPONENT_TYPES:
            raise GlbFormatError(f"accessors[{primitive['indices']}] (indices) must be unsigned")
        indices = read_accessor(gltf, binary, primitive["indices"])[:, 0].astype(np.int64)
        if indices.size and int(indices.max()) >= vertex_count:
            raise GlbFormatError(
                f"accessors[{primitive['indices']}] references vertex {int(indices.max())} "
                f"but the primitive has {vertex_count}"
            )
    else:
        indices = np.arange(vertex_count, dtype=np.int64)
    if mode == MODE_TRIANGLES:
        usable = indices.size - indices.size % 3
        return indices[:usable].reshape(-1, 3)
    if mode == MODE_TRIANGLE_STRIP and indices.size >= 3:
        tri = np.stack([indices[:-2], indices[1:-1], indices[2:]], axis=1)
        tri[1::2] = tri[1::2][:, [1, 0, 2]]  # keep a consistent winding
        return tri
    if mode == MODE_TRIANGLE_FAN and indices.size >= 3:
        first = np.full(indices.size - 2, indices[0], dtype=np.int64)
        return np.stack([first, indices[1:-1], indices[2:]], axis=1)
    return np.zeros((0, 3), dtype=np.int64)


def transform_points(world: FloatArray, points: FloatArray) -> FloatArray:
    """Apply a 4x4 affine matrix to ``(n, 3)`` points."""
    result: FloatArray = points @ world[:3, :3].T + world[:3, 3]
    return result
