"""Quality of the optimized assets: SSIM of each level's poster against the master's, next
to the bytes saved (``python -m bench.quality``, part of ``make bench``).

Each model of ../shared/assets is ingested with the default parameters; every level is then
rendered as it is delivered (its WebP textures at its size) and compared with the master's
poster. The delivery GLBs themselves are meshopt-compressed, which the renderer does not
decode, so the geometry compared is the level's before quantization (14-bit positions).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench.render import SHARED_ASSETS
from bench.report import machine_line
from datasources.local_blobs import LocalDirectoryBlobStore
from render_jobs.ingest import IngestParams, ingest_file
from render_jobs.ingest.textures import webp_textures
from render_jobs.render import Renderer
from render_jobs.render.quality import QUALITY_POSTER_PX, SSIM_TARGET, poster_similarity

MODELS = (
    "GlamVelvetSofa.glb",
    "SheenChair.glb",
    "MaterialsVariantsShoe",
    "WaterBottle.glb",
    "BoomBox.glb",
    "CesiumMilkTruck.glb",
)
SHRINK_TARGET = 5.0
DEFAULT_OUTPUT = Path("docs/benchmarks-quality.md")


@dataclass(frozen=True)
class QualityRow:
    """One model: bytes of the master and of the delivered LOD 0, SSIM of every level."""

    model: str
    master_bytes: int
    delivery_bytes: int
    triangles: tuple[int, ...]
    ssim: tuple[float, ...]

    @property
    def shrink(self) -> float:
        """How many times smaller the delivered LOD 0 is than the master."""
        return self.master_bytes / self.delivery_bytes


async def measure_model(
    path: Path, renderer: Renderer, store: LocalDirectoryBlobStore
) -> QualityRow:
    """Ingest ``path`` and compare every delivered level's poster with the master's."""
    params = IngestParams()
    report = await ingest_file(path, params, store)
    report.raise_for_rejection()
    master = await store.get(report.lods[0].glb.key)
    scores = []
    for lod in report.lods:
        plain = await store.get(lod.glb.key)
        delivered, _ = webp_textures(plain, params.texture_px(lod.level), params.webp_quality)
        scores.append(poster_similarity(renderer, master, delivered).ssim)
    return QualityRow(
        model=path.name.removesuffix(".glb"),
        master_bytes=report.lods[0].glb.bytes,
        delivery_bytes=report.lods[0].delivery.bytes,
        triangles=tuple(lod.stats.triangles for lod in report.lods),
        ssim=tuple(scores),
    )


def render_quality(rows: list[QualityRow], renderer: str, started: datetime) -> list[str]:
    """The Markdown of docs/benchmarks-quality.md."""
    levels = max((len(r.ssim) for r in rows), default=0)
    lines = [
        "# Benchmarks: how the optimized assets look",
        "",
        f"Written by `make bench` (`python -m bench.quality`) on {started:%Y-%m-%d %H:%M} UTC.",
        "",
        f"- {machine_line()}",
        f"- OpenGL: {renderer}",
        f"- posters {QUALITY_POSTER_PX} px, the ingest's default parameters; SSIM "
        "(scikit-image, colour, over a grey backdrop) of each level as delivered (its WebP "
        "textures at its size) against the master; the geometry is the level's before meshopt "
        "quantization, which the renderer does not decode",
        f"- targets: LOD 0 SSIM >= {SSIM_TARGET} while its bytes shrink >= {SHRINK_TARGET:.0f}x",
        "",
        "| model | master bytes | delivered LOD 0 bytes | shrink | "
        + " | ".join(f"SSIM LOD {n}" for n in range(levels))
        + " | triangles per level | LOD 0 target |",
        "|---|---:|---:|---:|" + "---:|" * levels + "---|---|",
    ]
    for row in rows:
        met = row.ssim[0] >= SSIM_TARGET and row.shrink >= SHRINK_TARGET
        ssim_met = row.ssim[0] >= SSIM_TARGET
        verdict = "met" if met else ("SSIM met, shrink missed" if ssim_met else "missed")
        lines.append(
            f"| {row.model} | {row.master_bytes:,} | {row.delivery_bytes:,} | "
            f"{row.shrink:.1f}x | "
            + " | ".join(f"{s:.4f}" for s in row.ssim)
            + f" | {' / '.join(f'{t:,}' for t in row.triangles)} | {verdict} |"
        )
    lines += [
        "",
        "Reading: textures dominate the bytes of these models, so WebP at the level's size does "
        "most of the shrinking; decimation costs the most SSIM on the far levels, which are "
        "shown small.",
    ]
    return lines


async def run_quality_bench(models: list[Path]) -> tuple[list[QualityRow], str]:
    """Measure every model that exists; the rows and the GL renderer's name."""
    renderer = Renderer()
    try:
        with tempfile.TemporaryDirectory(prefix="vitrine-quality-") as tmp:
            store = LocalDirectoryBlobStore(Path(tmp))
            rows = []
            for path in models:
                started = time.perf_counter()
                rows.append(await measure_model(path, renderer, store))
                print(f"{path.name}: {time.perf_counter() - started:.1f} s", flush=True)
        return rows, f"{renderer.info.vendor} {renderer.info.renderer}"
    finally:
        renderer.close()


def main(argv: list[str] | None = None) -> None:
    """Measure and write the report."""
    parser = argparse.ArgumentParser(prog="python -m bench.quality", description=__doc__)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    started = datetime.now(UTC)
    models = [SHARED_ASSETS / name for name in MODELS if (SHARED_ASSETS / name).exists()]
    if not models:
        raise SystemExit(f"no models under {SHARED_ASSETS}: the quality bench needs them")
    rows, renderer = asyncio.run(run_quality_bench(models))
    args.output.write_text("\n".join(render_quality(rows, renderer, started)) + "\n")
    print(f"wrote {args.output} (load average {os.getloadavg()[0]:.2f})")


if __name__ == "__main__":
    main()
