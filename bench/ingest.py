"""Ingest of every model in ../shared/assets: time per stage, bytes before and after,
triangles per level (``python -m bench.ingest``, part of ``make bench``).

Each input is ingested with the default parameters into an empty local store (a cold render
cache), through the same sandboxed pipeline the worker runs, then once more with the same
store to show what the render cache saves.
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
from render_jobs.ingest import IngestParams, IngestReport, ingest_file

DEFAULT_OUTPUT = Path("docs/benchmarks-ingest.md")
STAGES = ("validate", "khronos", "normalize", "lods", "textures", "delivery", "measure", "usdz")
NOT_INPUTS = frozenset({"bad", "SOURCES.md"})


@dataclass(frozen=True)
class IngestRow:
    """One input: its report and the wall time of a cold and of a cached ingest."""

    name: str
    report: IngestReport
    cold_seconds: float
    cached_seconds: float

    @property
    def delivered_bytes(self) -> int:
        """Bytes of the delivered LOD 0 (meshopt, WebP)."""
        return self.report.lods[0].delivery.bytes

    @property
    def shrink(self) -> float:
        """How many times smaller the delivered LOD 0 is than the uploaded source."""
        return self.report.source.bytes / self.delivered_bytes


def inputs(root: Path) -> list[Path]:
    """Every model (file or folder) under ``root``, hostile files and notes excluded."""
    return sorted(
        (p for p in root.iterdir() if p.name not in NOT_INPUTS and not p.name.startswith(".")),
        key=lambda p: p.name.lower(),
    )


async def measure_input(path: Path, store: LocalDirectoryBlobStore) -> IngestRow:
    """Ingest ``path`` cold, then again from the render cache."""
    params = IngestParams()
    started = time.perf_counter()
    report = await ingest_file(path, params, store)
    cold = time.perf_counter() - started
    report.raise_for_rejection()
    started = time.perf_counter()
    again = await ingest_file(path, params, store)
    cached = time.perf_counter() - started
    if not again.from_cache:
        raise RuntimeError(f"{path.name}: the second ingest did not come from the render cache")
    return IngestRow(path.name, report, cold, cached)


def _levels(row: IngestRow, value: str) -> str:
    if value == "triangles":
        return " / ".join(f"{lod.stats.triangles:,}" for lod in row.report.lods)
    return " / ".join(f"{lod.delivery.bytes:,}" for lod in row.report.lods)


def render_ingest(rows: list[IngestRow], started: datetime, seconds: float) -> list[str]:
    """The Markdown of docs/benchmarks-ingest.md."""
    lines = [
        "# Benchmarks: ingest of the shared models",
        "",
        f"Written by `make bench` (`python -m bench.ingest`) on {started:%Y-%m-%d %H:%M} UTC "
        f"(whole run {seconds:.0f} s, 1-minute load average at the end "
        f"{os.getloadavg()[0]:.2f}).",
        "",
        f"- {machine_line()}",
        "- each input once, default parameters, an empty local store (cold render cache), the "
        "sandboxed pipeline of the worker (validation subprocess, Khronos validator, normalize, "
        "quadric LODs, WebP textures, gltfpack meshopt delivery, USDZ with usd-core); then the "
        "same input again (answered from the render cache)",
        "- source bytes are the upload (all files of a glTF or OBJ folder); delivered bytes are "
        "each level's meshopt + WebP GLB",
        "",
        "## Sizes and triangles",
        "",
        "| input | kind | source bytes | master triangles | triangles per level | "
        "delivered bytes per level | LOD 0 shrink | USDZ bytes (valid) | LOD 0 budget |",
        "|---|---|---:|---:|---|---|---:|---:|---|",
    ]
    for row in rows:
        report = row.report
        assert report.master is not None
        usdz = (
            f"{report.usdz.artifact.bytes:,} ({'yes' if report.usdz.valid else 'no'})"
            if report.usdz
            else "none"
        )
        lines.append(
            f"| {row.name} | {report.source.kind} | {report.source.bytes:,} | "
            f"{report.master.triangles:,} | {_levels(row, 'triangles')} | "
            f"{_levels(row, 'bytes')} | {row.shrink:.1f}x | {usdz} | "
            f"{report.lods[0].budget.verdict} |"
        )
    lines += [
        "",
        "## Time (seconds)",
        "",
        "| input | cold ingest | " + " | ".join(STAGES) + " | from the render cache |",
        "|---|---:|" + "---:|" * len(STAGES) + "---:|",
    ]
    for row in rows:
        stages = " | ".join(f"{row.report.timings.get(stage, 0.0):.2f}" for stage in STAGES)
        lines.append(
            f"| {row.name} | {row.cold_seconds:.1f} | {stages} | {row.cached_seconds:.3f} |"
        )
    total_cold = sum(r.cold_seconds for r in rows)
    total_cached = sum(r.cached_seconds for r in rows)
    lines += [
        "",
        f"All {len(rows)} inputs: {total_cold:.1f} s cold, {total_cached:.2f} s from the render "
        "cache. The cold total less the stages is the sandbox's start, reading the upload and "
        "storing the outputs.",
    ]
    return lines


async def run_ingest_bench(paths: list[Path]) -> list[IngestRow]:
    """Ingest every input into one fresh store, in order."""
    with tempfile.TemporaryDirectory(prefix="vitrine-ingest-bench-") as tmp:
        store = LocalDirectoryBlobStore(Path(tmp))
        rows = []
        for path in paths:
            rows.append(await measure_input(path, store))
            print(f"{path.name}: {rows[-1].cold_seconds:.1f} s", flush=True)
        return rows


def main(argv: list[str] | None = None) -> None:
    """Measure and write the report."""
    parser = argparse.ArgumentParser(prog="python -m bench.ingest", description=__doc__)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    started = datetime.now(UTC)
    if not SHARED_ASSETS.is_dir():
        raise SystemExit(f"no models under {SHARED_ASSETS}: the ingest bench needs them")
    clock = time.perf_counter()
    rows = asyncio.run(run_ingest_bench(inputs(SHARED_ASSETS)))
    text = render_ingest(rows, started, time.perf_counter() - clock)
    args.output.write_text("\n".join(text) + "\n")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
