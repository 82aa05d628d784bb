"""Delivered files: 1024 px posters as PNG and WebP, turntable sheets and animations."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from render_jobs.render import render_posters, render_turntables
from tests.unit.render_jobs.render.conftest import shared_asset


def test_poster_files_are_1024_square_with_transparent_background(renderer):
    # given a small real model
    glb = shared_asset("BoxTextured.glb")

    # when rendering its 1024 px poster
    [poster] = render_posters(renderer, glb, 1024, [None])

    # then PNG and WebP are 1024x1024 with alpha, transparent corners, an opaque centre
    png = np.asarray(Image.open(io.BytesIO(poster.png)))
    webp = Image.open(io.BytesIO(poster.webp))
    assert png.shape == (1024, 1024, 4)
    assert (webp.format, webp.size, webp.mode) == ("WEBP", (1024, 1024), "RGBA")
    assert png[0, 0, 3] == png[-1, -1, 3] == 0
    assert png[512, 512, 3] == 255
    assert 0.15 < (png[..., 3] > 0).mean() < 0.85


def test_one_poster_per_requested_variant(renderer, demo_glbs):
    # given the armchair's two variants
    glb = demo_glbs["lounge-armchair"][1]

    # when rendering posters for both
    posters = render_posters(renderer, glb, 64, ["Cognac Leather", "Black Leather"])

    # then two different posters come back, in order
    assert [p.variant for p in posters] == ["Cognac Leather", "Black Leather"]
    assert posters[0].png != posters[1].png


def test_turntable_sheet_and_animation_have_the_requested_frames(renderer, demo_glbs):
    # given a model
    glb = demo_glbs["lounge-armchair"][1]

    # when rendering a 6-frame turntable at 48 px
    [turntable] = render_turntables(renderer, glb, 48, 6, [None])

    # then the sheet is 3x2 frames of 48 px, the animation has 6 frames of 48 px
    sheet = Image.open(io.BytesIO(turntable.sheet_png))
    animation = Image.open(io.BytesIO(turntable.webp))
    assert (turntable.columns, turntable.rows) == (3, 2)
    assert sheet.size == (144, 96)
    assert sheet.mode == "RGBA"
    assert (animation.size, animation.n_frames) == ((48, 48), 6)
