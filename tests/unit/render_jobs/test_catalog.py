"""The demo catalogue and build_model's bundle of GLB, poster, stats and hash."""

from __future__ import annotations

import hashlib
import io

from PIL import Image

from render_jobs.gltf_stats import compute_stats
from render_jobs.procedural import DEMO_RECIPES, KINDS, build_model


def test_catalogue_has_thirty_uniquely_named_recipes_covering_every_kind():
    # given the demo catalogue
    slugs = [recipe.slug for recipe in DEMO_RECIPES]

    # when inspected
    # then 30 products use every registered kind, each under its own name
    assert len(DEMO_RECIPES) == 30
    assert len(set(slugs)) == 30
    assert all(recipe.name for recipe in DEMO_RECIPES)
    assert {recipe.kind for recipe in DEMO_RECIPES} == set(KINDS)
    assert len(KINDS) == 23


def test_build_model_bundles_glb_poster_stats_and_hash(demo_glbs):
    # given a demo recipe
    recipe, expected_glb = demo_glbs["sport-watch"]

    # when the full model is built with a small poster
    model = build_model(recipe, poster_size=64)

    # then every piece is consistent with the GLB
    assert model.glb == expected_glb
    assert model.sha256 == hashlib.sha256(model.glb).hexdigest()
    assert model.stats == compute_stats(model.glb)
    assert model.stats.variant_names == ("Orange Silicone", "Sand Silicone", "Black Silicone")
    poster = Image.open(io.BytesIO(model.poster_png))
    assert (poster.format, poster.mode, poster.size) == ("PNG", "RGBA", (64, 64))
