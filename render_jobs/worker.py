"""The job worker: SQS long polling, idempotent job records, heartbeats, clean shutdown.

Ingest and render jobs share the queue, the job records and this loop; a render job's
message carries ``kind: render`` and its record a ``RenderSpec`` (see ``render_job``).
Render progress (status, stage, percent) is published as ``Topic.RENDER_JOB_PROGRESS``.

For each message: parse the versioned body, claim the job (a conditional write, so a
duplicate delivery never runs it twice), download the upload, run ``ingest_file`` (outputs go
to the BlobStore under content-hash keys), write the ``AssetRecord``, attach it to the
product, queue the asset's default-look poster render (``ingest_poster_size``) and mark the
job SUCCEEDED, then delete the message. A render job's files are recorded on its asset
(``Catalog.record_renders``) before the job is marked SUCCEEDED.

* A rejected file marks the job FAILED with the check, where and reason; the message is
  deleted (a retry cannot help).
* An unexpected exception releases the job and lets the message return after
  ``retry_delay_seconds``; on the last receive (``ApproximateReceiveCount`` reaching the
  queue's ``maxReceiveCount``) the job is marked FAILED with the reason, and SQS moves the
  message to the dead-letter queue when it would be received again.
* While a job runs, a heartbeat extends the message's visibility and the job's lease.
* ``stop()`` (SIGTERM) stops polling: a long poll in flight runs out (at most
  ``wait_seconds``) and hands back what it took; a running job gets
  ``shutdown_grace_seconds`` to finish, else it is cancelled, the job released and its
  message made visible again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum

from datasources.errors import NotFound, VersionConflict
from datasources.events.changes import asset_rendered, render_job_progress
from datasources.events.in_process import InProcessEventBus
from datasources.events.publishing import publish_all
from datasources.job_records import (
    BadJobMessage,
    IngestJobRecord,
    JobError,
    JobKind,
    JobStatus,
    QueuedMessage,
    RenderKind,
    RenderOutput,
    RenderSpec,
    parse_job_message,
)
from datasources.ports import BlobStore, Catalog, EventBus, JobQueue, JobStore
from datasources.records import AssetFormat, AssetRecord, AssetSource, Bounds
from datasources.render_queue import queue_render
from render_jobs.glb import GlbFormatError
from render_jobs.ingest.report import GLB_TYPE, USDZ_TYPE, IngestReport
from render_jobs.render import RenderSizeError, RenderThread, UnknownVariant
from render_jobs.render_job import render_job_outputs

log = logging.getLogger("vitrine.worker")

IngestFn = Callable[..., Awaitable[IngestReport]]
POSTER_JOB_SUFFIX = "-poster"
"""An ingest job's poster render job is ``<ingest job id>-poster``."""


class Outcome(StrEnum):
    """What the worker did with one message."""

    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    RETRY = "RETRY"
    SKIPPED = "SKIPPED"
    BUSY = "BUSY"
    RELEASED = "RELEASED"


def _default_worker_id() -> str:
    return f"{socket.gethostname()}:{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True)
class WorkerConfig:
    """How the worker polls, heartbeats, retries and shuts down."""

    concurrency: int = 2
    wait_seconds: int = 20
    visibility_timeout_seconds: int = 120
    max_receive_count: int = 3
    retry_delay_seconds: int = 30
    shutdown_grace_seconds: float = 30.0
    heartbeat_seconds: float | None = None
    worker_id: str = field(default_factory=_default_worker_id)
    ingest_poster_size: int = 1024
    """Pixels of the default-look poster queued for each ingested asset; 0: none."""

    @property
    def heartbeat_interval(self) -> float:
        """Seconds between heartbeats (a third of the visibility timeout by default)."""
        if self.heartbeat_seconds is not None:
            return self.heartbeat_seconds
        return max(0.5, self.visibility_timeout_seconds / 3)

    @property
    def lease_seconds(self) -> float:
        """How long a claim holds a job without a heartbeat: a little under the visibility
        timeout, so a returned message finds the lease of a dead worker expired."""
        timeout = float(self.visibility_timeout_seconds)
        return max(0.5, timeout - min(5.0, timeout * 0.25))


