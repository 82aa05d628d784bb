"""Ingest and render jobs: the job record kept in DynamoDB and the versioned queue messages.

A job moves QUEUED → RUNNING → SUCCEEDED | FAILED; a RUNNING job whose worker died goes back
to RUNNING under the next claim (``attempts`` counts the claims). Every transition is a
conditional write, so a message delivered twice is processed once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

MESSAGE_VERSION = 1


class JobStatus(StrEnum):
    """Where an ingest job is."""

    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"

    @property
    def finished(self) -> bool:
        """Whether the job will not change any more."""
        return self in {JobStatus.SUCCEEDED, JobStatus.FAILED}


class JobKind(StrEnum):
    """What a job does: ingest an uploaded file, or render images of an asset."""

    INGEST = "INGEST"
    RENDER = "RENDER"


class RenderKind(StrEnum):
    """What a render job makes."""

    POSTER = "POSTER"
    TURNTABLE = "TURNTABLE"


class RenderRole(StrEnum):
    """What one rendered file is (``RenderOutput.role``)."""

    POSTER_PNG = "poster.png"
    POSTER_WEBP = "poster.webp"
    TURNTABLE_SHEET = "turntable.png"
    """The frames as a sprite sheet, row by row."""
    TURNTABLE_WEBP = "turntable.webp"
    """The frames as an animated WebP."""


@dataclass(frozen=True, slots=True)
class RenderSpec:
    """The parameters of a render job: which asset, what, per variant, how large."""

    asset_id: str
    kind: RenderKind
    variants: tuple[str, ...] = ()
    """Material variant names; empty means the model's default look only."""
    size: int = 1024
    frames: int = 1

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form (job records)."""
        return {
            "asset_id": self.asset_id,
            "kind": self.kind.value,
            "variants": list(self.variants),
            "size": self.size,
            "frames": self.frames,
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> RenderSpec:
        """Inverse of ``to_dict``."""
        return cls(
            asset_id=str(raw["asset_id"]),
            kind=RenderKind(raw["kind"]),
            variants=tuple(str(v) for v in raw.get("variants", [])),
            size=int(raw["size"]),
            frames=int(raw["frames"]),
        )


@dataclass(frozen=True, slots=True)
class RenderOutput:
    """One delivered render file: which variant, what it is, where it is stored."""

    variant: str | None
    role: str
    """``poster.png``, ``poster.webp``, ``turntable.png`` (sprite sheet), ``turntable.webp``."""
    key: str
    content_type: str
    byte_size: int
    width: int
    height: int
    frames: int = 1
    columns: int = 1
    rows: int = 1

    @property
    def kind(self) -> RenderKind:
        """POSTER or TURNTABLE, from the role's name."""
        return RenderKind(self.role.split(".", 1)[0].upper())

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form (job records, cache manifests and asset records)."""
        return {
            "variant": self.variant,
            "role": self.role,
            "key": self.key,
            "content_type": self.content_type,
            "byte_size": self.byte_size,
            "width": self.width,
            "height": self.height,
            "frames": self.frames,
            "columns": self.columns,
            "rows": self.rows,
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> RenderOutput:
        """Inverse of ``to_dict``."""
        variant = raw.get("variant")
        return cls(
            variant=None if variant is None else str(variant),
            role=str(raw["role"]),
            key=str(raw["key"]),
            content_type=str(raw["content_type"]),
            byte_size=int(raw["byte_size"]),
            width=int(raw["width"]),
            height=int(raw["height"]),
            frames=int(raw.get("frames", 1)),
            columns=int(raw.get("columns", 1)),
            rows=int(raw.get("rows", 1)),
        )


@dataclass(frozen=True, slots=True)
class JobError:
    """Why a job failed: the check that refused the file (or ``pipeline``), where, and why."""

    check: str
    where: str
    reason: str


@dataclass(frozen=True, slots=True)
class JobTimings:
    """When a job was queued, last started and finished."""

    queued_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None

    @property
    def run_seconds(self) -> float | None:
        """Seconds from the last start to the end, once finished."""
        if self.started_at is None or self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


@dataclass(frozen=True, slots=True)
class IngestJobRecord:
    """One job: the ingest of an uploaded file into a product's 3D asset, or (``kind``
    RENDER) the render of an asset's GLB, named by ``upload_key``, into images."""

    id: str
    product_id: str
    upload_key: str
    file_name: str
    status: JobStatus
    timings: JobTimings
    attempts: int = 0
    progress: int = 0
    error: JobError | None = None
    output_keys: tuple[str, ...] = ()
    asset_id: str | None = None
    worker_id: str | None = None
    kind: JobKind = JobKind.INGEST
    render: RenderSpec | None = None
    render_outputs: tuple[RenderOutput, ...] = ()
    poster_job_id: str | None = None
    """An ingest job's follow-up: the render job queued for the new asset's poster."""


