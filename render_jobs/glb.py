"""Binary glTF (GLB) container: strict reader and deterministic writer.

Layout (glTF 2.0, section 4.4): a 12-byte header (magic ``glTF``, version, total length),
then a JSON chunk padded with spaces to 4 bytes, then an optional BIN chunk padded with
zeros. Chunk headers are ``uint32 length`` + ``uint32 type``; everything is little-endian.
"""

from __future__ import annotations

import json
import struct
from typing import Any, NoReturn

GLB_MAGIC = b"glTF"
GLB_VERSION = 2
CHUNK_JSON = 0x4E4F534A  # b"JSON" read as little-endian uint32
CHUNK_BIN = 0x004E4942  # b"BIN\0" read as little-endian uint32

_HEADER = struct.Struct("<4sII")
_CHUNK_HEADER = struct.Struct("<II")


class GlbFormatError(ValueError):
    """The bytes are not a well-formed GLB (or its glTF content is inconsistent)."""


def _reject_constant(name: str) -> NoReturn:
    raise GlbFormatError(f"JSON chunk contains the non-standard number {name}")


def read_glb(data: bytes) -> tuple[dict[str, Any], bytes]:
    """Parse a GLB container into its glTF JSON object and BIN chunk (``b""`` if none).

    Raises ``GlbFormatError`` with a human-readable reason on any container-level defect.
    """
    size = len(data)
    if size == 0:
        raise GlbFormatError("file is empty")
    if size < _HEADER.size:
        raise GlbFormatError(f"file is {size} bytes, shorter than the 12-byte GLB header")
    magic, version, declared = _HEADER.unpack_from(data, 0)
    if magic != GLB_MAGIC:
        raise GlbFormatError(f"bad magic {magic!r}, expected {GLB_MAGIC!r}")
    if version != GLB_VERSION:
        raise GlbFormatError(f"unsupported GLB version {version}, expected {GLB_VERSION}")
    if declared > size:
        raise GlbFormatError(
            f"truncated: header declares {declared} bytes but the file has only {size}"
        )
    if declared < size:
        raise GlbFormatError(
            f"length mismatch: header declares {declared} bytes but the file has {size}"
        )
    chunks = _read_chunks(data, size)
    if not chunks or chunks[0][0] != CHUNK_JSON:
        raise GlbFormatError("the first chunk must be the JSON chunk")
    gltf = _parse_json(chunks[0][1])
    binary = b""
    for position, (chunk_type, payload) in enumerate(chunks[1:], start=1):
        if chunk_type == CHUNK_JSON:
            raise GlbFormatError("more than one JSON chunk")
        if chunk_type == CHUNK_BIN:
            if position != 1:
                raise GlbFormatError("the BIN chunk must directly follow the JSON chunk")
            binary = payload
        # Chunks of unknown type must be ignored (glTF 2.0, 4.4.3.1).
    return gltf, binary


def _read_chunks(data: bytes, size: int) -> list[tuple[int, bytes]]:
    chunks: list[tuple[int, bytes]] = []
    offset = _HEADER.size
    while offset < size:
        index = len(chunks)
        if size - offset < _CHUNK_HEADER.size:
            raise GlbFormatError(f"truncated: chunk {index} header is cut off at byte {offset}")
        length, chunk_type = _CHUNK_HEADER.unpack_from(data, offset)
        offset += _CHUNK_HEADER.size
        if length > size - offset:
            raise GlbFormatError(
                f"chunk overflow: chunk {index} declares {length} bytes "
                f"but only {size - offset} remain in the file"
            )
        if length % 4:
            raise GlbFormatError(f"chunk {index} length {length} is not a multiple of 4")
        chunks.append((chunk_type, bytes(data[offset : offset + length])))
        offset += length
    return chunks


def _parse_json(payload: bytes) -> dict[str, Any]:
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise GlbFormatError(f"JSON chunk is not valid UTF-8: {exc.reason}") from exc
    try:
        gltf = json.loads(text.rstrip(" \x00"), parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise GlbFormatError(f"JSON chunk is not valid JSON: {exc.msg} at {exc.pos}") from exc
    except RecursionError as exc:
        raise GlbFormatError("JSON chunk is nested too deeply") from exc
    if not isinstance(gltf, dict):
        raise GlbFormatError("JSON chunk must hold a JSON object")
    return gltf


def _pad(payload: bytes, fill: bytes) -> bytes:
    return payload + fill * (-len(payload) % 4)


def write_glb(gltf: dict[str, Any], binary: bytes = b"") -> bytes:
    """Serialise glTF JSON (compact, key order kept) and a BIN payload into GLB bytes.

    The caller keeps ``buffers[0].byteLength`` equal to ``len(binary)``; the BIN chunk is
    omitted when ``binary`` is empty.
    """
    text = json.dumps(gltf, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    json_chunk = _pad(text.encode("utf-8"), b" ")
    body = _CHUNK_HEADER.pack(len(json_chunk), CHUNK_JSON) + json_chunk
    if binary:
        bin_chunk = _pad(binary, b"\x00")
        body += _CHUNK_HEADER.pack(len(bin_chunk), CHUNK_BIN) + bin_chunk
    return _HEADER.pack(GLB_MAGIC, GLB_VERSION, _HEADER.size + len(body)) + body
