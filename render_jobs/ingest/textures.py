"""Delivery textures: WebP (``EXT_texture_webp``), at most N pixels a side.

The npm build of gltfpack has no WebP encoder (``-tw`` needs its native build), so images
are re-encoded here with Pillow before gltfpack compresses the geometry; gltfpack keeps them.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from typing import Any

from PIL import Image

from render_jobs.glb import read_glb, write_glb

WEBP_EXTENSION = "EXT_texture_webp"


@dataclass(frozen=True)
class TextureChange:
    """One image: pixel size and bytes before and after."""

    index: int
    size_before: tuple[int, int]
    size_after: tuple[int, int]
    bytes_before: int
    bytes_after: int
    mime_type: str


Encoded = tuple[bytes, tuple[int, int], tuple[int, int]]


def webp_textures(
    glb: bytes, max_px: int, quality: int, cache: dict[str, Encoded] | None = None
) -> tuple[bytes, list[TextureChange]]:
    """Re-encode every embedded image as WebP no larger than ``max_px``; an image whose WebP
    is not smaller and needs no resizing stays as it was. ``cache`` (by SHA-256 of the
    original image, size and quality) lets LODs that share images and sizes reuse encodings."""
    cache = {} if cache is None else cache
    gltf, binary = read_glb(glb)
    images = gltf.get("images", [])
    if not images:
        return glb, []
    views: list[dict[str, Any]] = gltf["bufferViews"]
    replaced: dict[int, bytes] = {}
    changes: list[TextureChange] = []
    for index, image in enumerate(images):
        view = views[image["bufferView"]]
        start = view.get("byteOffset", 0)
        original = binary[start : start + view["byteLength"]]
        digest = f"{hashlib.sha256(original).hexdigest()}:{max_px}:{quality}"
        if digest not in cache:
            cache[digest] = _encode(original, max_px, quality)
        encoded, before, after = cache[digest]
        if len(encoded) < len(original) or before != after:
            replaced[image["bufferView"]] = encoded
            image["mimeType"] = "image/webp"
        else:
            encoded = original
        changes.append(
            TextureChange(index, before, after, len(original), len(encoded), image["mimeType"])
        )
    out = bytearray()
    for view_index, view in enumerate(views):
        start = view.get("byteOffset", 0)
        data = replaced.get(view_index, binary[start : start + view["byteLength"]])
        out += b"\x00" * (-len(out) % 8)
        view["byteOffset"] = len(out)
        view["byteLength"] = len(data)
        out += data
    gltf["buffers"][0]["byteLength"] = len(out)
    _use_webp_extension(gltf)
    return write_glb(gltf, bytes(out)), changes


def _encode(data: bytes, max_px: int, quality: int) -> Encoded:
    with Image.open(io.BytesIO(data)) as opened:
        before = opened.size
        image = opened.convert("RGBA" if _has_alpha(opened) else "RGB")
    if max(before) > max_px:
        image.thumbnail((max_px, max_px), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    image.save(buffer, format="WEBP", quality=quality, method=4)
    return buffer.getvalue(), before, image.size


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in {"RGBA", "LA", "PA"} or (
        image.mode == "P" and "transparency" in image.info
    )


def _use_webp_extension(gltf: dict[str, Any]) -> None:
    images = gltf.get("images", [])
    used = False
    for texture in gltf.get("textures", []):
        source = texture.get("source")
        if isinstance(source, int) and images[source].get("mimeType") == "image/webp":
            texture.pop("source")
            texture.setdefault("extensions", {})[WEBP_EXTENSION] = {"source": source}
            used = True
        elif WEBP_EXTENSION in texture.get("extensions", {}):
            used = True
    if used:
        for key in ("extensionsUsed", "extensionsRequired"):
            names = gltf.setdefault(key, [])
            if WEBP_EXTENSION not in names:
                names.append(WEBP_EXTENSION)
