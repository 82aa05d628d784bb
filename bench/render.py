"""Render benchmark: poster and turntable times and triangles/s on this machine's GL device.

``python -m bench.run --only render`` runs it alone (no moto, no database), so the same
command measures Mesa llvmpipe on a CPU host and the NVIDIA driver on a GPU host; the GL
renderer string heads the section. Models: those in ../shared/assets when present, a
82k-triangle icosphere (the issue's "100k-triangle model" class) and one procedural demo
model. Frame times are medians of warm renders (the first render, which uploads textures
and compiles shaders, is timed separately as "first").
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import trimesh

from bench.processes import ROOT
from render_jobs.procedural import DEMO_RECIPES, build_glb
from render_jobs.render import ModelData, Renderer, load_model
from render_jobs.render.outputs import animated_webp, png_bytes, sprite_sheet, webp_bytes
from render_jobs.render.renderer import GpuModel

SHARED_ASSETS = Path(os.environ.get("VITRINE_SHARED_ASSETS", ROOT.parent / "shared" / "assets"))
SHARED_MODELS = ("SheenChair.glb", "GlamVelvetSofa.glb", "WaterBottle.glb", "BoomBox.glb")
SIZES = (512, 1024)
TURNTABLE_FRAMES = 36
POSTER_REPEATS = 3


@dataclass
class RenderRow:
    """One model at one size."""

    model: str
    triangles: int
    size: int
    first_poster_s: float
    poster_render_s: float
    poster_encode_s: float
    turntable_render_s: float
    turntable_encode_s: float
    frames: int

    @property
    def poster_s(self) -> float:
        """Warm poster: render plus PNG and WebP encoding."""
        return self.poster_render_s + self.poster_encode_s

    @property
    def turntable_s(self) -> float:
        """Turntable: frames plus sprite sheet PNG and animated WebP."""
        return self.turntable_render_s + self.turntable_encode_s

    @property
    def triangles_per_second(self) -> float:
        """Triangles drawn per second of turntable rendering (encoding excluded)."""
        return self.triangles * self.frames / self.turntable_render_s


@dataclass
class RenderBench:
    """The render section's figures."""

    gl: str
    software: bool
    cores: int
    samples: int
    rows: list[RenderRow] = field(default_factory=list)
    elapsed_seconds: float = 0.0


def _models() -> list[tuple[str, bytes]]:
    models = [
        (name.removesuffix(".glb"), (SHARED_ASSETS / name).read_bytes())
        for name in SHARED_MODELS
        if (SHARED_ASSETS / name).is_file()
    ]
    sphere = trimesh.creation.icosphere(subdivisions=6, radius=0.5)
    sphere_glb: bytes = trimesh.Scene(sphere).export(file_type="glb")  # type: ignore[no-untyped-call]
    models.append(("icosphere-82k", sphere_glb))
    recipe = next(r for r in DEMO_RECIPES if r.slug == "lounge-armchair")
    models.append((f"demo {recipe.slug}", build_glb(recipe)))
    return models


def _measure(
    renderer: Renderer, name: str, data: ModelData, model: GpuModel, size: int, frames: int
) -> RenderRow:
    clock = time.perf_counter
    t0 = clock()
    renderer.poster(model, size)
    first = clock() - t0
    renders, encodes = [], []
    for _ in range(POSTER_REPEATS):
        t0 = clock()
        frame = renderer.poster(model, size)
        t1 = clock()
        png_bytes(frame)
        webp_bytes(frame)
        renders.append(t1 - t0)
        encodes.append(clock() - t1)
    t0 = clock()
    images = renderer.turntable(model, size, frames)
    t1 = clock()
    png_bytes(sprite_sheet(images))
    animated_webp(images)
    return RenderRow(
        model=name,
        triangles=data.triangles,
        size=size,
        first_poster_s=first,
        poster_render_s=statistics.median(renders),
        poster_encode_s=statistics.median(encodes),
        turntable_render_s=t1 - t0,
        turntable_encode_s=clock() - t1,
        frames=frames,
    )


def run_render_bench(
    say: Callable[[str], None], sizes: tuple[int, ...] = SIZES, frames: int = TURNTABLE_FRAMES
) -> RenderBench:
    """Measure every model at every size."""
    started = time.perf_counter()
    renderer = Renderer()
    bench = RenderBench(
        gl=renderer.info.describe(),
        software=renderer.info.software,
        cores=os.cpu_count() or 1,
        samples=renderer.samples,
    )
    say(f"GL renderer: {bench.gl} ({'software' if bench.software else 'hardware'})")
    try:
        for name, glb in _models():
            data = load_model(glb)
            model = renderer.upload(data)
            for size in sizes:
                row = _measure(renderer, name, data, model, size, frames)
                bench.rows.append(row)
                say(
                    f"{name:<22} {size:>4}px  poster {row.poster_s * 1000:7.0f} ms "
                    f"(render {row.poster_render_s * 1000:.0f})  turntable x{frames} "
                    f"{row.turntable_s:6.2f} s (render {row.turntable_render_s:.2f} s)  "
                    f"{row.triangles_per_second / 1e6:7.1f} M tri/s"
                )
            model.release()
    finally:
        renderer.close()
    bench.elapsed_seconds = time.perf_counter() - started
    return bench


def render_render(bench: RenderBench) -> list[str]:
    """The report's render section (Markdown lines)."""
    kind = "software rasterizer (CPU)" if bench.software else "GPU driver"
    lines = [
        "## Rendering: posters and turntables",
        "",
        f"GL device: **{bench.gl}**, a {kind}; {bench.cores} cores; {bench.samples}x MSAA into a "
        "half-float target. Poster = warm render (median of "
        f"{POSTER_REPEATS}) + PNG + WebP encoding; turntable = {TURNTABLE_FRAMES} frames + sprite "
        "sheet PNG + animated WebP. Triangles/s counts turntable rendering only (readback "
        "included, encoding excluded). `python -m bench.run --only render` reruns this alone "
        "(on a GPU host it picks the NVIDIA EGL driver by itself).",
        "",
        "| model | triangles | size | first poster (s) | poster (ms) | of which render (ms) "
        "| turntable (s) | of which render (s) | M triangles/s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in bench.rows:
        lines.append(
            f"| {row.model} | {row.triangles:,} | {row.size} | {row.first_poster_s:.2f} "
            f"| {row.poster_s * 1000:.0f} | {row.poster_render_s * 1000:.0f} "
            f"| {row.turntable_s:.2f} | {row.turntable_render_s:.2f} "
            f"| {row.triangles_per_second / 1e6:.1f} |"
        )
    lines += ["", f"Render part: {bench.elapsed_seconds:.0f} s.", ""]
    return lines
