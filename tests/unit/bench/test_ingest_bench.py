"""The ingest benchmark: which inputs it takes, and that its table shows what was measured."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from bench.ingest import inputs, measure_input, render_ingest
from datasources.local_blobs import LocalDirectoryBlobStore
from render_jobs.procedural import DEMO_RECIPES, build_glb


def test_inputs_are_every_model_file_and_folder_but_the_hostile_ones(tmp_path: Path) -> None:
    # given an assets folder like ../shared/assets
    for folder in ("bad", "fuze", ".cache"):
        (tmp_path / folder).mkdir()
    for file in ("Sofa.glb", "SOURCES.md", "chair.STL"):
        (tmp_path / file).touch()
    # when the bench lists its inputs
    found = [path.name for path in inputs(tmp_path)]
    # then the hostile files, the notes and hidden entries are left out, in name order
    assert found == ["chair.STL", "fuze", "Sofa.glb"]


def test_a_measured_input_reports_its_levels_and_a_cached_second_ingest(tmp_path: Path) -> None:
    # given a demo model as an upload
    model = tmp_path / "in" / "armchair.glb"
    model.parent.mkdir()
    model.write_bytes(build_glb(next(r for r in DEMO_RECIPES if r.slug == "lounge-armchair")))
    store = LocalDirectoryBlobStore(tmp_path / "store")
    # when the bench measures it and writes its table
    row = asyncio.run(measure_input(model, store))
    text = "\n".join(render_ingest([row], datetime(2026, 11, 24, tzinfo=UTC), 1.0))
    # then the row names each level's triangles and delivered bytes (measure_input also
    # checked that the second ingest came from the render cache)
    triangles = " / ".join(f"{lod.stats.triangles:,}" for lod in row.report.lods)
    assert len(row.report.lods) >= 3
    assert f"| armchair.glb | glb | {model.stat().st_size:,} |" in text
    assert triangles in text
    assert row.shrink == model.stat().st_size / row.report.lods[0].delivery.bytes
