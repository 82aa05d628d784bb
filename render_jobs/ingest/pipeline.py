"""The ingest pipeline proper; it runs inside the sandbox process (``sandbox.main``).

validate -> Khronos validator -> normalise (master = LOD 0) -> LODs (gltfpack) -> delivery
variants (WebP + meshopt) -> USDZ -> budgets. Outputs are written to ``<workdir>/out`` under
the names of their storage keys; the worker uploads them.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from render_jobs.glb import read_glb
from render_jobs.ingest.budgets import evaluate
from render_jobs.ingest.measure import ModelSummary, from_stats, max_texture_px, measure
from render_jobs.ingest.normalize import normalize
from render_jobs.ingest.params import IngestLimits, IngestParams
from render_jobs.ingest.report import (
    GLB_TYPE,
    USDZ_TYPE,
    Artifact,
    IngestReport,
    LodReport,
    SourceInfo,
    UsdzReport,
    output_key,
)
from render_jobs.ingest.sniff import Kind
from render_jobs.ingest.textures import Encoded, webp_textures
from render_jobs.ingest.tools import PackJob, gltfpack, khronos_validate
from render_jobs.ingest.validate import ValidatedInput, validate_input


class JobSpec(BaseModel):
    """What the worker asks the sandbox to do (``<workdir>/job.json``)."""

    model_config = ConfigDict(frozen=True)

    mode: Literal["ingest", "validate"]
    main: str
    key: str
    prefix: str
    params: IngestParams
    limits: IngestLimits
    source: SourceInfo


class ValidationSummary(BaseModel):
    """The result of a validation-only run."""

    model_config = ConfigDict(frozen=True)

    kind: str
    triangles: int
    khronos: dict[str, Any] | None
    notes: tuple[str, ...]


class _Clock:
    def __init__(self, announce: Callable[[str], None]) -> None:
        self.timings: dict[str, float] = {}
        self.announce = announce

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        self.announce(name)
        started = time.perf_counter()
        try:
            yield
        finally:
            self.timings[name] = round(time.perf_counter() - started, 4)


def validate_only(
    job: JobSpec, workdir: Path, announce: Callable[[str], None]
) -> ValidationSummary:
    """Structural checks and the Khronos validator, no outputs."""
    clock = _Clock(announce)
    model, khronos = _validate(job, workdir, clock)
    return ValidationSummary(
        kind=model.kind.value, triangles=model.triangles, khronos=khronos, notes=tuple(model.notes)
    )


def _validate(
    job: JobSpec, workdir: Path, clock: _Clock
) -> tuple[ValidatedInput, dict[str, Any] | None]:
    with clock.stage("validate"):
        model = validate_input(workdir / "input", job.main, workdir / "scratch", job.limits)
    khronos = None
    if model.kind in {Kind.GLB, Kind.GLTF}:
        with clock.stage("khronos"):
            khronos = khronos_validate(model.path, model.root, job.limits)
    return model, khronos


def run_ingest(job: JobSpec, workdir: Path, announce: Callable[[str], None]) -> IngestReport:
    """The whole pipeline; raises ``IngestRejected`` for a refused input."""
    clock = _Clock(announce)
    out = workdir / "out"
    out.mkdir(parents=True, exist_ok=True)
    model, khronos = _validate(job, workdir, clock)
    params, limits = job.params, job.limits

    def store(name: str, data: bytes, content_type: str) -> Artifact:
        (out / name).write_bytes(data)
        return Artifact(
            key=output_key(job.prefix, job.key, name),
            bytes=len(data),
            content_type=content_type,
            sha256=hashlib.sha256(data).hexdigest(),
        )

    with clock.stage("normalize"):
        normalized = normalize(model, params)
        master_path = out / "lod0.glb"
        master_artifact = store("lod0.glb", normalized.glb, GLB_TYPE)
        master = from_stats(normalized.stats, _max_px(normalized.glb))
    levels = list(enumerate(params.lod_ratios))
    with clock.stage("lods"):
        lod_jobs = [
            PackJob(master_path, workdir / f"lod{n}.glb", ratio, round(master.triangles * ratio))
            for n, ratio in levels[1:]
        ]
        gltfpack(lod_jobs, "lods", limits)
    with clock.stage("textures"):
        encoded: dict[str, Encoded] = {}
        webp_paths: list[Path] = []
        for n, source in enumerate([master_path] + [job.target for job in lod_jobs]):
            webp, _ = webp_textures(
                source.read_bytes(), params.texture_px(n), params.webp_quality, encoded
            )
            webp_paths.append(workdir / f"webp-lod{n}.glb")
            webp_paths[-1].write_bytes(webp)
    with clock.stage("delivery"):
        delivery_jobs = [
            PackJob(webp_paths[n], workdir / f"delivery-lod{n}.glb", compress=True)
            for n, _ in levels
        ]
        gltfpack(delivery_jobs, "delivery", limits)
    with clock.stage("measure"):
        plain: list[tuple[Artifact, ModelSummary]] = [(master_artifact, master)]
        delivered: list[tuple[Artifact, ModelSummary]] = []
        for packs, found in ((lod_jobs, plain), (delivery_jobs, delivered)):
            for pack in packs:
                data = pack.target.read_bytes()
                found.append((store(pack.target.name, data, GLB_TYPE), measure(data)))
    usdz = None
    if params.usdz:
        with clock.stage("usdz"):
            from render_jobs.ingest.usdz import glb_to_usdz  # usd-core loads only when needed

            result = glb_to_usdz(normalized.glb, workdir / "usd")
            usdz = UsdzReport(
                artifact=store("model.usdz", result.data, USDZ_TYPE),
                valid=result.valid,
                usd_version=result.validation["usd_version"],
                errors=tuple(result.validation["errors"]),
                warnings=tuple(result.validation["warnings"]),
                validators=len(result.validation["validators"]),
                notes=tuple(result.notes),
            )
    lods = tuple(
        LodReport(
            level=level,
            ratio=ratio,
            target_triangles=round(master.triangles * ratio),
            glb=plain[level][0],
            stats=plain[level][1],
            delivery=delivered[level][0],
            delivery_stats=delivered[level][1],
            budget=evaluate(
                delivered[level][0].key,
                file_bytes=delivered[level][1].bytes,
                triangles=delivered[level][1].triangles,
                draw_calls=delivered[level][1].draw_calls,
                max_texture_px=delivered[level][1].max_texture_px,
            ),
        )
        for level, ratio in enumerate(params.lod_ratios)
    )
    return IngestReport(
        key=job.key,
        params=params,
        source=job.source.model_copy(update={"kind": model.kind.value}),
        verdict="accepted",
        unit_scale=normalized.unit_scale,
        up_axis=normalized.up_axis,
        master=master,
        master_budget=evaluate(
            master_artifact.key,
            file_bytes=master.bytes,
            triangles=master.triangles,
            draw_calls=master.draw_calls,
            max_texture_px=master.max_texture_px,
        ),
        lods=lods,
        usdz=usdz,
        khronos=khronos,
        notes=tuple(model.notes + normalized.notes),
        timings=clock.timings,
    )


def _max_px(glb: bytes) -> int:
    gltf, binary = read_glb(glb)
    return max_texture_px(gltf, binary)
