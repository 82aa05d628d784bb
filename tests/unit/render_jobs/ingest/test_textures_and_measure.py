"""Delivery textures (WebP, size cap) and measurements of plain and compressed GLBs."""

from __future__ import annotations

import io

from PIL import Image

from render_jobs.glb import read_glb
from render_jobs.gltf_stats import compute_stats
from render_jobs.ingest import IngestParams
from render_jobs.ingest.measure import measure
from render_jobs.ingest.textures import WEBP_EXTENSION, Encoded, webp_textures
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


def test_each_level_gets_its_own_size_from_a_shared_cache():
    # given LOD 0 and LOD 2 of one model sharing a 512 x 512 texture, and one encoding cache
    glb = textured_glb(png_bytes(512, 512))
    params = IngestParams(delivery_texture_px=512, min_lod_texture_px=64)
    cache: dict[str, Encoded] = {}

    # when each level's delivery textures are made
    _, lod0 = webp_textures(glb, params.texture_px(0), 80, cache)
    _, lod2 = webp_textures(glb, params.texture_px(2), 80, cache)
    _, lod2_again = webp_textures(glb, params.texture_px(2), 80, cache)

    # then LOD 2 is a quarter of the side of LOD 0, and the repeat is served from the cache
    assert (lod0[0].size_after, lod2[0].size_after) == ((512, 512), (128, 128))
    assert lod2[0].bytes_after < lod0[0].bytes_after
    assert len(cache) == 2
    assert lod2_again == lod2


def test_texture_sizes_halve_per_level_down_to_the_floor():
    assert [IngestParams().texture_px(n) for n in range(5)] == [2048, 1024, 512, 256, 256]
    small = IngestParams(delivery_texture_px=200)
    assert [small.texture_px(n) for n in range(3)] == [200, 200, 200]


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
