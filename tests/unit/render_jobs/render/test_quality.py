"""SSIM of posters: the optimized LOD 0 against its master, and what a real defect scores."""

from __future__ import annotations

import numpy as np
import pytest
import trimesh

from render_jobs.ingest.textures import webp_textures
from render_jobs.render.quality import poster_similarity, ssim_of_frames
from tests.unit.render_jobs.render.conftest import shared_asset

SIZE = 256


def _scaled(glb: bytes, factor: float) -> bytes:
    """The same model with its geometry scaled (the camera fits it: only proportions change
    when one axis is stretched)."""
    scene = trimesh.load(trimesh.util.wrap_as_stream(glb), file_type="glb", process=False)
    scene.apply_transform(np.diag([factor, 1.0, 1.0, 1.0]))
    exported: bytes = scene.export(file_type="glb")
    return exported


def test_identical_frames_score_one_and_shapes_must_match() -> None:
    frame = np.random.default_rng(7).integers(0, 256, (32, 32, 4), dtype=np.uint8)
    assert ssim_of_frames(frame, frame) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="differ in shape"):
        ssim_of_frames(frame, frame[:16])


def test_webp_delivery_textures_keep_the_poster_and_a_distortion_does_not(renderer) -> None:
    # given a real textured model, its LOD 0 with WebP delivery textures, and a stretched copy
    master = shared_asset("WaterBottle.glb")
    webp, changes = webp_textures(master, 2048, 85)
    stretched = _scaled(master, 1.6)

    # when their posters are compared with the master's
    same = poster_similarity(renderer, master, master, SIZE)
    delivered = poster_similarity(renderer, master, webp, SIZE)
    distorted = poster_similarity(renderer, master, stretched, SIZE)

    # then the master matches itself, the WebP LOD 0 is above the 0.98 bar while its textures
    # shrank, and the distortion scores clearly lower
    assert same.ssim == pytest.approx(1.0, abs=1e-6)
    assert sum(c.bytes_after for c in changes) < sum(c.bytes_before for c in changes)
    assert delivered.meets_target, delivered
    assert distorted.ssim < delivered.ssim - 0.05, (distorted, delivered)
    assert not distorted.meets_target
