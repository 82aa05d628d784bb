"""Delivery textures (WebP, size cap) and measurements of plain and compressed GLBs."""

from __future__ import annotations

import io

from PIL import Image

from render_jobs.glb import read_glb
from render_jobs.gltf_stats import compute_stats
from render_jobs.ingest.measure import measure
from render_jobs.ingest.textures import WEBP_EXTENSION, webp_textures
from tests.unit.render_jobs.ingest.builders import png_bytes, textured_glb


def test_large_png_becomes_a_capped_webp_with_ext_texture_webp():
    # given a quad with a 512 x 256 PNG texture
    glb = textured_glb(png_bytes(512, 256))

    # when converted with a 128 px cap
    converted, changes = webp_textures(glb, max_px=128, quality=80)

    # then the image is a 128 x 64 WebP referenced through EXT_texture_webp
    gltf, binary = read_glb(converted)
    view = gltf["bufferViews"][gltf["images"][0]["bufferView"]]
    image = Image.open(
        io.BytesIO(binary[view["byteOffset"] : view["byteOffset"] + view["byteLength"]])
    )
    assert (image.format, image.size) == ("WEBP", (128, 64))
    assert gltf["textures"][0] == {"extensions": {WEBP_EXTENSION: {"source": 0}}}
    assert WEBP_EXTENSION in gltf["extensionsRequired"]
    assert changes[0].size_before == (512, 256)
    assert changes[0].size_after == (128, 64)
    assert compute_stats(converted).triangle_count == 2


def test_measure_reads_plain_glbs_exactly():
    # given a plain textured quad
    glb = textured_glb(png_bytes(64, 32))

    # when measured
    summary = measure(glb)

    # then counts, texture size and bounds are exact
    assert (summary.triangles, summary.vertices, summary.draw_calls) == (2, 4, 1)
    assert summary.max_texture_px == 64
    assert summary.bounds_max == (1.0, 1.0, 0.0)
    assert summary.compressed is False