def asset_from_report(asset_id: str, product_id: str, report: IngestReport) -> AssetRecord:
    """The asset record of an accepted ingest: a GLB source per delivery LOD, plus USDZ."""
    if not report.lods or report.master is None:
        raise ValueError("an accepted ingest report has LODs and a master")
    lod0 = report.lods[0]
    sources = [
        AssetSource(
            format=AssetFormat.GLB,
            lod=lod.level,
            key=lod.delivery.key,
            byte_size=lod.delivery.bytes,
            triangle_count=lod.delivery_stats.triangles,
            content_type=GLB_TYPE,
        )
        for lod in report.lods
    ]
    if report.usdz is not None:
        sources.append(
            AssetSource(
                format=AssetFormat.USDZ,
                lod=0,
                key=report.usdz.artifact.key,
                byte_size=report.usdz.artifact.bytes,
                triangle_count=report.master.triangles,
                content_type=USDZ_TYPE,
            )
        )
    master = report.master
    return AssetRecord(
        id=asset_id,
        product_id=product_id,
        format=AssetFormat.GLB,
        triangle_count=lod0.delivery_stats.triangles,
        vertex_count=lod0.delivery_stats.vertices,
        draw_calls=lod0.delivery_stats.draw_calls,
        material_count=lod0.delivery_stats.materials,
        texture_count=lod0.delivery_stats.textures,
        byte_size=lod0.delivery.bytes,
        bounds=Bounds(min=tuple(master.bounds_min), max=tuple(master.bounds_max)),  # type: ignore[arg-type]
        sources=tuple(sources),
        sha256=report.source.sha256,
        created_at=datetime.now(UTC),
        master_key=lod0.glb.key,
        report_key=report.stored_key(),
    )


