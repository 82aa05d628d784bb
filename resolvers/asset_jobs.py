"""Merchant uploads of 3D files (presigned S3 POST) and the ingest jobs they start."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum
from pathlib import PurePosixPath
from typing import Any

from datasources.errors import AlreadyExists
from datasources.events.changes import render_job_progress
from datasources.events.publishing import publish_all
from datasources.job_records import (
    IngestJobMessage,
    IngestJobRecord,
    JobStatus,
    JobTimings,
    UploadTicket,
)
from resolvers.context import JobSources
from resolvers.errors import MutationError, ServiceNotConfigured
from resolvers.kit import DataSource, Run, uses

UPLOAD_PREFIX = "uploads"
MAX_FILE_NAME = 120

# File name ending → content types a browser may declare for it.
UPLOAD_TYPES: dict[str, frozenset[str]] = {
    ".glb": frozenset({"model/gltf-binary", "application/octet-stream"}),
    ".zip": frozenset({"application/zip", "application/x-zip-compressed"}),
    ".stl": frozenset({"model/stl", "application/sla", "application/vnd.ms-pki.stl"}),
    ".usdz": frozenset({"model/vnd.usdz+zip", "model/vnd.pixar.usd"}),
}
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class CreateAssetUploadErrorCode(Enum):
    """Why createAssetUpload failed."""

    PRODUCT_NOT_FOUND = "PRODUCT_NOT_FOUND"
    UNSUPPORTED_TYPE = "UNSUPPORTED_TYPE"
    TOO_LARGE = "TOO_LARGE"
    INVALID = "INVALID"


class FinalizeAssetUploadErrorCode(Enum):
    """Why finalizeAssetUpload failed."""

    UPLOAD_NOT_FOUND = "UPLOAD_NOT_FOUND"
    NOT_UPLOADED = "NOT_UPLOADED"
    TOO_LARGE = "TOO_LARGE"


@dataclass(frozen=True)
class AssetUploadRequest:
    """What a merchant wants to upload, and for which product."""

    product_id: str
    file_name: str
    content_type: str
    byte_size: int


@dataclass(frozen=True)
class CreateAssetUploadSuccess:
    """Where and how to POST the file."""

    upload: UploadTicket


@dataclass(frozen=True)
class FinalizeAssetUploadSuccess:
    """The ingest job of the uploaded file (QUEUED, or further on a repeated finalize)."""

    job: IngestJobRecord


@dataclass(frozen=True)
class JobLookup:
    """``renderJob(id)`` arguments."""

    job_id: str


def safe_file_name(file_name: str) -> str:
    """The base name with anything but letters, digits, ``.``, ``_`` and ``-`` replaced."""
    base = PurePosixPath(file_name.replace("\\", "/")).name
    cleaned = _UNSAFE.sub("-", base).strip(".-") or "upload"
    stem, dot, suffix = cleaned.rpartition(".")
    if dot and len(cleaned) > MAX_FILE_NAME:
        return f"{stem[: MAX_FILE_NAME - len(suffix) - 1]}.{suffix}"
    return cleaned[:MAX_FILE_NAME]


def _jobs(run: Run[Any, Any]) -> JobSources:
    jobs = run.ctx.sources.jobs
    if jobs is None:
        raise ServiceNotConfigured("Uploads and ingest jobs are not configured here")
    return jobs


@uses(DataSource.CATALOG, DataSource.ASSET_BUCKET)
async def create_asset_upload(
    run: Run[None, AssetUploadRequest],
) -> CreateAssetUploadSuccess | MutationError:
    """``Mutation.createAssetUpload``: a presigned POST for one 3D file."""
    request = run.arguments
    code = CreateAssetUploadErrorCode
    jobs = _jobs(run)
    name = safe_file_name(request.file_name)
    suffix = PurePosixPath(name).suffix.lower()
    allowed = UPLOAD_TYPES.get(suffix)
    if allowed is None:
        kinds = ", ".join(sorted(UPLOAD_TYPES))
        return MutationError(
            code.UNSUPPORTED_TYPE, f"Upload one of {kinds} (glTF and OBJ as .zip)", "fileName"
        )
    if request.content_type not in allowed:
        expected = ", ".join(sorted(allowed))
        return MutationError(
            code.UNSUPPORTED_TYPE,
            f"A {suffix} file must be sent as {expected}, not {request.content_type!r}",
            "contentType",
        )
    if request.byte_size <= 0:
        return MutationError(code.INVALID, "byteSize must be positive", "byteSize")
    if request.byte_size > jobs.upload_max_bytes:
        return MutationError(
            code.TOO_LARGE,
            f"{request.byte_size} bytes is over the limit of {jobs.upload_max_bytes}",
            "byteSize",
        )
    product = (await run.ctx.sources.catalog.products_by_ids([request.product_id]))[0]
    if product is None:
        return MutationError(code.PRODUCT_NOT_FOUND, "No such product", "productId")
    upload_id = uuid.uuid4().hex
    key = f"{UPLOAD_PREFIX}/{upload_id}/{name}"
    ttl = jobs.upload_url_ttl_seconds
    url, fields = jobs.uploads.presign_post(key, request.content_type, jobs.upload_max_bytes, ttl)
    ticket = UploadTicket(
        upload_id=upload_id,
        key=key,
        url=url,
        fields=fields,
        expires_at=datetime.now(UTC) + timedelta(seconds=ttl),
        max_bytes=jobs.upload_max_bytes,
    )
    await jobs.jobs.create_upload(ticket, request.product_id, name)
    return CreateAssetUploadSuccess(ticket)


@uses(DataSource.CATALOG, DataSource.ASSET_BUCKET, DataSource.JOB_QUEUE)
async def finalize_asset_upload(
    run: Run[None, str],
) -> FinalizeAssetUploadSuccess | MutationError:
    """``Mutation.finalizeAssetUpload``: check the object, record a QUEUED job, enqueue it.

    The job's id is the upload's id, so finalizing twice returns the same job and enqueues
    one message.
    """
    upload_id = run.arguments
    code = FinalizeAssetUploadErrorCode
    jobs = _jobs(run)
    found = await jobs.jobs.upload(upload_id)
    if found is None:
        return MutationError(code.UPLOAD_NOT_FOUND, "No such upload", "uploadId")
    ticket, product_id, file_name = found
    existing = (await jobs.jobs.jobs_by_ids([upload_id]))[0]
    if existing is not None:
        return FinalizeAssetUploadSuccess(existing)
    stored = await jobs.uploads.head(ticket.key)
    if stored is None:
        return MutationError(code.NOT_UPLOADED, "Nothing was uploaded yet", "uploadId")
    if stored.byte_size > ticket.max_bytes:
        return MutationError(
            code.TOO_LARGE,
            f"{stored.byte_size} bytes is over the limit of {ticket.max_bytes}",
            "uploadId",
        )
    job = IngestJobRecord(
        id=upload_id,
        product_id=product_id,
        upload_key=ticket.key,
        file_name=file_name,
        status=JobStatus.QUEUED,
        timings=JobTimings(queued_at=datetime.now(UTC)),
    )
    try:
        created = await jobs.jobs.create_job(job)
    except AlreadyExists:
        again = (await jobs.jobs.jobs_by_ids([upload_id]))[0]
        return FinalizeAssetUploadSuccess(again or job)
    message = IngestJobMessage(job_id=job.id, upload_key=job.upload_key, product_id=product_id)
    await jobs.queue.send(message.to_json())
    owner = run.identity.subject
    await publish_all(run.ctx.sources.events, [render_job_progress(created, "queued", 0, owner)])
    return FinalizeAssetUploadSuccess(created)


@uses(DataSource.CATALOG)
async def render_job(run: Run[None, JobLookup]) -> IngestJobRecord | None:
    """``Query.renderJob``: an ingest job by id."""
    return (await _jobs(run).jobs.jobs_by_ids([run.arguments.job_id]))[0]
