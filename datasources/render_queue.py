"""Queueing a render job: the one place a render job is recorded and enqueued, used by
``requestRender`` and by the worker's poster of a freshly ingested asset."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from datasources.errors import AlreadyExists
from datasources.job_records import (
    IngestJobRecord,
    JobKind,
    JobStatus,
    JobTimings,
    RenderJobMessage,
    RenderSpec,
)
from datasources.ports import JobQueue, JobStore
from datasources.records import AssetRecord


class NothingToRender(ValueError):
    """The asset has no GLB to render yet."""


async def queue_render(
    jobs: JobStore,
    queue: JobQueue,
    asset: AssetRecord,
    spec: RenderSpec,
    *,
    job_id: str | None = None,
) -> IngestJobRecord:
    """Record a QUEUED render job of ``asset`` and send its message.

    Without ``job_id`` the job gets a fresh id. With one, queueing is safe to repeat (a
    retried caller): a job already recorded under that id is sent again rather than made
    twice, and a worker skips it if it has finished.
    """
    source = asset.render_source_key()
    if source is None:
        raise NothingToRender(f"asset {asset.id} has no GLB to render yet")
    job = IngestJobRecord(
        id=job_id or uuid.uuid4().hex,
        product_id=asset.product_id or "",
        upload_key=source,
        file_name=source.rsplit("/", 1)[-1],
        status=JobStatus.QUEUED,
        timings=JobTimings(queued_at=datetime.now(UTC)),
        kind=JobKind.RENDER,
        render=spec,
    )
    try:
        created = await jobs.create_job(job)
    except AlreadyExists:
        if job_id is None:
            raise
        created = (await jobs.jobs_by_ids([job_id]))[0] or job
    await queue.send(RenderJobMessage(job_id=created.id, asset_id=asset.id).to_json())
    return created
