"""Upload tickets and ingest jobs."""

from __future__ import annotations

import strawberry

from datasources import job_records
from resolvers.global_ids import to_global_id
from schema.backing import backed_by
from schema.scalars import AWSURL, AWSDateTime

strawberry.enum(
    job_records.JobStatus,
    name="IngestJobStatus",
    description="Where an ingest job is: QUEUED, RUNNING, SUCCEEDED, FAILED.",
)


def _form_fields(root: job_records.UploadTicket) -> list[UploadFormField]:
    return [UploadFormField(name=k, value=v) for k, v in root.fields.items()]


def _product_id(root: job_records.IngestJobRecord) -> strawberry.ID:
    return strawberry.ID(to_global_id("Product", root.product_id))


def _asset_id(root: job_records.IngestJobRecord) -> strawberry.ID | None:
    return None if root.asset_id is None else strawberry.ID(to_global_id("Asset3D", root.asset_id))


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


@strawberry.type(description="The ingest of one uploaded 3D file into a product's asset.")
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
        resolver=_asset_id, description="The 3D asset made, once SUCCEEDED."
    )
