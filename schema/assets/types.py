"""Upload tickets, ingest jobs and render jobs."""

from __future__ import annotations

import strawberry

from datasources import job_records
from resolvers import render_requests
from resolvers.global_ids import to_global_id
from resolvers.kit import Pipeline
from schema.backing import backed_by
from schema.scalars import AWSURL, AWSDateTime

strawberry.enum(
    job_records.JobStatus,
    name="IngestJobStatus",
    description="Where an ingest job is: QUEUED, RUNNING, SUCCEEDED, FAILED.",
)

strawberry.enum(
    job_records.JobKind,
    name="JobKind",
    description="What a job does: INGEST an uploaded file, or RENDER images of an asset.",
)
strawberry.enum(
    job_records.RenderKind,
    name="RenderKind",
    description="POSTER (one still per variant) or TURNTABLE (frames around the model).",
)


def _form_fields(root: job_records.UploadTicket) -> list[UploadFormField]:
    return [UploadFormField(name=k, value=v) for k, v in root.fields.items()]


def _product_id(root: job_records.IngestJobRecord) -> strawberry.ID:
    return strawberry.ID(to_global_id("Product", root.product_id))


def _asset_id(root: job_records.IngestJobRecord) -> strawberry.ID | None:
    return None if root.asset_id is None else strawberry.ID(to_global_id("Asset3D", root.asset_id))


def _render_asset_id(root: job_records.RenderSpec) -> strawberry.ID:
    return strawberry.ID(to_global_id("Asset3D", root.asset_id))


@strawberry.type(description="One form field to send with a presigned POST.")
class UploadFormField:
    name: str
    value: str


@strawberry.type(description="A presigned S3 POST: send the fields, then the file as `file`.")
class AssetUpload:
    is_type_of = backed_by(job_records.UploadTicket)

    upload_id: strawberry.ID
    key: str
    url: AWSURL
    expires_at: AWSDateTime
    max_bytes: int
    fields: list[UploadFormField] = strawberry.field(
        resolver=_form_fields, description="Form fields in order; the file goes last."
    )


@strawberry.type(description="Why an ingest job failed: which check, where in the file, why.")
class IngestJobError:
    check: str
    where: str
    reason: str


@strawberry.type(description="When a job was queued, last started and finished.")
class IngestJobTimings:
    queued_at: AWSDateTime
    started_at: AWSDateTime | None
    finished_at: AWSDateTime | None
    run_seconds: float | None


@strawberry.type(description="What a render job was asked to make.")
class RenderParameters:
    is_type_of = backed_by(job_records.RenderSpec)

    kind: job_records.RenderKind
    variants: list[str] = strawberry.field(description="Variant names; empty: the default look.")
    size: int = strawberry.field(description="Frame width and height, pixels.")
    frames: int = strawberry.field(description="Turntable frames (1 for posters).")
    asset_id: strawberry.ID = strawberry.field(
        resolver=_render_asset_id, description="The asset rendered."
    )


@strawberry.type(description="One rendered file, stored under a content-hash key.")
class RenderOutputFile:
    is_type_of = backed_by(render_requests.RenderFile)

    variant: str | None = strawberry.field(description="The material variant; null: default.")
    role: str = strawberry.field(
        description="poster.png, poster.webp, turntable.png (sprite sheet), turntable.webp."
    )
    key: str
    content_type: str
    byte_size: int
    width: int
    height: int
    frames: int
    columns: int = strawberry.field(description="Sprite sheet columns (1 otherwise).")
    rows: int = strawberry.field(description="Sprite sheet rows (1 otherwise).")
    url: AWSURL


@strawberry.type(
    description="A job: the ingest of an uploaded 3D file into a product's asset, or a render."
)
class IngestJob:
    is_type_of = backed_by(job_records.IngestJobRecord)

    id: strawberry.ID = strawberry.field(
        description="The job's id (the upload's id; not a Relay node ID)."
    )
    status: job_records.JobStatus
    progress: int = strawberry.field(description="Percent done (0-100).")
    attempts: int = strawberry.field(description="How many times a worker started it.")
    file_name: str
    error: IngestJobError | None
    timings: IngestJobTimings
    output_keys: list[str]
    product_id: strawberry.ID = strawberry.field(
        resolver=_product_id, description="The product the asset is for."
    )
    asset_id: strawberry.ID | None = strawberry.field(
        resolver=_asset_id, description="The 3D asset made (or rendered), once SUCCEEDED."
    )
    kind: job_records.JobKind
    render: RenderParameters | None = strawberry.field(
        description="A render job's parameters (null for ingest jobs)."
    )
    poster_job_id: strawberry.ID | None = strawberry.field(
        description="An ingest job's follow-up: the job rendering the new asset's poster "
        "(follow it with renderJob); null until the ingest SUCCEEDED, or when automatic "
        "posters are off."
    )
    render_outputs: list[RenderOutputFile] = strawberry.field(
        extensions=[Pipeline(render_requests.render_files)],
        description="A render job's files, once SUCCEEDED.",
    )
