"""``vitrine ingest PATH...``: batch ingest with a progress bar and a summary table.

Mounted by the gateway's CLI with ``app.add_typer(ingest_app, name="ingest")``.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from datasources.local_blobs import LocalDirectoryBlobStore
from render_jobs.ingest.budgets import BudgetCheck
from render_jobs.ingest.errors import IngestFailed
from render_jobs.ingest.job import ingest_file
from render_jobs.ingest.params import IngestParams, UpAxis
from render_jobs.ingest.report import IngestReport

DEFAULT_STORE = Path(".vitrine/blobs")

ingest_app = typer.Typer(
    help="Validate and optimise 3D models: GLB master, LODs, compressed delivery, USDZ.",
    invoke_without_command=True,
    no_args_is_help=True,
    # A group with no subcommands: let options follow the paths, as for a plain command.
    context_settings={"allow_interspersed_args": True},
    subcommand_metavar="",
)
console = Console(stderr=True)


@ingest_app.callback(invoke_without_command=True)
def ingest(
    paths: Annotated[
        list[Path],
        typer.Argument(
            help="Model files (.glb, .gltf, .obj, .stl, .zip) or folders holding one each."
        ),
    ],
    unit_scale: Annotated[
        float | None,
        typer.Option(help="Metres per source unit (0.001 for millimetres). Default: metres."),
    ] = None,
    guess_units: Annotated[
        bool, typer.Option(help="Guess OBJ/STL units from the model's size.")
    ] = False,
    up_axis: Annotated[
        str, typer.Option(help="Source up axis: auto (glTF/OBJ +Y, STL +Z), y, z, -z or x.")
    ] = "auto",
    no_usdz: Annotated[bool, typer.Option("--no-usdz", help="Skip the USDZ package.")] = False,
    store: Annotated[
        Path, typer.Option(help="Folder for the outputs (a local BlobStore).")
    ] = DEFAULT_STORE,
    jobs: Annotated[int, typer.Option(min=1, max=16, help="Inputs processed at once.")] = 1,
) -> None:
    """Ingest every PATH; exit status 1 if any was rejected or failed."""
    if up_axis not in {"auto", "y", "z", "-z", "x"}:
        raise typer.BadParameter("must be one of auto, y, z, -z, x", param_hint="--up-axis")
    axis: UpAxis = up_axis  # type: ignore[assignment]
    try:
        params = IngestParams(
            unit_scale=unit_scale, guess_units=guess_units, up_axis=axis, usdz=not no_usdz
        )
    except ValueError as error:
        raise typer.BadParameter(str(error)) from error
    results = asyncio.run(_ingest_all(paths, params, LocalDirectoryBlobStore(store), jobs))
    console.print(summary_table(results))
    console.print(f"Outputs in {store.resolve()}")
    if any(not isinstance(r, IngestReport) or not r.accepted for _, r in results):
        raise typer.Exit(1)


async def _ingest_all(
    paths: list[Path], params: IngestParams, blobs: LocalDirectoryBlobStore, jobs: int
) -> list[tuple[Path, IngestReport | IngestFailed]]:
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    gate = asyncio.Semaphore(jobs)
    results: dict[Path, IngestReport | IngestFailed] = {}
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("Ingesting", total=len(paths))

        async def one(path: Path) -> None:
            async with gate:
                progress.update(task, description=f"Ingesting {path.name}")
                try:
                    results[path] = await ingest_file(path, params, blobs)
                except IngestFailed as error:
                    results[path] = error
                progress.advance(task)

        await asyncio.gather(*(one(p) for p in paths))
    return [(p, results[p]) for p in paths]


def summary_table(results: list[tuple[Path, IngestReport | IngestFailed]]) -> Table:
    """One row per input: verdict, triangles per LOD, bytes before/after, budgets, USDZ."""
    table = Table(title="Ingest summary")
    for column in (
        "file",
        "verdict",
        "triangles per LOD",
        "bytes before → after",
        "budgets",
        "USDZ",
    ):
        table.add_column(column)
    for path, result in results:
        if isinstance(result, IngestFailed):
            table.add_row(path.name, "[red]failed[/]", "", "", "", "", end_section=False)
            table.add_row("", f"[red]{result}[/]", "", "", "", "")
            continue
        if not result.accepted:
            rejection = result.rejection
            reason = (
                f"{rejection.check} at {rejection.where}: {rejection.reason}" if rejection else ""
            )
            table.add_row(path.name, f"[red]rejected[/]\n{reason}", "", "", "", "")
            continue
        verdict = "accepted (cached)" if result.from_cache else "accepted"
        triangles = " / ".join(f"{lod.stats.triangles:,}" for lod in result.lods)
        after = result.bytes_after or 0
        reduction = result.size_reduction or 0.0
        sizes = f"{result.bytes_before:,} → {after:,} ({reduction:.1f}x)"
        budget = result.budget
        budgets = "" if budget is None else _budget_cell(budget.verdict, budget.checks)
        usdz = "-" if result.usdz is None else ("valid" if result.usdz.valid else "[red]invalid[/]")
        table.add_row(path.name, f"[green]{verdict}[/]", triangles, sizes, budgets, usdz)
    return table


_COLOURS = {"pass": "green", "warn": "yellow", "fail": "red"}


def _budget_cell(verdict: str, checks: tuple[BudgetCheck, ...]) -> str:
    flagged = [f"{c.name} {c.verdict}" for c in checks if c.verdict != "pass"]
    colour = _COLOURS.get(verdict, "white")
    return f"[{colour}]{verdict}[/]" + (f" ({', '.join(flagged)})" if flagged else "")
