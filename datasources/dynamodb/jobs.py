"""Upload tickets and ingest job records in the catalog table (kinds UPLOAD and JOB).

Every job transition is one conditional UpdateItem, so two deliveries of the same queue
message never both run the job: a worker claims a QUEUED job, or a RUNNING one whose lease
(extended by the worker's heartbeat) has run out, and only the claimed attempt may finish it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from botocore.exceptions import BotoCoreError
from pynamodb.exceptions import PutError, PynamoDBException, UpdateError

from datasources.dynamodb.models import CatalogModels, TableConfig, job_key, upload_key
from datasources.errors import AlreadyExists, DataSourceUnavailable
from datasources.instrumentation import record_call
from datasources.job_records import (
    IngestJobRecord,
    JobError,
    JobKind,
    JobStatus,
    JobTimings,
    RenderOutput,
    RenderSpec,
    UploadTicket,
)

T = TypeVar("T")
SERVICE = "dynamodb"
_CONDITION_FAILED = "ConditionalCheckFailedException"


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _condition_failed(error: PynamoDBException) -> bool:
    return getattr(error, "cause_response_code", None) == _CONDITION_FAILED


class DynamoDBJobStore:
    """JobStore port on the catalog table (see ``models`` for the item layout)."""

    def __init__(self, config: TableConfig, models: CatalogModels) -> None:
        self._config = config
        self._models = models

    async def _run(self, operation: str, call: Callable[[], T]) -> T:
        with record_call(SERVICE, operation):
            try:
                return await asyncio.to_thread(call)
            except (PutError, UpdateError) as error:
                if _condition_failed(error):
                    raise
                raise self._unavailable(error) from error
            except (PynamoDBException, BotoCoreError) as error:
                raise self._unavailable(error) from error

    def _unavailable(self, error: Exception) -> DataSourceUnavailable:
        cause = getattr(error, "cause", None) or error
        return DataSourceUnavailable(
            f"DynamoDB table {self._config.table_name!r} at {self._config.endpoint_url or 'AWS'}",
            f"{type(cause).__name__}: {cause}",
        )

    # -- uploads ----------------------------------------------------------------------------

    async def create_upload(self, ticket: UploadTicket, product_id: str, file_name: str) -> None:
        """Remember an upload ticket until it is finalized."""
        pk, sk = upload_key(ticket.upload_id)
        item = self._models.upload(
            pk,
            sk,
            upload_id=ticket.upload_id,
            product_id=product_id,
            object_key=ticket.key,
            file_name=file_name,
            content_type=ticket.fields.get("Content-Type", ""),
            max_bytes=ticket.max_bytes,
            expires_at=_utc(ticket.expires_at),
        )
        await self._run("PutItem", item.save)

    async def upload(self, upload_id: str) -> tuple[UploadTicket, str, str] | None:
        """(ticket without URL and fields, product id, file name) of an upload, or None."""
        items = await self._run(
            "GetItem", lambda: list(self._models.item.batch_get([upload_key(upload_id)]))
        )
        if not items:
            return None
        item = items[0]
        ticket = UploadTicket(
            upload_id=item.upload_id,
            key=item.object_key,
            url="",
            fields={"Content-Type": item.content_type},
            expires_at=item.expires_at,
            max_bytes=int(item.max_bytes),
        )
        return ticket, item.product_id, item.file_name

    # -- jobs -------------------------------------------------------------------------------

    async def create_job(self, job: IngestJobRecord) -> IngestJobRecord:
        """Store a new job; AlreadyExists when the id is taken."""
        pk, sk = job_key(job.id)
        item = self._models.job(
            pk,
            sk,
            job_id=job.id,
            product_id=job.product_id,
            upload_key=job.upload_key,
            file_name=job.file_name,
            status=job.status.value,
            attempts=job.attempts,
            progress=job.progress,
            queued_at=_utc(job.timings.queued_at),
            job_kind=job.kind.value,
            render=None if job.render is None else job.render.to_dict(),
        )
        try:
            await self._run(
                "PutItem", lambda: item.save(condition=self._models.item.pk.does_not_exist())
            )
        except PutError as error:
            raise AlreadyExists(f"A job with id {job.id!r} exists already") from error
        return _to_record(item)

    async def jobs_by_ids(self, ids: Sequence[str]) -> list[IngestJobRecord | None]:
        """Jobs for ``ids`` in one BatchGetItem (at most 100 ids)."""
        if not ids:
            return []
        keys = list(dict.fromkeys(job_key(i) for i in ids))
        items = await self._run(
            "BatchGetItem", lambda: list(self._models.item.batch_get(keys, consistent_read=True))
        )
        found = {item.job_id: _to_record(item) for item in items}
        return [found.get(i) for i in ids]

    async def _update(self, job_id: str, actions: list[Any], condition: Any) -> Any | None:
        pk, sk = job_key(job_id)
        item = self._models.job(pk, sk)
        job = self._models.job
        condition = condition & job.pk.exists()
        try:
            await self._run("UpdateItem", lambda: item.update(actions=actions, condition=condition))
        except UpdateError:
            return None
        return item

    async def claim(
        self, job_id: str, worker_id: str, lease_seconds: float, now: datetime
    ) -> IngestJobRecord | None:
        """QUEUED (or RUNNING past its lease) → RUNNING with one more attempt."""
        job = self._models.job
        now = _utc(now)
        condition = (job.status == JobStatus.QUEUED.value) | (
            (job.status == JobStatus.RUNNING.value) & (job.lease_until < now)
        )
        item = await self._update(
            job_id,
            [
                job.status.set(JobStatus.RUNNING.value),
                job.attempts.add(1),
                job.worker_id.set(worker_id),
                job.lease_until.set(now + timedelta(seconds=lease_seconds)),
                job.started_at.set(now),
                job.progress.set(0),
            ],
            condition,
        )
        return None if item is None else _to_record(item)

    def _running(self, attempt: int) -> Any:
        job = self._models.job
        return (job.status == JobStatus.RUNNING.value) & (job.attempts == attempt)

    async def heartbeat(
        self, job_id: str, attempt: int, lease_seconds: float, progress: int, now: datetime
    ) -> bool:
        """Extend the lease of the running ``attempt`` and record its progress."""
        job = self._models.job
        item = await self._update(
            job_id,
            [
                job.lease_until.set(_utc(now) + timedelta(seconds=lease_seconds)),
                job.progress.set(max(0, min(100, progress))),
            ],
            self._running(attempt),
        )
        return item is not None

    async def release(self, job_id: str, attempt: int) -> bool:
        """RUNNING ``attempt`` → QUEUED (shutdown or a retryable fault)."""
        job = self._models.job
        item = await self._update(
            job_id,
            [job.status.set(JobStatus.QUEUED.value), job.lease_until.remove()],
            self._running(attempt),
        )
        return item is not None

    async def succeed(
        self,
        job_id: str,
        attempt: int,
        asset_id: str,
        output_keys: Sequence[str],
        now: datetime,
        render_outputs: Sequence[RenderOutput] = (),
        poster_job_id: str | None = None,
    ) -> bool:
        """RUNNING ``attempt`` → SUCCEEDED."""
        job = self._models.job
        actions = [
            job.status.set(JobStatus.SUCCEEDED.value),
            job.progress.set(100),
            job.asset_id.set(asset_id),
            job.output_keys.set(list(output_keys)),
            job.finished_at.set(_utc(now)),
            job.lease_until.remove(),
        ]
        if render_outputs:
            actions.append(job.render_outputs.set([o.to_dict() for o in render_outputs]))
        if poster_job_id is not None:
            actions.append(job.poster_job_id.set(poster_job_id))
        item = await self._update(
            job_id,
            actions,
            self._running(attempt),
        )
        return item is not None

    async def fail(
        self, job_id: str, error: JobError, now: datetime, attempt: int | None = None
    ) -> bool:
        """Unfinished (or the running ``attempt``) → FAILED with the error."""
        job = self._models.job
        condition = (
            job.status.is_in(JobStatus.QUEUED.value, JobStatus.RUNNING.value)
            if attempt is None
            else self._running(attempt)
        )
        item = await self._update(
            job_id,
            [
                job.status.set(JobStatus.FAILED.value),
                job.error.set({"check": error.check, "where": error.where, "reason": error.reason}),
                job.finished_at.set(_utc(now)),
                job.lease_until.remove(),
            ],
            condition,
        )
        return item is not None


def _to_record(item: Any) -> IngestJobRecord:
    error = item.error
    return IngestJobRecord(
        id=item.job_id,
        product_id=item.product_id,
        upload_key=item.upload_key,
        file_name=item.file_name,
        status=JobStatus(item.status),
        timings=JobTimings(
            queued_at=item.queued_at, started_at=item.started_at, finished_at=item.finished_at
        ),
        attempts=int(item.attempts),
        progress=int(item.progress),
        error=None
        if error is None
        else JobError(check=error["check"], where=error["where"], reason=error["reason"]),
        output_keys=tuple(item.output_keys or ()),
        asset_id=item.asset_id,
        worker_id=item.worker_id,
        kind=JobKind(item.job_kind or JobKind.INGEST.value),
        render=None if item.render is None else RenderSpec.from_dict(item.render),
        render_outputs=tuple(RenderOutput.from_dict(o) for o in item.render_outputs or ()),
        poster_job_id=item.poster_job_id,
    )
