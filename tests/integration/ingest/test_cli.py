"""``vitrine ingest PATH...`` as the gateway mounts it: a table per batch, exit status 1 when
anything was rejected, outputs in the ``--store`` folder."""

from __future__ import annotations

import typer
from typer.testing import CliRunner

from render_jobs.ingest.cli import ingest_app
from render_jobs.procedural import DEMO_RECIPES, build_glb
from tests.unit.render_jobs.ingest.builders import png_bytes


def _cli() -> typer.Typer:
    app = typer.Typer()
    app.add_typer(ingest_app, name="ingest")

    @app.command()
    def version() -> None:  # a second command, so "ingest" stays a subcommand
        typer.echo("0")

    return app


def test_ingest_batch_prints_a_summary_and_fails_on_rejections(tmp_path):
    # given a demo model and a PNG named .glb
    recipe = DEMO_RECIPES[0]
    model = tmp_path / f"{recipe.slug}.glb"
    model.write_bytes(build_glb(recipe))
    fake = tmp_path / "fake.glb"
    fake.write_bytes(png_bytes())
    store = tmp_path / "store"
    runner = CliRunner(env={"COLUMNS": "220"})

    # when both are ingested, options after the paths
    result = runner.invoke(
        _cli(), ["ingest", str(model), str(fake), "--store", str(store), "--no-usdz"]
    )

    # then the table shows the verdicts, the model's outputs are stored and the exit is 1
    output = result.stderr
    assert result.exit_code == 1, output
    assert f"{recipe.slug}.glb" in output
    assert "accepted" in output
    assert "fake.glb" in output
    assert "rejected" in output
    assert "file-type at fake.glb" in output
    assert "pass" in output
    stored = sorted(p.name for p in store.rglob("*") if p.is_file())
    assert stored.count("report.json") == 2
    assert {"lod0.glb", "lod3.glb", "delivery-lod0.glb", "validation.json"} <= set(stored)
    assert "model.usdz" not in stored

    # and a second run of the model alone is served from the cache
    again = runner.invoke(_cli(), ["ingest", str(model), "--store", str(store), "--no-usdz"])
    assert again.exit_code == 0, again.stderr
    assert "accepted (cached)" in again.stderr


def test_bad_up_axis_is_a_usage_error(tmp_path):
    result = CliRunner().invoke(_cli(), ["ingest", str(tmp_path), "--up-axis", "w"])

    assert result.exit_code == 2
    assert "--up-axis" in result.stderr