class IngestWorker:
    """Consumes ingest job messages; safe to run many of (at-least-once delivery)."""

    def __init__(
        self,
        *,
        queue: JobQueue,
        jobs: JobStore,
        blobs: BlobStore,
        catalog: Catalog,
        config: WorkerConfig | None = None,
        ingest: IngestFn | None = None,
        events: EventBus | None = None,
        renderer: RenderThread | None = None,
    ) -> None:
        self.queue = queue
        self.events: EventBus = events if events is not None else InProcessEventBus()
        """Where RENDER_JOB_PROGRESS is published (the gateway's bus, Redis across processes)."""
        self.jobs = jobs
        self.blobs = blobs
        self.catalog = catalog
        self.config = config or WorkerConfig()
        self._ingest_fn = ingest
        self._renderer = renderer
        self._owns_renderer = renderer is None
        self.stopping = asyncio.Event()
        self.outcomes: list[tuple[str, Outcome]] = []

    # -- lifecycle --------------------------------------------------------------------------

    def close(self) -> None:
        """Release the GL context of a renderer this worker created."""
        if self._owns_renderer and self._renderer is not None:
            self._renderer.close()
            self._renderer = None

    def stop(self) -> None:
        """Stop polling and finish (or release) the running jobs."""
        if not self.stopping.is_set():
            log.info("worker %s stopping", self.config.worker_id)
        self.stopping.set()

    def install_signal_handlers(self) -> Callable[[], None]:
        """Call ``stop`` on SIGTERM and SIGINT; returns a function removing the handlers."""
        loop = asyncio.get_running_loop()
        for number in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(number, self.stop)

        def remove() -> None:
            for number in (signal.SIGTERM, signal.SIGINT):
                loop.remove_signal_handler(number)

        return remove

    async def run(self, *, until_idle: bool = False) -> None:
        """Poll with ``concurrency`` consumers until ``stop()``; with ``until_idle``, each
        consumer also ends after a poll that returns nothing (tests, batch drains)."""
        log.info(
            "worker %s polling with concurrency %d",
            self.config.worker_id,
            self.config.concurrency,
        )
        await asyncio.gather(*(self._consume(until_idle) for _ in range(self.config.concurrency)))

    async def _consume(self, until_idle: bool) -> None:
        while not self.stopping.is_set():
            messages = await self._poll()
            if messages is None:
                return
            if not messages and until_idle:
                return
            for message in messages:
                await self._handle_guarded(message)

    async def _poll(self) -> list[QueuedMessage] | None:
        receive = asyncio.ensure_future(
            self.queue.receive(1, self.config.wait_seconds, self.config.visibility_timeout_seconds)
        )
        stop = asyncio.ensure_future(self.stopping.wait())
        done, _ = await asyncio.wait({receive, stop}, return_when=asyncio.FIRST_COMPLETED)
        stop.cancel()
        if receive in done:
            return receive.result()
        await self._hand_back(receive)
        return None

    async def _hand_back(self, receive: asyncio.Future[list[QueuedMessage]]) -> None:
        """End a long poll interrupted by ``stop()`` and make what it took visible again.

        Cancelling the request would not cancel it at SQS: a message arriving during the
        rest of the wait would be taken by nobody and stay hidden for the whole visibility
        timeout. So the poll runs out (at most ``wait_seconds``) and its messages go back."""
        try:
            messages = await asyncio.wait_for(receive, self.config.wait_seconds + 5)
        except Exception as error:
            log.warning("long poll interrupted by stop ended with %r", error)
            return
        for message in messages:
            try:
                await self.queue.change_visibility(message.receipt_handle, 0)
            except Exception as error:
                log.warning("message %s not handed back: %s", message.message_id, error)
            else:
                log.info("message %s handed back on stop", message.message_id)

    async def _handle_guarded(self, message: QueuedMessage) -> None:
        task = asyncio.ensure_future(self.handle(message))
        stop = asyncio.ensure_future(self.stopping.wait())
        await asyncio.wait({task, stop}, return_when=asyncio.FIRST_COMPLETED)
        stop.cancel()
        if not task.done():
            _, pending = await asyncio.wait({task}, timeout=self.config.shutdown_grace_seconds)
            if pending:
                task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    # -- one message ------------------------------------------------------------------------

    async def handle(self, message: QueuedMessage) -> Outcome:
        """Process one message; the outcome is also appended to ``outcomes``."""
        outcome = await self._handle(message)
        self.outcomes.append((message.message_id, outcome))
        log.info("message %s: %s", message.message_id, outcome.value)
        return outcome

    async def _retry_later(self, message: QueuedMessage) -> Outcome:
        await self.queue.change_visibility(message.receipt_handle, self.config.retry_delay_seconds)
        return Outcome.RETRY

    async def _handle(self, message: QueuedMessage) -> Outcome:
        try:
            body = parse_job_message(message.body)
        except BadJobMessage as error:
            log.error(
                "poison message %s (receive %d of %d): %s",
                message.message_id,
                message.receive_count,
                self.config.max_receive_count,
                error,
            )
            return await self._retry_later(message)
        job = (await self.jobs.jobs_by_ids([body.job_id]))[0]
        if job is None:
            log.error("message %s names no job %s", message.message_id, body.job_id)
            return await self._retry_later(message)
        if job.status.finished:
            await self.queue.delete(message.receipt_handle)
            return Outcome.SKIPPED
        claimed = await self.jobs.claim(
            job.id, self.config.worker_id, self.config.lease_seconds, datetime.now(UTC)
        )
        if claimed is None:
            return await self._retry_later(message)
        await self._progress(claimed, "claimed", 5)
        progress = [5]
        heartbeat = asyncio.ensure_future(self._heartbeat(message, claimed, progress))
        try:
            return await self._run_job(message, claimed, progress)
        except asyncio.CancelledError:
            await asyncio.shield(self._release(message, claimed))
            raise
        except Exception as error:
            return await self._fault(message, claimed, error)
        finally:
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeat

    async def _progress(self, job: IngestJobRecord, stage: str, percent: int) -> None:
        """Publish RENDER_JOB_PROGRESS for ``job`` (after its record was written)."""
        await publish_all(self.events, [render_job_progress(job, stage, percent)])

    async def _release(self, message: QueuedMessage, job: IngestJobRecord) -> None:
        log.warning("releasing job %s (attempt %d) at shutdown", job.id, job.attempts)
        await self.jobs.release(job.id, job.attempts)
        await self.queue.change_visibility(message.receipt_handle, 0)
        self.outcomes.append((message.message_id, Outcome.RELEASED))

    async def _fault(
        self, message: QueuedMessage, job: IngestJobRecord, error: Exception
    ) -> Outcome:
        reason = f"{type(error).__name__}: {error}"
        if message.receive_count >= self.config.max_receive_count:
            log.error("job %s failed for good after %d tries: %s", job.id, job.attempts, reason)
            await self.jobs.fail(
                job.id,
                JobError(
                    check="pipeline",
                    where="worker",
                    reason=f"gave up after {message.receive_count} deliveries: {reason}",
                ),
                datetime.now(UTC),
                attempt=job.attempts,
            )
            await self._progress(replace(job, status=JobStatus.FAILED), "failed", 100)
            return Outcome.FAILED
        log.warning("job %s attempt %d failed, will retry: %s", job.id, job.attempts, reason)
        await self.jobs.release(job.id, job.attempts)
        return await self._retry_later(message)

    async def _heartbeat(
        self, message: QueuedMessage, job: IngestJobRecord, progress: list[int]
    ) -> None:
        while True:
            await asyncio.sleep(self.config.heartbeat_interval)
            try:
                await self.queue.change_visibility(
                    message.receipt_handle, self.config.visibility_timeout_seconds
                )
                await self.jobs.heartbeat(
                    job.id, job.attempts, self.config.lease_seconds, progress[0], datetime.now(UTC)
                )
            except Exception as error:
                log.warning("heartbeat of job %s failed: %s", job.id, error)

    async def _ingest(self, data: bytes, name: str) -> IngestReport:
        if self._ingest_fn is not None:
            return await self._ingest_fn(data, None, self.blobs, name=name)
        from render_jobs.ingest.job import ingest_file

        return await ingest_file(data, None, self.blobs, name=name)

    async def _run_job(
        self, message: QueuedMessage, job: IngestJobRecord, progress: list[int]
    ) -> Outcome:
        if job.kind is JobKind.RENDER:
            return await self._run_render(message, job, progress)
        started = datetime.now(UTC)
        data = await self.blobs.get(job.upload_key)
        progress[0] = 10
        await self._progress(job, "ingesting", 10)
        report = await self._ingest(data, job.file_name)
        progress[0] = 90
        if report.rejection is not None:
            rejection = report.rejection
            await self.jobs.fail(
                job.id,
                JobError(check=rejection.check, where=rejection.where, reason=rejection.reason),
                datetime.now(UTC),
                attempt=job.attempts,
            )
            await self._progress(replace(job, status=JobStatus.FAILED), "rejected", 100)
            await self.queue.delete(message.receipt_handle)
            return Outcome.FAILED
        asset = asset_from_report(job.id, job.product_id, report)
        await self.catalog.put_asset(asset)
        await self._attach(job.product_id, asset.id)
        poster_job_id = await self._queue_poster(job, asset)
        output_keys = [artifact.key for artifact in report.artifacts()]
        if not await self.jobs.succeed(
            job.id,
            job.attempts,
            asset.id,
            output_keys,
            datetime.now(UTC),
            poster_job_id=poster_job_id,
        ):
            log.warning("job %s moved on while attempt %d ran", job.id, job.attempts)
        else:
            done = replace(job, status=JobStatus.SUCCEEDED, asset_id=asset.id, progress=100)
            await self._progress(done, "succeeded", 100)
        await self.queue.delete(message.receipt_handle)
        log.info(
            "job %s ingested %s in %.1fs",
            job.id,
            job.file_name,
            (datetime.now(UTC) - started).total_seconds(),
        )
        return Outcome.SUCCEEDED

    async def _queue_poster(self, job: IngestJobRecord, asset: AssetRecord) -> str | None:
        """Queue the default-look poster of a new asset (so listings show a picture before
        anyone asks for renders); the job id is derived from the ingest's, so a retried
        ingest queues the same job again rather than a second one."""
        size = self.config.ingest_poster_size
        if size <= 0:
            return None
        spec = RenderSpec(asset_id=asset.id, kind=RenderKind.POSTER, size=size)
        poster = await queue_render(
            self.jobs, self.queue, asset, spec, job_id=f"{job.id}{POSTER_JOB_SUFFIX}"
        )
        return poster.id

    async def _attach(self, product_id: str, asset_id: str) -> None:
        for attempt in range(2):
            product = (await self.catalog.products_by_ids([product_id]))[0]
            if product is None:
                raise NotFound(f"product {product_id} is gone")
            if asset_id in product.asset_ids:
                return
            updated = replace(
                product,
                asset_ids=(*product.asset_ids, asset_id),
                updated_at=datetime.now(UTC),
            )
            try:
                await self.catalog.update_product(updated, product.version)
                return
            except VersionConflict:
                if attempt == 1:
                    raise

    # -- render jobs ------------------------------------------------------------------------

    def renderer(self) -> RenderThread:
        """The GL thread (created on the first render job)."""
        if self._renderer is None:
            self._renderer = RenderThread()
        return self._renderer

    async def _run_render(
        self, message: QueuedMessage, job: IngestJobRecord, progress: list[int]
    ) -> Outcome:
        spec = job.render
        if spec is None:
            raise BadJobMessage(f"render job {job.id} has no render parameters")
        await self._progress(replace(job, status=JobStatus.RUNNING), "loading", 5)
        glb = await self.blobs.get(job.upload_key)

        async def advance(stage: str, percent: int) -> None:
            progress[0] = percent
            await self._progress(replace(job, status=JobStatus.RUNNING), stage, percent)

        try:
            result = await render_job_outputs(spec, glb, self.blobs, self.renderer(), advance)
        except (UnknownVariant, GlbFormatError, RenderSizeError) as error:
            # the input or the parameters are wrong: a retry cannot help
            await self.jobs.fail(
                job.id,
                JobError(check="render", where=job.upload_key, reason=str(error)),
                datetime.now(UTC),
                attempt=job.attempts,
            )
            await self.queue.delete(message.receipt_handle)
            await self._progress(replace(job, status=JobStatus.FAILED), "failed", progress[0])
            return Outcome.FAILED
        await self._record_renders(spec.asset_id, result.outputs)
        keys = [output.key for output in result.outputs]
        if not await self.jobs.succeed(
            job.id, job.attempts, spec.asset_id, keys, datetime.now(UTC), result.outputs
        ):
            log.warning("job %s moved on while attempt %d ran", job.id, job.attempts)
        await self.queue.delete(message.receipt_handle)
        await self._progress(replace(job, status=JobStatus.SUCCEEDED), "done", 100)
        log.info(
            "render job %s: %d variant(s) rendered, %d from the cache",
            job.id,
            result.rendered,
            result.cached,
        )
        return Outcome.SUCCEEDED

    async def _record_renders(self, asset_id: str, outputs: tuple[RenderOutput, ...]) -> None:
        """Record the files on the asset and tell the caches its product's answers changed."""
        asset = await self.catalog.record_renders(asset_id, outputs)
        if asset is None:
            log.warning("asset %s is gone: its renders are not recorded", asset_id)
            return
        if asset.product_id:
            await publish_all(self.events, [asset_rendered(asset)])
