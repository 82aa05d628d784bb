"""``requestRender``: queue a poster or turntable render of an asset, per material variant."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from datasources.job_records import IngestJobRecord, RenderKind, RenderOutput, RenderSpec
from datasources.render_queue import NothingToRender, queue_render
from resolvers.context import JobSources
from resolvers.errors import MutationError, ServiceNotConfigured
from resolvers.kit import DataSource, Run, uses

MIN_RENDER_SIZE = 8
MAX_VARIANTS = 16


class RequestRenderErrorCode(Enum):
    """Why requestRender failed."""

    ASSET_NOT_FOUND = "ASSET_NOT_FOUND"
    ASSET_NOT_READY = "ASSET_NOT_READY"
    TOO_LARGE = "TOO_LARGE"
    TOO_MANY_FRAMES = "TOO_MANY_FRAMES"
    INVALID = "INVALID"


@dataclass(frozen=True)
class RenderRequest:
    """What to render: the asset, poster or turntable, which variants, how large."""

    asset_id: str
    kind: RenderKind
    variants: tuple[str, ...]
    size: int
    frames: int


@dataclass(frozen=True)
class RequestRenderSuccess:
    """The QUEUED render job."""

    job: IngestJobRecord


@dataclass(frozen=True)
class RenderFile:
    """A rendered file of a render job, with a URL a browser can fetch."""

    variant: str | None
    role: str
    key: str
    content_type: str
    byte_size: int
    width: int
    height: int
    frames: int
    columns: int
    rows: int
    url: str

    @classmethod
    def of(cls, output: RenderOutput, url: str) -> RenderFile:
        """The file of ``output`` at ``url``."""
        return cls(
            variant=output.variant,
            role=output.role,
            key=output.key,
            content_type=output.content_type,
            byte_size=output.byte_size,
            width=output.width,
            height=output.height,
            frames=output.frames,
            columns=output.columns,
            rows=output.rows,
            url=url,
        )


def _jobs(run: Run[Any, Any]) -> JobSources:
    jobs = run.ctx.sources.jobs
    if jobs is None:
        raise ServiceNotConfigured("Render jobs are not configured here")
    return jobs


def _check(request: RenderRequest, jobs: JobSources) -> MutationError | None:
    code = RequestRenderErrorCode
    if request.size < MIN_RENDER_SIZE:
        return MutationError(code.INVALID, f"size must be at least {MIN_RENDER_SIZE}", "size")
    if request.size > jobs.render_max_size:
        return MutationError(
            code.TOO_LARGE,
            f"size {request.size} is over the limit of {jobs.render_max_size}",
            "size",
        )
    if request.frames < 1:
        return MutationError(code.INVALID, "frames must be at least 1", "frames")
    if request.kind is RenderKind.TURNTABLE and request.frames > jobs.render_max_frames:
        return MutationError(
            code.TOO_MANY_FRAMES,
            f"{request.frames} frames is over the limit of {jobs.render_max_frames}",
            "frames",
        )
    if len(request.variants) > MAX_VARIANTS or len(set(request.variants)) != len(request.variants):
        return MutationError(
            code.INVALID, f"name at most {MAX_VARIANTS} distinct variants", "variants"
        )
    if any(not name.strip() for name in request.variants):
        return MutationError(code.INVALID, "variant names must not be blank", "variants")
    return None


@uses(DataSource.CATALOG, DataSource.JOB_QUEUE)
async def request_render(run: Run[None, RenderRequest]) -> RequestRenderSuccess | MutationError:
    """``Mutation.requestRender``: record a QUEUED render job and enqueue it.

    Unknown variant names are reported by the job (FAILED, naming the available variants):
    only the GLB knows its variants.
    """
    request = run.arguments
    jobs = _jobs(run)
    error = _check(request, jobs)
    if error is not None:
        return error
    asset = (await run.ctx.sources.catalog.assets_by_ids([request.asset_id]))[0]
    code = RequestRenderErrorCode
    if asset is None:
        return MutationError(code.ASSET_NOT_FOUND, "No such asset", "assetId")
    spec = RenderSpec(
        asset_id=asset.id,
        kind=request.kind,
        variants=request.variants,
        size=request.size,
        frames=request.frames if request.kind is RenderKind.TURNTABLE else 1,
    )
    try:
        created = await queue_render(jobs.jobs, jobs.queue, asset, spec)
    except NothingToRender:
        return MutationError(code.ASSET_NOT_READY, "The asset has no GLB to render yet", "assetId")
    return RequestRenderSuccess(created)


@uses(DataSource.ASSET_BUCKET)
async def render_files(run: Run[IngestJobRecord, None]) -> list[RenderFile]:
    """``IngestJob.renderOutputs``: the job's rendered files with fetchable URLs."""
    urls = run.ctx.sources.asset_urls
    return [RenderFile.of(output, urls.url_for(output.key)) for output in run.source.render_outputs]
