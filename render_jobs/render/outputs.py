"""Encoding rendered frames: PNG and WebP posters, sprite sheets and animated WebP."""

from __future__ import annotations

import io
import math

import numpy as np
import numpy.typing as npt
from PIL import Image

RGBA8 = npt.NDArray[np.uint8]

PNG_TYPE = "image/png"
WEBP_TYPE = "image/webp"


def png_bytes(frame: RGBA8) -> bytes:
    """Lossless RGBA PNG."""
    buffer = io.BytesIO()
    Image.fromarray(frame, "RGBA").save(buffer, format="PNG", compress_level=6)
    return buffer.getvalue()


def webp_bytes(frame: RGBA8, quality: int = 90) -> bytes:
    """Lossy WebP with a lossless alpha plane."""
    buffer = io.BytesIO()
    Image.fromarray(frame, "RGBA").save(buffer, format="WEBP", quality=quality, method=4)
    return buffer.getvalue()


def sheet_grid(frames: int) -> tuple[int, int]:
    """Columns and rows of the sprite sheet for ``frames`` frames (as square as possible)."""
    columns = math.ceil(math.sqrt(frames))
    return columns, math.ceil(frames / columns)


def sprite_sheet(frames: list[RGBA8]) -> RGBA8:
    """Frames laid out left to right, top to bottom; unused cells stay transparent."""
    if not frames:
        raise ValueError("a sprite sheet needs at least one frame")
    height, width = frames[0].shape[:2]
    columns, rows = sheet_grid(len(frames))
    sheet = np.zeros((rows * height, columns * width, 4), dtype=np.uint8)
    for index, frame in enumerate(frames):
        row, column = divmod(index, columns)
        sheet[row * height : (row + 1) * height, column * width : (column + 1) * width] = frame
    return sheet


def animated_webp(frames: list[RGBA8], frame_ms: int = 80, quality: int = 80) -> bytes:
    """A looping animated WebP of the frames."""
    if not frames:
        raise ValueError("an animation needs at least one frame")
    images = [Image.fromarray(frame, "RGBA") for frame in frames]
    buffer = io.BytesIO()
    images[0].save(
        buffer,
        format="WEBP",
        save_all=True,
        append_images=images[1:],
        duration=frame_ms,
        loop=0,
        quality=quality,
        method=4,
    )
    return buffer.getvalue()
