"""Merchant-admin uploads of 3D files; expected failures are typed union members."""

from __future__ import annotations

from typing import Annotated

import strawberry

from resolvers import asset_jobs
from resolvers.asset_jobs import AssetUploadRequest
from resolvers.errors import MutationError
from resolvers.global_ids import expect_global_id
from resolvers.kit import Pipeline
from schema.assets.types import AssetUpload, IngestJob
from schema.backing import backed_by
from schema.permissions import ADMIN_DIRECTIVES, merchant_admin

CreateAssetUploadErrorCode = strawberry.enum(asset_jobs.CreateAssetUploadErrorCode)
FinalizeAssetUploadErrorCode = strawberry.enum(asset_jobs.FinalizeAssetUploadErrorCode)


@strawberry.type(description="createAssetUpload succeeded: POST the file with these fields.")
class CreateAssetUploadSuccess:
    is_type_of = backed_by(asset_jobs.CreateAssetUploadSuccess)

    upload: AssetUpload


@strawberry.type(description="Why createAssetUpload failed.")
class CreateAssetUploadError:
    is_type_of = backed_by(MutationError)

    code: CreateAssetUploadErrorCode  # type: ignore[valid-type]
    message: str
    field: str | None


@strawberry.type(description="finalizeAssetUpload succeeded: the ingest job.")
class FinalizeAssetUploadSuccess:
    is_type_of = backed_by(asset_jobs.FinalizeAssetUploadSuccess)

    job: IngestJob


@strawberry.type(description="Why finalizeAssetUpload failed.")
class FinalizeAssetUploadError:
    is_type_of = backed_by(MutationError)

    code: FinalizeAssetUploadErrorCode  # type: ignore[valid-type]
    message: str
    field: str | None


CreateAssetUploadResult = Annotated[
    CreateAssetUploadSuccess | CreateAssetUploadError, strawberry.union("CreateAssetUploadResult")
]
FinalizeAssetUploadResult = Annotated[
    FinalizeAssetUploadSuccess | FinalizeAssetUploadError,
    strawberry.union("FinalizeAssetUploadResult"),
]


@strawberry.input(description="A 3D file to upload for a product.")
class CreateAssetUploadInput:
    product_id: strawberry.ID
    file_name: str = strawberry.field(description="GLB, STL, USDZ, or glTF/OBJ as a .zip.")
    content_type: str
    byte_size: int


@strawberry.type
class AssetMutation:
    """Merchant-admin uploads (Cognito admin group)."""

    @strawberry.mutation(
        graphql_type=CreateAssetUploadResult,
        description="A presigned S3 POST for one 3D file (expires within 15 minutes).",
        extensions=[Pipeline(asset_jobs.create_asset_upload), merchant_admin()],
        directives=ADMIN_DIRECTIVES,
    )
    def create_asset_upload(self, input: CreateAssetUploadInput) -> AssetUploadRequest:
        return AssetUploadRequest(
            product_id=expect_global_id(input.product_id, "Product"),
            file_name=input.file_name,
            content_type=input.content_type,
            byte_size=input.byte_size,
        )

    @strawberry.mutation(
        graphql_type=FinalizeAssetUploadResult,
        description="Check the uploaded file and queue its ingest job.",
        extensions=[Pipeline(asset_jobs.finalize_asset_upload), merchant_admin()],
        directives=ADMIN_DIRECTIVES,
    )
    def finalize_asset_upload(self, upload_id: strawberry.ID) -> str:
        return str(upload_id)
