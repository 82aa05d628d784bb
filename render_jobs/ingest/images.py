"""Texture checks: real image formats only, with bounded dimensions."""

from __future__ import annotations

import io
import warnings

from PIL import Image

from render_jobs.ingest.errors import IngestRejected
from render_jobs.ingest.sniff import Kind, describe, sniff

TEXTURE_KINDS = {Kind.PNG: "image/png", Kind.JPEG: "image/jpeg", Kind.WEBP: "image/webp"}


def check_image(data: bytes, where: str, max_px: int) -> tuple[Kind, int, int]:
    """Sniff and measure an image from its header only (nothing is decoded)."""
    kind = sniff(data[:64], len(data))
    if kind is Kind.KTX2:
        raise IngestRejected(
            "unsupported-format", where, "KTX2/Basis textures are not supported yet"
        )
    if kind not in TEXTURE_KINDS:
        raise IngestRejected(
            "texture", where, f"the image is {describe(kind)}; use PNG, JPEG or WebP"
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
    except (OSError, ValueError, Image.DecompressionBombError, Warning) as error:
        raise IngestRejected("texture", where, f"the image cannot be read: {error}") from error
    if width > max_px or height > max_px:
        raise IngestRejected(
            "texture", where, f"{width}x{height} px is larger than the {max_px} px limit"
        )
    return kind, width, height


def image_size(data: bytes) -> tuple[int, int]:
    """Pixel size of an image, from its header; (0, 0) when unreadable."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            return image.size
    except (OSError, ValueError, Image.DecompressionBombError):
        return (0, 0)
