"""Small in-memory inputs for the ingest tests: textured glTF, PNG images, ZIP archives."""

from __future__ import annotations

import io
import json
import struct
import zipfile
from typing import Any

from PIL import Image

from render_jobs.glb import write_glb


def png_bytes(
    width: int = 8, height: int = 8, colour: tuple[int, int, int] = (200, 30, 30)
) -> bytes:
    """A real PNG image."""
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, format="PNG")
    return buffer.getvalue()


def textured_quad(
    image: bytes | None = None, *, uri: str | None = None
) -> tuple[dict[str, Any], bytes]:
    """glTF JSON + BIN: a 1 x 1 quad in the XY plane with UVs and a base-colour texture that
    is embedded (``image``) or referenced (``uri``)."""
    positions = [(0.0, 0.0, 0.0), (1.0, 0.0, 0.0), (1.0, 1.0, 0.0), (0.0, 1.0, 0.0)]
    uvs = [(0.0, 1.0), (1.0, 1.0), (1.0, 0.0), (0.0, 0.0)]
    binary = b"".join(struct.pack("<3f", *p) for p in positions)
    uv_offset = len(binary)
    binary += b"".join(struct.pack("<2f", *t) for t in uvs)
    index_offset = len(binary)
    binary += struct.pack("<6H", 0, 1, 2, 0, 2, 3) + b"\x00\x00"
    views: list[dict[str, Any]] = [
        {"buffer": 0, "byteOffset": 0, "byteLength": 48},
        {"buffer": 0, "byteOffset": uv_offset, "byteLength": 32},
        {"buffer": 0, "byteOffset": index_offset, "byteLength": 12},
    ]
    gltf_image: dict[str, Any] = {}
    if image is not None:
        views.append({"buffer": 0, "byteOffset": len(binary), "byteLength": len(image)})
        binary += image + b"\x00" * (-len(image) % 4)
        gltf_image = {"bufferView": 3, "mimeType": "image/png"}
    elif uri is not None:
        gltf_image = {"uri": uri}
    gltf: dict[str, Any] = {
        "asset": {"version": "2.0"},
        "scene": 0,
        "scenes": [{"nodes": [0]}],
        "nodes": [{"mesh": 0}],
        "meshes": [{"primitives": [{"attributes": {"POSITION": 0, "TEXCOORD_0": 1}, "indices": 2, "material": 0}]}],
        "materials": [{"pbrMetallicRoughness": {"baseColorTexture": {"index": 0}, "metallicFactor": 0.0}}],
        "textures": [{"source": 0}],
        "images": [gltf_image],
        "buffers": [{"byteLength": len(binary)}],
        "bufferViews": views,
        "accessors": [
            {"bufferView": 0, "componentType": 5126, "count": 4, "type": "VEC3", "min": [0, 0, 0], "max": [1, 1, 0]},
            {"bufferView": 1, "componentType": 5126, "count": 4, "type": "VEC2"},
            {"bufferView": 2, "componentType": 5123, "count": 6, "type": "SCALAR"},
        ],
    }  # fmt: skip
    return gltf, binary


def textured_glb(image: bytes | None = None) -> bytes:
    """The textured quad as one GLB (an 8 x 8 PNG by default)."""
    return write_glb(*textured_quad(image if image is not None else png_bytes()))


def gltf_json(gltf: dict[str, Any]) -> bytes:
    """``.gltf`` file bytes."""
    return json.dumps(gltf).encode()


def zip_bytes(members: dict[str, bytes], *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    """A ZIP archive of ``members``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()