@dataclass(frozen=True, slots=True)
class UploadTicket:
    """A presigned S3 POST: where the browser posts, and the form fields to send with it."""

    upload_id: str
    key: str
    url: str
    fields: dict[str, str]
    expires_at: datetime
    max_bytes: int


@dataclass(frozen=True, slots=True)
class UploadedObject:
    """What HeadObject says about an uploaded file."""

    key: str
    byte_size: int
    content_type: str | None
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class QueuedMessage:
    """A message received from the job queue."""

    message_id: str
    receipt_handle: str
    body: str
    receive_count: int


class BadJobMessage(ValueError):
    """A queue message that is not a job message this worker understands."""


@dataclass(frozen=True, slots=True)
class IngestJobMessage:
    """The versioned body of an ingest job message."""

    job_id: str
    upload_key: str
    product_id: str
    v: int = MESSAGE_VERSION

    def to_json(self) -> str:
        """The message body."""
        return json.dumps(
            {
                "v": self.v,
                "job_id": self.job_id,
                "upload_key": self.upload_key,
                "product_id": self.product_id,
            },
            separators=(",", ":"),
        )

    @classmethod
    def parse(cls, body: str) -> IngestJobMessage:
        """Parse a body; BadJobMessage for junk or an unknown version."""
        try:
            raw: Any = json.loads(body)
        except ValueError as error:
            raise BadJobMessage(f"not JSON: {error}") from error
        if not isinstance(raw, dict) or raw.get("v") != MESSAGE_VERSION:
            raise BadJobMessage(f"not a version {MESSAGE_VERSION} job message")
        values = [raw.get(name) for name in ("job_id", "upload_key", "product_id")]
        if not all(isinstance(value, str) and value for value in values):
            raise BadJobMessage("job_id, upload_key and product_id must be non-empty strings")
        job_id, upload_key, product_id = (str(value) for value in values)
        return cls(job_id=job_id, upload_key=upload_key, product_id=product_id)


@dataclass(frozen=True, slots=True)
class RenderJobMessage:
    """The versioned body of a render job message (``kind: render``)."""

    job_id: str
    asset_id: str
    v: int = MESSAGE_VERSION

    def to_json(self) -> str:
        """The message body."""
        return json.dumps(
            {"v": self.v, "kind": "render", "job_id": self.job_id, "asset_id": self.asset_id},
            separators=(",", ":"),
        )


def parse_job_message(body: str) -> IngestJobMessage | RenderJobMessage:
    """Parse any job message body; BadJobMessage for junk, unknown kinds or versions."""
    try:
        raw: Any = json.loads(body)
    except ValueError as error:
        raise BadJobMessage(f"not JSON: {error}") from error
    if not isinstance(raw, dict) or raw.get("kind", "ingest") == "ingest":
        return IngestJobMessage.parse(body)
    if raw.get("kind") != "render" or raw.get("v") != MESSAGE_VERSION:
        raise BadJobMessage(f"not a version {MESSAGE_VERSION} ingest or render job message")
    job_id, asset_id = raw.get("job_id"), raw.get("asset_id")
    if not (isinstance(job_id, str) and job_id and isinstance(asset_id, str) and asset_id):
        raise BadJobMessage("job_id and asset_id must be non-empty strings")
    return RenderJobMessage(job_id=job_id, asset_id=asset_id)
