"""The EGL renderer: frame format, transparency, framing, variants, turntables, errors."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import structlog

from render_jobs.render import (
    RendererUnavailable,
    RenderSizeError,
    UnknownVariant,
    create_context,
    load_model,
)
from tests.unit.render_jobs.render.conftest import shared_asset

SIZE = 128


def _coverage(frame: np.ndarray) -> float:
    return float((frame[..., 3] > 0).mean())


def test_poster_is_square_rgba_with_transparent_corners(renderer, demo_glbs):
    # given a demo model on the GPU
    model = renderer.upload(load_model(demo_glbs["harbor-sofa"][1]))

    # when rendering its poster
    frame = renderer.poster(model, SIZE)

    # then it is SIZE x SIZE RGBA, the corners are fully transparent and the model covers
    # a sensible share of the frame
    assert frame.shape == (SIZE, SIZE, 4)
    assert frame.dtype == np.uint8
    corners = frame[[0, 0, -1, -1], [0, -1, 0, -1], 3]
    assert corners.tolist() == [0, 0, 0, 0]
    assert 0.15 < _coverage(frame) < 0.85
    assert (frame[..., 3] == 255).sum() > 0.1 * SIZE * SIZE


def test_model_is_centred_and_fits_inside_the_frame(renderer, demo_glbs):
    # given a tall, narrow model
    model = renderer.upload(load_model(demo_glbs["standing-mirror"][1]))

    # when rendered
    alpha = renderer.poster(model, SIZE)[..., 3]

    # then nothing touches the border and the silhouette is roughly centred and large
    rows = np.flatnonzero(alpha.any(axis=1))
    cols = np.flatnonzero(alpha.any(axis=0))
    assert rows[0] > 0
    assert cols[0] > 0
    assert rows[-1] < SIZE - 1
    assert cols[-1] < SIZE - 1
    assert rows[-1] - rows[0] + 1 > 0.6 * SIZE
    assert abs((cols[0] + cols[-1]) / 2 - SIZE / 2) < 0.15 * SIZE


def test_the_same_poster_renders_identically(renderer, demo_glbs):
    # given a model with translucent parts
    model = renderer.upload(load_model(demo_glbs["wayfarer-sunglasses"][1]))

    # when rendered twice
    first, second = renderer.poster(model, SIZE), renderer.poster(model, SIZE)

    # then the frames are identical
    assert np.array_equal(first, second)


def test_variants_change_the_model_colours_not_the_silhouette(renderer):
    # given the velvet sofa with its five fabric variants
    data = load_model(shared_asset("GlamVelvetSofa.glb"))
    model = renderer.upload(data)

    # when rendering the navy and pale pink variants
    navy = renderer.poster(model, SIZE, "Navy")
    pink = renderer.poster(model, SIZE, "Pale Pink")

    # then the outline is the same, and the model's pixels differ clearly in colour
    assert data.variants == ("Champagne", "Navy", "Gray", "Black", "Pale Pink")
    assert np.array_equal(navy[..., 3] > 0, pink[..., 3] > 0)
    inside = (navy[..., 3] == 255) & (pink[..., 3] == 255)
    difference = np.abs(navy[inside, :3].astype(float) - pink[inside, :3].astype(float))
    assert difference.mean() > 40
    # navy is blue-dominant, pale pink red-dominant
    assert navy[inside, 2].mean() > navy[inside, 0].mean()
    assert pink[inside, 0].mean() > pink[inside, 2].mean()


def test_every_chair_variant_differs_from_the_default_look_of_another(renderer):
    # given the sheen chair (Mango and Peacock velvet)
    model = renderer.upload(load_model(shared_asset("SheenChair.glb")))

    # when rendering the default and both variants
    default = renderer.poster(model, SIZE)
    mango = renderer.poster(model, SIZE, "Mango Velvet")
    peacock = renderer.poster(model, SIZE, "Peacock Velvet")

    # then the default is the first variant, and peacock differs from it
    assert np.array_equal(default, mango)
    inside = mango[..., 3] == 255
    assert np.abs(mango[inside, :3].astype(float) - peacock[inside, :3].astype(float)).mean() > 30


def test_unknown_variant_lists_the_available_ones(renderer, demo_glbs):
    # given a model with variants
    model = renderer.upload(load_model(demo_glbs["lounge-armchair"][1]))

    # when asking for a look it does not have
    # then the error names the available variants
    with pytest.raises(UnknownVariant, match="unknown variant 'Teal'; available: \\['Cognac"):
        renderer.poster(model, SIZE, "Teal")


def test_turntable_frames_show_different_sides_with_one_framing(renderer, demo_glbs):
    # given an asymmetric model
    model = renderer.upload(load_model(demo_glbs["lounge-armchair"][1]))

    # when rendering an 8-frame turntable
    frames = renderer.turntable(model, 64, 8)

    # then there are 8 frames of 64x64, each differing from the next, none cut off
    assert [frame.shape for frame in frames] == [(64, 64, 4)] * 8
    for current, following in itertools.pairwise(frames):
        assert np.abs(current.astype(int) - following.astype(int)).mean() > 2
    for frame in frames:
        assert frame[0, :, 3].max() == 0
        assert frame[-1, :, 3].max() == 0
        assert frame[:, 0, 3].max() == 0
        assert frame[:, -1, 3].max() == 0


def test_half_a_turn_mirrors_the_silhouette_of_a_symmetric_model(renderer):
    # given a unit box, seen from opposite sides
    model = renderer.upload(load_model(shared_asset("Box.glb")))

    # when rendering two frames half a turn apart
    front, back = renderer.turntable(model, 64, 2)

    # then the silhouettes match (the box looks the same from behind)
    assert np.array_equal(front[..., 3] > 0, back[..., 3] > 0)


@pytest.mark.parametrize(("size", "frames"), [(4, 1), (5000, 1), (64, 0)])
def test_bad_sizes_and_frame_counts_are_refused(renderer, demo_glbs, size, frames):
    # given a model
    model = renderer.upload(load_model(demo_glbs["herb-pot"][1]))

    # when asking for a frame size or count out of range
    # then a typed error says so
    with pytest.raises(RenderSizeError):
        renderer.turntable(model, size, frames)


def test_the_gl_renderer_in_use_is_logged(renderer):
    # given a new context
    with structlog.testing.capture_logs() as logs:
        ctx, info = create_context()
    ctx.release()

    # then one structured line names vendor, renderer and version
    entries = [entry for entry in logs if entry["event"] == "gl_context"]
    assert len(entries) == 1
    assert entries[0]["renderer"] == info.renderer == renderer.info.renderer
    assert entries[0]["vendor"] == info.vendor
    assert entries[0]["version"] == info.version
    assert entries[0]["backend"] == "egl"
    assert info.renderer


def test_missing_egl_device_is_a_typed_error(renderer):
    # given a device index no machine here has
    # when creating a context on it
    # then RendererUnavailable explains why
    with pytest.raises(RendererUnavailable, match=r"no EGL OpenGL 330 context: .*device index 99"):
        create_context(device_index=99)
