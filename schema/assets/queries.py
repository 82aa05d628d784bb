"""Ingest job reads for merchant admins."""

from __future__ import annotations

import strawberry

from resolvers import asset_jobs
from resolvers.asset_jobs import JobLookup
from resolvers.kit import Pipeline
from schema.assets.types import IngestJob
from schema.permissions import ADMIN_DIRECTIVES, merchant_admin


@strawberry.type
class AssetQuery:
    """Ingest jobs (Cognito admin group)."""

    @strawberry.field(
        graphql_type=IngestJob | None,
        description="An ingest job (by uploadId) or a render job (by requestRender's job id): "
        "status, progress, error, asset, rendered files.",
        directives=ADMIN_DIRECTIVES,
        extensions=[Pipeline(asset_jobs.render_job), merchant_admin()],
    )
    def render_job(self, id: strawberry.ID) -> JobLookup:
        return JobLookup(str(id))
