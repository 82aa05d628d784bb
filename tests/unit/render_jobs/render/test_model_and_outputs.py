"""Model extraction, sRGB encoding and output files (no GL needed)."""

from __future__ import annotations

import io
import math

import numpy as np
import pytest
from PIL import Image

from render_jobs.glb import GlbFormatError, write_glb
from render_jobs.render import load_model
from render_jobs.render.model import _uv_transform
from render_jobs.render.outputs import (
    animated_webp,
    png_bytes,
    sheet_grid,
    sprite_sheet,
    webp_bytes,
)
from render_jobs.render.renderer import to_srgb8


def test_model_keeps_variant_mappings_and_bounds(demo_glbs):
    # given the demo armchair (three leather variants)
    data = load_model(demo_glbs["lounge-armchair"][1])

    # then its variants are listed, some primitive maps each variant, bounds sit on the floor
    assert data.variants == ("Cognac Leather", "Black Leather", "Tan Leather")
    mapped = {v for p in data.primitives for v in p.variant_materials}
    assert mapped == {0, 1, 2}
    assert data.bounds_min[1] == pytest.approx(0.0, abs=1e-4)
    assert data.triangles == sum(p.indices.size // 3 for p in data.primitives)


def test_a_scene_without_triangles_is_refused():
    # given a GLB with no meshes
    glb = write_glb({"asset": {"version": "2.0"}, "scenes": [{"nodes": []}], "scene": 0})

    # when loading it
    # then the reason is given
    with pytest.raises(GlbFormatError, match="draws no triangles"):
        load_model(glb)


def test_texture_transform_maps_uv_like_the_extension():
    # given a transform with offset, quarter-turn rotation and scale
    info = {
        "extensions": {
            "KHR_texture_transform": {
                "offset": [0.5, 0.25],
                "rotation": math.pi / 2,
                "scale": [2, 3],
            }
        }
    }

    # when applied to uv (1, 0)
    matrix = np.array(_uv_transform(info)).reshape(3, 3)
    u, v, _ = matrix @ np.array([1.0, 0.0, 1.0])

    # then it is scaled, rotated by the extension's convention, then offset
    assert (u, v) == pytest.approx((0.5, 0.25 - 2.0))


def test_linear_premultiplied_becomes_straight_srgb():
    # given premultiplied linear pixels: transparent, half-covered white, opaque mid-grey
    pixels = np.array(
        [[[0, 0, 0, 0], [0.5, 0.5, 0.5, 0.5], [0.2159, 0.2159, 0.2159, 1]]], dtype=np.float32
    )

    # when encoded
    out = to_srgb8(pixels)

    # then alpha is straight and colour sRGB-encoded (linear 0.2159 is sRGB 128)
    assert out.tolist() == [[[0, 0, 0, 0], [255, 255, 255, 128], [128, 128, 128, 255]]]


def test_sprite_sheet_layout_and_animation_frames():
    # given 10 distinct 16x16 frames
    frames = [np.full((16, 16, 4), (i * 20, 0, 0, 255), dtype=np.uint8) for i in range(10)]

    # when laid out and animated
    sheet = sprite_sheet(frames)
    animation = Image.open(io.BytesIO(animated_webp(frames)))

    # then the sheet is 4 columns by 3 rows, frame 5 sits at row 1 column 1, the spare cells
    # are transparent, and the WebP holds the 10 frames
    assert sheet_grid(10) == (4, 3)
    assert sheet.shape == (48, 64, 4)
    assert sheet[16 + 8, 16 + 8].tolist() == [100, 0, 0, 255]
    assert sheet[40, 40, 3] == 0
    assert animation.format == "WEBP"
    assert animation.n_frames == 10


def test_png_and_webp_keep_size_and_alpha():
    # given a half-transparent frame
    frame = np.zeros((32, 32, 4), dtype=np.uint8)
    frame[8:24, 8:24] = (200, 100, 50, 255)

    # when encoded
    png = Image.open(io.BytesIO(png_bytes(frame)))
    webp = Image.open(io.BytesIO(webp_bytes(frame)))

    # then both are 32x32 with an alpha channel and a transparent corner
    assert (png.format, png.mode, png.size) == ("PNG", "RGBA", (32, 32))
    assert (webp.format, webp.size) == ("WEBP", (32, 32))
    assert np.asarray(webp.convert("RGBA"))[0, 0, 3] == 0
    assert np.array_equal(np.asarray(png), frame)


def test_an_empty_sheet_is_refused():
    # given no frames
    # when building a sheet or an animation
    # then it is refused
    with pytest.raises(ValueError, match="at least one frame"):
        sprite_sheet([])
    with pytest.raises(ValueError, match="at least one frame"):
        animated_webp([])
