"""Normalisation of glTF inputs: a wrapping root node, metres, +Y up, centred, on the floor,
with materials and variants untouched."""

from __future__ import annotations

from pathlib import Path

import pytest

from render_jobs.glb import read_glb, write_glb
from render_jobs.gltf_stats import compute_stats
from render_jobs.ingest.normalize import WRAPPER_NAME, guess_unit_scale, normalize
from render_jobs.ingest.params import IngestParams
from render_jobs.ingest.sniff import Kind
from render_jobs.ingest.validate import ValidatedInput
from render_jobs.procedural import DEMO_RECIPES, build_glb
from tests.unit.render_jobs.ingest.builders import textured_quad


def _validated(glb: bytes) -> ValidatedInput:
    return ValidatedInput(Kind.GLB, Path("."), "m.glb", glb=glb, stats=compute_stats(glb))


def _moved(translation: list[float]) -> bytes:
    gltf, binary = textured_quad()
    del gltf["images"], gltf["textures"]
    gltf["materials"] = [{"name": "red"}]
    gltf["nodes"][0]["translation"] = translation
    return write_glb(gltf, binary)


def test_gltf_is_centred_on_x_z_and_put_on_the_floor_by_a_wrapping_node():
    # given a quad from (5, 2, -3) to (6, 3, -3)
    glb = _moved([5.0, 2.0, -3.0])

    # when normalised
    result = normalize(_validated(glb), IngestParams())

    # then it is centred and on the floor, under one new root node, geometry bytes unchanged
    assert result.stats.bounds_min == pytest.approx((-0.5, 0.0, 0.0))
    assert result.stats.bounds_max == pytest.approx((0.5, 1.0, 0.0))
    gltf, binary = read_glb(result.glb)
    assert gltf["nodes"][-1]["name"] == WRAPPER_NAME
    assert gltf["scenes"][0]["nodes"] == [len(gltf["nodes"]) - 1]
    assert binary == read_glb(glb)[1]
    assert gltf["materials"] == [{"name": "red"}]


def test_z_up_and_millimetres_become_y_up_metres():
    # given a quad standing in the XY plane, read as Z-up millimetres
    glb = _moved([0.0, 0.0, 0.0])

    # when normalised
    result = normalize(_validated(glb), IngestParams(up_axis="z", unit_scale=0.001))

    # then its Y extent became depth (Z) and everything is 1000x smaller
    assert result.stats.bounds_min == pytest.approx((-0.0005, 0.0, -0.0005))
    assert result.stats.bounds_max == pytest.approx((0.0005, 0.0, 0.0005))
    assert (result.unit_scale, result.up_axis) == (0.001, "z")


def test_procedural_model_keeps_its_variants_and_materials_byte_for_byte():
    # given a demo model with material variants (already normalised by its builder)
    recipe = next(r for r in DEMO_RECIPES if r.variants)
    glb = build_glb(recipe)

    # when normalised
    result = normalize(_validated(glb), IngestParams())

    # then variants and materials are the same and the bounds stay on the floor
    before, _ = read_glb(glb)
    after, _ = read_glb(result.glb)
    assert result.stats.variant_names == tuple(v.name for v in recipe.variants)
    assert after["materials"] == before["materials"]
    assert after["meshes"] == before["meshes"]
    assert result.stats.bounds_min[1] == pytest.approx(0.0, abs=1e-9)
    assert result.stats.bounds_min[0] == pytest.approx(-result.stats.bounds_max[0])


@pytest.mark.parametrize(("extent", "scale"), [(2.5, 1.0), (45.0, 0.01), (1200.0, 0.001)])
def test_unit_guess_from_the_largest_extent(extent, scale):
    # when guessed / then large numbers mean small units
    assert guess_unit_scale(extent) == scale
