"""Small hand-made glTF assets for the render_jobs tests."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

SHARED_ASSETS = Path(__file__).resolve().parents[3].parent / "shared" / "assets"

# A right triangle in the XY plane, as float32 positions, then 3 uint16 indices (+2 pad bytes).
TRIANGLE_POSITIONS = ((0.0, 0.0, 0.0), (1.0, 0.0, 0.0), (0.0, 1.0, 0.0))


def triangle_asset(
    indices: tuple[int, ...] = (0, 1, 2), nodes: list[dict[str, Any]] | None = None
) -> tuple[dict[str, Any], bytes]:
    """glTF JSON + BIN for one indexed triangle mesh, drawn by ``nodes`` (default: one node)."""
    positions = b"".join(struct.pack("<3f", *p) for p in TRIANGLE_POSITIONS)
    index_bytes = struct.pack(f"<{len(indices)}H", *indices)
    index_bytes += b"\x00" * (-len(index_bytes) % 4)
    binary = positions + index_bytes
    nodes = nodes if nodes is not None else [{"mesh": 0}]
    gltf: dict[str, Any] = {
        "asset": {"version": "2.0"},
        "scene": 0,
        "scenes": [{"nodes": list(range(len(nodes)))}],
        "nodes": nodes,
        "meshes": [{"primitives": [{"attributes": {"POSITION": 0}, "indices": 1}]}],
        "buffers": [{"byteLength": len(binary)}],
        "bufferViews": [
            {"buffer": 0, "byteOffset": 0, "byteLength": len(positions)},
            {"buffer": 0, "byteOffset": len(positions), "byteLength": 2 * len(indices)},
        ],
        "accessors": [
            {"bufferView": 0, "componentType": 5126, "count": 3, "type": "VEC3",
             "min": [0.0, 0.0, 0.0], "max": [1.0, 1.0, 0.0]},
            {"bufferView": 1, "componentType": 5123, "count": len(indices), "type": "SCALAR"},
        ],
    }  # fmt: skip
    return gltf, binary


def raw_glb(
    json_bytes: bytes,
    chunks: tuple[tuple[int, bytes], ...] = (),
    *,
    magic: bytes = b"glTF",
    version: int = 2,
    length: int | None = None,
) -> bytes:
    """Assemble GLB bytes without any checks, so the header and chunk lengths may lie."""
    body = struct.pack("<I4s", len(json_bytes), b"JSON") + json_bytes
    for chunk_type, payload in chunks:
        body += struct.pack("<II", len(payload), chunk_type) + payload
    total = 12 + len(body) if length is None else length
    return struct.pack("<4sII", magic, version, total) + body
