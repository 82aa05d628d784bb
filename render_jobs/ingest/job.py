"""``ingest_file``: the render cache around one sandboxed pipeline run.

Outputs are keyed by ``sha256(input bytes + normalised parameters + pipeline version)`` under
``models/<key>/``. ``report.json`` is written last, after every output, so its presence means
the work is complete: a later ingest of the same input with the same parameters returns the
stored report without running anything (``from_cache=True``). Rejections are cached the same
way, except those that depend on the limits rather than on the input alone (``LIMITED``).

Each upload is retried while object storage is unavailable (``put_retrying``, backing
off); if it stays down, ``DataSourceUnavailable`` reaches the caller with ``report.json``
unwritten, so nothing half-stored is ever served, and a later run redoes the work.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import tempfile
from pathlib import Path
from typing import Protocol

from datasources.ports import BlobStore
from render_jobs.ingest.bundle import Bundle, bundle_from_bytes, bundle_from_path
from render_jobs.ingest.errors import IngestFailed, IngestRejected
from render_jobs.ingest.params import IngestLimits, IngestParams
from render_jobs.ingest.pipeline import JobSpec, ValidationSummary
from render_jobs.ingest.report import (
    JSON_TYPE,
    REPORT_NAME,
    IngestReport,
    Rejection,
    SourceInfo,
    output_key,
)
from render_jobs.ingest.sandbox import SandboxOutcome, interpret, run_sandboxed
from render_jobs.uploads import put_retrying

DEFAULT_PREFIX = "models"
# Rejections that depend on ``IngestLimits`` (not part of the key) or on the machine's load.
LIMITED = frozenset({"resource-limit", "size-limit", "complexity-limit", "zip-bomb", "texture"})
VALIDATION_NAME = "validation.json"


class SandboxRunner(Protocol):
    """Runs the sandbox on a prepared work folder (``sandbox.run_sandboxed`` by default)."""

    def __call__(self, workdir: Path, limits: IngestLimits) -> SandboxOutcome: ...


Source = Path | str | bytes


def load_bundle(source: Source, limits: IngestLimits, name: str | None = None) -> Bundle:
    """The input as files: a path (file or folder) or uploaded bytes named ``name``."""
    if isinstance(source, bytes):
        return bundle_from_bytes(source, name or "upload", limits)
    return bundle_from_path(Path(source), limits)


def _source_info(bundle: Bundle) -> SourceInfo:
    return SourceInfo(
        name=bundle.display_name,
        files=len(bundle.files),
        bytes=bundle.total_bytes,
        sha256=hashlib.sha256(bundle.files[bundle.main]).hexdigest(),
    )


async def ingest_file(
    source: Source,
    params: IngestParams | None,
    blobs: BlobStore,
    *,
    name: str | None = None,
    limits: IngestLimits | None = None,
    prefix: str = DEFAULT_PREFIX,
    runner: SandboxRunner = run_sandboxed,
) -> IngestReport:
    """Validate, normalise and optimise one input; store the outputs in ``blobs``.

    Async: the pipeline runs in a sandbox process awaited from a worker thread, so the event
    loop stays free. Rejected inputs come back as a report with ``verdict='rejected'`` (call
    ``raise_for_rejection()`` for the exception); pipeline failures raise ``IngestFailed``.
    """
    params = params or IngestParams()
    limits = limits or IngestLimits()
    try:
        bundle = await asyncio.to_thread(load_bundle, source, limits, name)
    except IngestRejected as error:
        label = name or (str(source) if not isinstance(source, bytes) else "upload")
        return IngestReport(
            key="",
            params=params,
            source=SourceInfo(name=label, files=0, bytes=0, sha256=""),
            verdict="rejected",
            rejection=Rejection.of(error),
        )
    key = bundle.cache_key(params)
    report_key = output_key(prefix, key, REPORT_NAME)
    if await blobs.exists(report_key):
        stored = IngestReport.model_validate_json(await blobs.get(report_key))
        return stored.model_copy(update={"from_cache": True})
    info = _source_info(bundle)
    job = JobSpec(
        mode="ingest",
        main=bundle.main,
        key=key,
        prefix=prefix,
        params=params,
        limits=limits,
        source=info,
    )
    with tempfile.TemporaryDirectory(prefix="vitrine-ingest-") as temporary:
        workdir = Path(temporary)
        try:
            result = await asyncio.to_thread(_prepare_and_run, bundle, job, runner, workdir)
        except IngestRejected as error:
            report = IngestReport(
                key=key,
                params=params,
                source=info,
                verdict="rejected",
                rejection=Rejection.of(error),
            )
            if error.check not in LIMITED:
                await blobs.put(report_key, report.model_dump_json(indent=1).encode(), JSON_TYPE)
            return report
        report = IngestReport.model_validate(result["report"])
        await _upload(report, workdir / "out", blobs, prefix)
    await put_retrying(blobs, report_key, report.model_dump_json(indent=1).encode(), JSON_TYPE)
    return report


def _prepare_and_run(
    bundle: Bundle, job: JobSpec, runner: SandboxRunner, workdir: Path
) -> dict[str, object]:
    bundle.write_to(workdir / "input")
    (workdir / "job.json").write_text(job.model_dump_json())
    return interpret(runner(workdir, job.limits), job.limits)


async def _upload(report: IngestReport, out: Path, blobs: BlobStore, prefix: str) -> None:
    uploads = []
    for artifact in report.artifacts():
        data = (out / artifact.key.rsplit("/", 1)[-1]).read_bytes()
        if hashlib.sha256(data).hexdigest() != artifact.sha256:
            raise IngestFailed("upload", f"{artifact.key} changed after the pipeline wrote it")
        uploads.append(put_retrying(blobs, artifact.key, data, artifact.content_type))
    validation = {
        "khronos": report.khronos,
        "usdz": report.usdz.model_dump(mode="json") if report.usdz else None,
    }
    uploads.append(
        put_retrying(
            blobs,
            output_key(prefix, report.key, VALIDATION_NAME),
            json.dumps(validation, indent=1).encode(),
            JSON_TYPE,
        )
    )
    await asyncio.gather(*uploads)


def validate_file(
    source: Source,
    *,
    name: str | None = None,
    limits: IngestLimits | None = None,
    runner: SandboxRunner = run_sandboxed,
) -> ValidationSummary:
    """Only the checks (sandboxed, with the Khronos validator); raises ``IngestRejected``.

    Synchronous and blocking (about a second): call it through ``asyncio.to_thread`` from
    async code.
    """
    limits = limits or IngestLimits()
    bundle = load_bundle(source, limits, name)
    job = JobSpec(
        mode="validate",
        main=bundle.main,
        key=bundle.cache_key(IngestParams()),
        prefix=DEFAULT_PREFIX,
        params=IngestParams(),
        limits=limits,
        source=_source_info(bundle),
    )
    with tempfile.TemporaryDirectory(prefix="vitrine-validate-") as temporary:
        result = _prepare_and_run(bundle, job, runner, Path(temporary))
    return ValidationSummary.model_validate(result["validation"])


def ingest_file_sync(
    source: Source,
    params: IngestParams | None,
    blobs: BlobStore,
    **options: object,
) -> IngestReport:
    """``ingest_file`` for synchronous callers (runs its own event loop)."""
    return asyncio.run(ingest_file(source, params, blobs, **options))  # type: ignore[arg-type]
