"""Merchant-admin uploads of 3D files; expected failures are typed union members."""

from __future__ import annotations

from typing import Annotated

import strawberry

from datasources.job_records import RenderKind
from resolvers import asset_jobs, render_requests
from resolvers.asset_jobs import AssetUploadRequest
from resolvers.errors import MutationError
from resolvers.global_ids import expect_global_id
from resolvers.kit import Pipeline
from resolvers.render_requests import RenderRequest
from schema.assets.types import AssetUpload, IngestJob
from schema.backing import backed_by
from schema.permissions import ADMIN_DIRECTIVES, merchant_admin

CreateAssetUploadErrorCode = strawberry.enum(asset_jobs.CreateAssetUploadErrorCode)
FinalizeAssetUploadErrorCode = strawberry.enum(asset_jobs.FinalizeAssetUploadErrorCode)
RequestRenderErrorCode = strawberry.enum(render_requests.RequestRenderErrorCode)


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


@strawberry.type(description="requestRender succeeded: the QUEUED render job.")
class RequestRenderSuccess:
    is_type_of = backed_by(render_requests.RequestRenderSuccess)

    job: IngestJob


@strawberry.type(description="Why requestRender failed.")
class RequestRenderError:
    is_type_of = backed_by(MutationError)

    code: RequestRenderErrorCode  # type: ignore[valid-type]
    message: str
    field: str | None


CreateAssetUploadResult = Annotated[
    CreateAssetUploadSuccess | CreateAssetUploadError, strawberry.union("CreateAssetUploadResult")
]
FinalizeAssetUploadResult = Annotated[
    FinalizeAssetUploadSuccess | FinalizeAssetUploadError,
    strawberry.union("FinalizeAssetUploadResult"),
]


RequestRenderResult = Annotated[
    RequestRenderSuccess | RequestRenderError, strawberry.union("RequestRenderResult")
]


@strawberry.input(description="A poster or turntable render of an asset, per material variant.")
class RequestRenderInput:
    asset_id: strawberry.ID
    kind: RenderKind
    variants: list[str] = strawberry.field(
        default_factory=list, description="KHR_materials_variants names; empty: default look."
    )
    size: int = strawberry.field(default=1024, description="Frame width and height, pixels.")
    frames: int = strawberry.field(default=36, description="Turntable frames (posters: 1).")


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

    @strawberry.mutation(
        graphql_type=RequestRenderResult,
        description="Queue a poster or turntable render of an asset, one per material variant.",
        extensions=[Pipeline(render_requests.request_render), merchant_admin()],
        directives=ADMIN_DIRECTIVES,
    )
    def request_render(self, input: RequestRenderInput) -> RenderRequest:
        return RenderRequest(
            asset_id=expect_global_id(input.asset_id, "Asset3D"),
            kind=input.kind,
            variants=tuple(input.variants),
            size=input.size,
            frames=input.frames,
        )
