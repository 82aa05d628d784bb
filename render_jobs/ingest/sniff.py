"""What a file really is, from its first bytes (never from its name)."""

from __future__ import annotations

import struct
from enum import StrEnum
from pathlib import PurePosixPath


class Kind(StrEnum):
    """Content kinds the ingest pipeline tells apart."""

    GLB = "glb"
    GLTF = "gltf"
    OBJ = "obj"
    MTL = "mtl"
    STL_BINARY = "stl-binary"
    STL_ASCII = "stl-ascii"
    ZIP = "zip"
    USDZ = "usdz"
    USD = "usd"
    PNG = "png"
    JPEG = "jpeg"
    WEBP = "webp"
    GIF = "gif"
    KTX2 = "ktx2"
    GZIP = "gzip"
    PDF = "pdf"
    EMPTY = "empty"
    UNKNOWN = "unknown"


MODEL_KINDS = frozenset({Kind.GLB, Kind.GLTF, Kind.OBJ, Kind.STL_BINARY, Kind.STL_ASCII})
IMAGE_KINDS = frozenset({Kind.PNG, Kind.JPEG, Kind.WEBP, Kind.GIF, Kind.KTX2})
MODEL_SUFFIXES = {".glb": Kind.GLB, ".gltf": Kind.GLTF, ".obj": Kind.OBJ, ".stl": Kind.STL_BINARY}

_MAGICS: tuple[tuple[bytes, Kind], ...] = (
    (b"glTF", Kind.GLB),
    (b"\x89PNG\r\n\x1a\n", Kind.PNG),
    (b"\xff\xd8\xff", Kind.JPEG),
    (b"GIF87a", Kind.GIF),
    (b"GIF89a", Kind.GIF),
    (b"\xabKTX 20\xbb\r\n\x1a\n", Kind.KTX2),
    (b"\x1f\x8b", Kind.GZIP),
    (b"%PDF-", Kind.PDF),
    (b"PXR-USDC", Kind.USD),
    (b"#usda", Kind.USD),
)
_OBJ_KEYWORDS = frozenset(
    {b"v", b"vt", b"vn", b"vp", b"f", b"l", b"p", b"o", b"g", b"s", b"usemtl", b"mtllib"}
)
_MTL_KEYWORDS = frozenset({b"newmtl"})


def describe(kind: Kind) -> str:
    """A phrase for messages: 'a PNG image', 'a binary STL mesh'..."""
    return {
        Kind.GLB: "a binary glTF (GLB) model",
        Kind.GLTF: "a glTF JSON model",
        Kind.OBJ: "a Wavefront OBJ model",
        Kind.MTL: "a Wavefront MTL material library",
        Kind.STL_BINARY: "a binary STL mesh",
        Kind.STL_ASCII: "an ASCII STL mesh",
        Kind.ZIP: "a ZIP archive",
        Kind.USDZ: "a USDZ package",
        Kind.USD: "a USD layer",
        Kind.PNG: "a PNG image",
        Kind.JPEG: "a JPEG image",
        Kind.WEBP: "a WebP image",
        Kind.GIF: "a GIF image",
        Kind.KTX2: "a KTX2 texture",
        Kind.GZIP: "a gzip-compressed file",
        Kind.PDF: "a PDF document",
        Kind.EMPTY: "an empty file",
        Kind.UNKNOWN: "unrecognised content",
    }[kind]


def sniff(head: bytes, size: int) -> Kind:
    """Classify content from its first bytes (``head``, at least 4 KiB when available) and
    its total ``size``."""
    if size == 0:
        return Kind.EMPTY
    for magic, kind in _MAGICS:
        if head.startswith(magic):
            return kind
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return Kind.WEBP
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return _zip_kind(head)
    if size >= 84 and 84 + 50 * struct.unpack_from("<I", head, 80)[0] == size:
        return Kind.STL_BINARY  # the size formula, since many binary headers say "solid"
    return _text_kind(head)


def _zip_kind(head: bytes) -> Kind:
    # A USDZ package is a zip whose first member is a USD layer (USDZ spec, "Layout").
    if head[:4] == b"PK\x03\x04" and len(head) >= 30:
        name_length = struct.unpack_from("<H", head, 26)[0]
        first = head[30 : 30 + name_length].decode("utf-8", "replace").lower()
        if PurePosixPath(first).suffix in {".usd", ".usda", ".usdc"}:
            return Kind.USDZ
    return Kind.ZIP


def _text_kind(head: bytes) -> Kind:
    if b"\x00" in head:
        return Kind.UNKNOWN
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith(b"{"):
        return Kind.GLTF
    if text.startswith(b"solid") and b"facet" in head:
        return Kind.STL_ASCII
    keywords = [
        line.split(maxsplit=1)[0]
        for line in head.splitlines()[:-1] or head.splitlines()
        if line.strip() and not line.lstrip().startswith(b"#")
    ]
    if keywords and keywords[0] in _MTL_KEYWORDS:
        return Kind.MTL
    known = [k for k in keywords[:50] if k in _OBJ_KEYWORDS]
    if keywords and len(known) >= max(1, len(keywords[:50]) // 2):
        return Kind.OBJ
    return Kind.UNKNOWN


def kind_for_suffix(name: str) -> Kind | None:
    """The model kind a file name claims, if any."""
    return MODEL_SUFFIXES.get(PurePosixPath(name).suffix.lower())
