"""Structural checks of glTF/GLB inputs and packing into one self-contained GLB.

Every reference is resolved inside the asset's folder (see ``paths``), every buffer is checked
against its declared length, images are sniffed and measured, vertex data must be finite, and
``render_jobs.gltf_stats.compute_stats`` then walks the scene with bounds-checked reads.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NoReturn

import numpy as np

from render_jobs.glb import GlbFormatError, read_glb, write_glb
from render_jobs.gltf_data import item, read_accessor
from render_jobs.gltf_stats import ModelStats, compute_stats
from render_jobs.ingest.errors import IngestRejected
from render_jobs.ingest.images import TEXTURE_KINDS, check_image
from render_jobs.ingest.params import IngestLimits
from render_jobs.ingest.paths import is_data_uri, resolve_reference

COMPRESSION_EXTENSIONS = frozenset({"KHR_draco_mesh_compression", "EXT_meshopt_compression"})
_FLOAT = 5126
_POINTER = re.compile(r"\b([A-Za-z]+)\[(\d+)\]")

ReadFile = Callable[[str, str], bytes]
"""(root-relative path, where) -> bytes; raises IngestRejected('missing-resource')."""


@dataclass(frozen=True)
class CheckedGltf:
    """A checked glTF asset packed as one GLB (all buffers and images embedded)."""

    glb: bytes
    stats: ModelStats
    texture_sizes: tuple[tuple[int, int], ...]


def pointer_from_message(message: str) -> str:
    """``'accessors[3] needs...'`` -> ``'/accessors/3'`` (``'/'`` when no index is named)."""
    found = _POINTER.search(message)
    return f"/{found.group(1)}/{found.group(2)}" if found else "/"


def structure_error(error: GlbFormatError) -> IngestRejected:
    """A ``GlbFormatError`` from the shared readers as a typed rejection."""
    message = str(error)
    check = "non-finite" if "NaN" in message else "gltf-structure"
    return IngestRejected(check, pointer_from_message(message), message)


def _reject_constant(name: str) -> NoReturn:
    raise ValueError(f"non-standard number {name}")


def parse_gltf_json(data: bytes) -> dict[str, Any]:
    """Strict JSON parse of a ``.gltf`` file."""
    try:
        gltf = json.loads(data.decode("utf-8-sig"), parse_constant=_reject_constant)
    except UnicodeDecodeError as error:
        raise IngestRejected("gltf-structure", "/", f"not UTF-8: {error.reason}") from error
    except json.JSONDecodeError as error:
        raise IngestRejected(
            "gltf-structure", "/", f"not valid JSON: {error.msg} at byte {error.pos}"
        ) from error
    except (ValueError, RecursionError) as error:
        raise IngestRejected("gltf-structure", "/", f"not valid JSON: {error}") from error
    if not isinstance(gltf, dict):
        raise IngestRejected("gltf-structure", "/", "the top level must be a JSON object")
    return gltf


def read_container(data: bytes) -> tuple[dict[str, Any], bytes]:
    """``read_glb`` with its errors typed as ``glb-container`` rejections."""
    try:
        return read_glb(data)
    except GlbFormatError as error:
        raise IngestRejected("glb-container", "header", str(error)) from error


def check_gltf(
    gltf: dict[str, Any],
    glb_binary: bytes | None,
    base_dir: str,
    read_file: ReadFile,
    limits: IngestLimits,
) -> CheckedGltf:
    """Check a glTF asset (from a ``.gltf`` file, or a GLB with its BIN chunk) and pack it."""
    _check_header(gltf)
    buffers = _load_buffers(gltf, glb_binary, base_dir, read_file, limits)
    packed, binary, sizes = _pack(gltf, buffers, base_dir, read_file, limits)
    _check_finite(packed, binary)
    glb = write_glb(packed, binary)
    try:
        stats = compute_stats(glb)
    except GlbFormatError as error:
        raise structure_error(error) from error
    if stats.triangle_count > limits.max_triangles:
        raise IngestRejected(
            "complexity-limit",
            "/meshes",
            f"{stats.triangle_count} triangles; the limit is {limits.max_triangles}",
        )
    if stats.vertex_count > limits.max_vertices:
        raise IngestRejected(
            "complexity-limit",
            "/meshes",
            f"{stats.vertex_count} vertices; the limit is {limits.max_vertices}",
        )
    if stats.triangle_count == 0:
        raise IngestRejected("empty-geometry", "/scenes", "the default scene draws no triangles")
    return CheckedGltf(glb=glb, stats=stats, texture_sizes=tuple(sizes))


def _check_header(gltf: dict[str, Any]) -> None:
    asset = gltf.get("asset")
    version = asset.get("version") if isinstance(asset, dict) else None
    if not isinstance(version, str) or not version.startswith("2."):
        raise IngestRejected(
            "gltf-structure", "/asset/version", f"glTF version {version!r}; only 2.x is read"
        )
    for key in ("extensionsUsed", "extensionsRequired"):
        names = gltf.get(key, [])
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise IngestRejected("gltf-structure", f"/{key}", "must be an array of strings")
        compressed = sorted(set(names) & COMPRESSION_EXTENSIONS)
        if compressed:
            raise IngestRejected(
                "unsupported-format",
                f"/{key}",
                f"compressed geometry ({', '.join(compressed)}) is not accepted; "
                "upload the uncompressed model",
            )


def _array(gltf: dict[str, Any], key: str) -> list[Any]:
    value = gltf.get(key, [])
    if not isinstance(value, list):
        raise IngestRejected("gltf-structure", f"/{key}", "must be an array")
    return value


def _decode_data_uri(uri: str, where: str, limit: int) -> bytes:
    header, _, payload = uri.partition(",")
    if not header.endswith(";base64"):
        raise IngestRejected("gltf-structure", where, "data URIs must be base64-encoded")
    if len(payload) * 3 // 4 > limit:
        raise IngestRejected("size-limit", where, f"embedded data is larger than {limit} bytes")
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError) as error:
        raise IngestRejected("gltf-structure", where, f"bad base64 data: {error}") from error


def _fetch(
    uri: object, where: str, base_dir: str, read_file: ReadFile, limits: IngestLimits
) -> bytes:
    if not isinstance(uri, str):
        raise IngestRejected("gltf-structure", where, "uri must be a string")
    if is_data_uri(uri):
        return _decode_data_uri(uri, where, limits.max_input_bytes)
    return read_file(resolve_reference(base_dir, uri, where, uri=True), where)


def _load_buffers(
    gltf: dict[str, Any],
    glb_binary: bytes | None,
    base_dir: str,
    read_file: ReadFile,
    limits: IngestLimits,
) -> list[bytes]:
    loaded: list[bytes] = []
    for index, buffer in enumerate(_array(gltf, "buffers")):
        where = f"/buffers/{index}"
        if not isinstance(buffer, dict):
            raise IngestRejected("gltf-structure", where, "must be an object")
        declared = buffer.get("byteLength")
        if not isinstance(declared, int) or isinstance(declared, bool) or declared < 1:
            raise IngestRejected("gltf-structure", where, "byteLength must be a positive integer")
        if "uri" in buffer:
            data = _fetch(buffer["uri"], f"{where}/uri", base_dir, read_file, limits)
            source = f"its file holds {len(data)}"
        elif index == 0 and glb_binary is not None:
            data, source = glb_binary, f"the BIN chunk holds {len(glb_binary)}"
        else:
            raise IngestRejected("gltf-structure", where, "has no uri and no GLB BIN chunk")
        if declared > len(data):
            raise IngestRejected("gltf-structure", where, f"declares {declared} bytes but {source}")
        loaded.append(data[:declared])
    return loaded


def _pack(
    gltf: dict[str, Any],
    buffers: list[bytes],
    base_dir: str,
    read_file: ReadFile,
    limits: IngestLimits,
) -> tuple[dict[str, Any], bytes, list[tuple[int, int]]]:
    packed = json.loads(json.dumps(gltf))
    out = bytearray()
    bases: list[int] = []
    for data in buffers:
        out += b"\x00" * (-len(out) % 8)
        bases.append(len(out))
        out += data
    views = _array(packed, "bufferViews")
    for index, view in enumerate(views):
        where = f"/bufferViews/{index}"
        if not isinstance(view, dict):
            raise IngestRejected("gltf-structure", where, "must be an object")
        buffer = view.get("buffer")
        if not isinstance(buffer, int) or isinstance(buffer, bool) or not 0 <= buffer < len(bases):
            raise IngestRejected("gltf-structure", where, f"buffer {buffer!r} does not exist")
        offset, length = view.get("byteOffset", 0), view.get("byteLength")
        if not _is_count(offset) or not _is_count(length):
            raise IngestRejected("gltf-structure", where, "byteOffset/byteLength are invalid")
        if offset + length > len(buffers[buffer]):
            raise IngestRejected(
                "gltf-structure",
                where,
                f"spans bytes {offset}..{offset + length} but buffers[{buffer}] holds "
                f"{len(buffers[buffer])}",
            )
        view["buffer"] = 0
        view["byteOffset"] = bases[buffer] + offset
    sizes: list[tuple[int, int]] = []
    for index, image in enumerate(_array(packed, "images")):
        where = f"/images/{index}"
        if not isinstance(image, dict):
            raise IngestRejected("gltf-structure", where, "must be an object")
        if "uri" in image:
            data = _fetch(image.pop("uri"), f"{where}/uri", base_dir, read_file, limits)
            out += b"\x00" * (-len(out) % 8)
            image["bufferView"] = len(views)
            views.append({"buffer": 0, "byteOffset": len(out), "byteLength": len(data)})
            out += data
        elif "bufferView" in image:
            try:
                view = item(packed, "bufferViews", image["bufferView"])
            except GlbFormatError as error:
                raise IngestRejected("gltf-structure", where, str(error)) from error
            start = view["byteOffset"]
            data = bytes(out[start : start + view["byteLength"]])
        else:
            raise IngestRejected("gltf-structure", where, "has neither uri nor bufferView")
        kind, width, height = check_image(data, where, limits.max_texture_px)
        image["mimeType"] = TEXTURE_KINDS[kind]
        sizes.append((width, height))
    if views:
        packed["bufferViews"] = views
    if out:
        packed["buffers"] = [{"byteLength": len(out)}]
    else:
        packed.pop("buffers", None)
    return packed, bytes(out), sizes


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _check_finite(gltf: dict[str, Any], binary: bytes) -> None:
    for index, accessor in enumerate(_array(gltf, "accessors")):
        if not isinstance(accessor, dict) or accessor.get("componentType") != _FLOAT:
            continue
        try:
            values = read_accessor(gltf, binary, index)
        except GlbFormatError as error:
            raise structure_error(error) from error
        if values.size and not np.isfinite(values).all():
            bad = int(np.argwhere(~np.isfinite(values))[0][0])
            raise IngestRejected(
                "non-finite",
                f"/accessors/{index}",
                f"element {bad} holds NaN or infinite values ({_describe(values[bad].tolist())})",
            )
        for key in ("min", "max"):
            bound = accessor.get(key)
            if isinstance(bound, list) and not all(
                isinstance(v, int | float) and math.isfinite(v) for v in bound
            ):
                raise IngestRejected(
                    "non-finite", f"/accessors/{index}/{key}", "bounds must be finite numbers"
                )


def _describe(values: list[float]) -> str:
    return ", ".join(str(v) for v in values)
