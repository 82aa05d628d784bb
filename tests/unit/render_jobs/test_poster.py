"""render_poster_png: deterministic RGBA posters fitted to the frame, per variant."""

from __future__ import annotations

import io

import numpy as np
import pytest
import trimesh
from PIL import Image

from render_jobs.procedural import render_poster_png

SIZE = 96


def _pixels(png: bytes) -> np.ndarray:
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    assert image.mode == "RGBA"
    return np.asarray(image)


def test_poster_is_an_rgba_png_of_the_requested_size(demo_glbs):
    # given a built model
    _, glb = demo_glbs["harbor-sofa"]

    # when rendered
    pixels = _pixels(render_poster_png(glb, size=SIZE))

    # then it is size x size with a transparent background and an opaque model
    assert pixels.shape == (SIZE, SIZE, 4)
    alpha = pixels[..., 3]
    assert alpha[0, 0] == 0
    assert (alpha == 0).sum() > SIZE * SIZE // 10
    assert (alpha == 255).sum() > SIZE * SIZE // 10


def test_model_is_fitted_to_the_frame(demo_glbs):
    # given a tall, narrow model
    _, glb = demo_glbs["standing-mirror"]

    # when rendered
    alpha = _pixels(render_poster_png(glb, size=SIZE))[..., 3]

    # then its larger screen dimension fills the frame up to a small margin, centred
    rows = np.flatnonzero(alpha.any(axis=1))
    cols = np.flatnonzero(alpha.any(axis=0))
    height = rows[-1] - rows[0] + 1
    assert 0.85 * SIZE <= height <= SIZE
    assert abs((rows[0] + rows[-1]) / 2 - (SIZE - 1) / 2) <= 2
    assert abs((cols[0] + cols[-1]) / 2 - (SIZE - 1) / 2) <= 2


def test_rendering_is_deterministic(demo_glbs):
    # given a model with translucent lenses
    _, glb = demo_glbs["wayfarer-sunglasses"]

    # when rendered twice
    # then the PNG bytes are identical
    assert render_poster_png(glb, size=SIZE) == render_poster_png(glb, size=SIZE)


def test_variant_changes_the_colours_but_not_the_silhouette(demo_glbs):
    # given the armchair in its default (cognac) and black looks
    _, glb = demo_glbs["lounge-armchair"]

    # when rendered per variant
    default = _pixels(render_poster_png(glb, size=SIZE))
    cognac = _pixels(render_poster_png(glb, size=SIZE, variant="Cognac Leather"))
    black = _pixels(render_poster_png(glb, size=SIZE, variant="Black Leather"))

    # then the first variant is the default look, and black is darker with the same outline
    assert np.array_equal(default, cognac)
    assert np.array_equal(default[..., 3], black[..., 3])
    opaque = default[..., 3] == 255
    assert black[opaque, :3].mean() < default[opaque, :3].mean() - 30


def test_unknown_variant_is_rejected(demo_glbs):
    # given a model with variants
    _, glb = demo_glbs["lounge-armchair"]

    # when asking for a look it does not have
    # then the available names are listed
    with pytest.raises(ValueError, match="unknown variant 'Teal'; available: \\['Cognac Leather'"):
        render_poster_png(glb, size=SIZE, variant="Teal")


def test_translucent_parts_let_the_background_through(demo_glbs):
    # given the amber glass vase (alpha 0.6)
    _, glb = demo_glbs["amber-bud-vase"]

    # when rendered
    alpha = _pixels(render_poster_png(glb, size=SIZE))[..., 3]

    # then the glass body (seen through two walls: 1 - 0.4^2 = 84 %) is partly transparent,
    # except where the opaque brass band crosses it
    body = alpha[SIZE // 3 : 2 * SIZE // 3, SIZE // 2]
    assert np.median(body) == pytest.approx(0.84 * 255, abs=3)
    assert (body < 250).mean() > 0.9


def test_a_trimesh_scene_can_be_rendered():
    # given a plain trimesh scene with a single box
    scene = trimesh.Scene(trimesh.creation.box(extents=(1.0, 1.0, 1.0)))

    # when rendered
    pixels = _pixels(render_poster_png(scene, size=32))

    # then the box is drawn in the default grey-white
    assert pixels.shape == (32, 32, 4)
    assert pixels[16, 16, 3] == 255


def test_too_small_posters_are_rejected(demo_glbs):
    # given a model
    _, glb = demo_glbs["herb-pot"]

    # when asking for a 4 px poster
    # then it is refused
    with pytest.raises(ValueError, match="at least 8 pixels"):
        render_poster_png(glb, size=4)
