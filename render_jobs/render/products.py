"""Poster and turntable products of one model: the encoded files a render job delivers."""

from __future__ import annotations

from dataclasses import dataclass

from render_jobs.render.model import load_model
from render_jobs.render.outputs import (
    animated_webp,
    png_bytes,
    sheet_grid,
    sprite_sheet,
    webp_bytes,
)
from render_jobs.render.renderer import Renderer


@dataclass(frozen=True)
class Poster:
    """One still: PNG and WebP of the same RGBA frame."""

    variant: str | None
    size: int
    png: bytes
    webp: bytes


@dataclass(frozen=True)
class Turntable:
    """``frames`` views around the model as a sprite sheet PNG and an animated WebP."""

    variant: str | None
    size: int
    frames: int
    columns: int
    rows: int
    sheet_png: bytes
    webp: bytes


def render_posters(
    renderer: Renderer, glb: bytes, size: int, variants: list[str | None]
) -> list[Poster]:
    """A poster per requested variant (``None`` is the model's default look)."""
    model = renderer.upload(load_model(glb))
    try:
        posters = []
        for variant in variants:
            frame = renderer.poster(model, size, variant)
            posters.append(Poster(variant, size, png_bytes(frame), webp_bytes(frame)))
        return posters
    finally:
        model.release()


def render_turntables(
    renderer: Renderer, glb: bytes, size: int, frames: int, variants: list[str | None]
) -> list[Turntable]:
    """A turntable per requested variant."""
    model = renderer.upload(load_model(glb))
    try:
        turntables = []
        for variant in variants:
            images = renderer.turntable(model, size, frames, variant)
            columns, rows = sheet_grid(frames)
            turntables.append(
                Turntable(
                    variant=variant,
                    size=size,
                    frames=frames,
                    columns=columns,
                    rows=rows,
                    sheet_png=png_bytes(sprite_sheet(images)),
                    webp=animated_webp(images),
                )
            )
        return turntables
    finally:
        model.release()
