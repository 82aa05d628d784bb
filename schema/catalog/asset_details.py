"""What ``Asset3D`` tells about its files: levels of detail, renders and budgets."""

from __future__ import annotations

import strawberry

from datasources.asset_budgets import BudgetVerdict
from schema.scalars import AWSURL

strawberry.enum(
    BudgetVerdict,
    description="How a measured value compares with its budget: PASS (under 80% of the "
    "limit), WARN (from 80% of it: little headroom left), FAIL (over it).",
)


@strawberry.type(description="One level of detail of a 3D asset: the GLB delivered for it.")
class AssetLod:
    level: int = strawberry.field(description="0 is the full model; higher is coarser.")
    triangle_count: int = strawberry.field(description="Triangles in the delivered GLB.")
    byte_size: int = strawberry.field(description="Bytes of the delivered GLB.")
    content_type: str = strawberry.field(description="MIME type: model/gltf-binary.")
    url: AWSURL = strawberry.field(description="Where to fetch the GLB.")
    triangle_ratio: float | None = strawberry.field(
        description="Triangles relative to LOD 0 (1.0 for LOD 0); null when LOD 0 is unknown."
    )


@strawberry.type(description="A rendered still of a 3D asset on a transparent background.")
class RenderedImage:
    variant: str | None = strawberry.field(
        description="The KHR_materials_variants name shown; null: the default look."
    )
    width: int = strawberry.field(description="Pixels.")
    height: int = strawberry.field(description="Pixels.")
    content_type: str = strawberry.field(description="MIME type of `url`: image/png.")
    byte_size: int = strawberry.field(description="Bytes of the PNG.")
    url: AWSURL = strawberry.field(description="The PNG.")
    webp_url: AWSURL | None = strawberry.field(
        description="The same image as WebP (image/webp, smaller); null if not rendered."
    )


@strawberry.type(
    description="Frames of a 3D asset turning a full circle, as a sprite sheet and as an "
    "animated WebP."
)
class Turntable:
    variant: str | None = strawberry.field(
        description="The KHR_materials_variants name shown; null: the default look."
    )
    frames: int = strawberry.field(description="Frames in one turn.")
    columns: int = strawberry.field(description="Frames per sprite sheet row.")
    rows: int = strawberry.field(description="Rows of the sprite sheet.")
    frame_width: int = strawberry.field(description="Pixels of one frame.")
    frame_height: int = strawberry.field(description="Pixels of one frame.")
    sprite_sheet_url: AWSURL = strawberry.field(
        description="The PNG sprite sheet: frames left to right, then row by row."
    )
    animated_webp_url: AWSURL | None = strawberry.field(
        description="The frames as an animated WebP; null if not rendered."
    )


@strawberry.type(description="One performance budget: the measured value against its limit.")
class BudgetCheck:
    name: str = strawberry.field(description="file size, triangles, draw calls or texture size.")
    actual: int = strawberry.field(description="The measured value, in `unit`.")
    limit: int = strawberry.field(description="The budget, in `unit`.")
    unit: str = strawberry.field(description="bytes, triangles, draw calls or px.")
    inclusive: bool = strawberry.field(
        description="True: `limit` itself is within budget; false: it must stay under it."
    )
    verdict: BudgetVerdict


@strawberry.type(description="The budgets of one level of detail's delivered GLB.")
class LodBudget:
    level: int = strawberry.field(description="The level of detail (see `Asset3D.lods`).")
    verdict: BudgetVerdict = strawberry.field(description="The worst of its checks.")
    checks: list[BudgetCheck]


@strawberry.type(
    description="How a 3D asset fares against a performance budget profile, measured when "
    "it was ingested."
)
class BudgetReport:
    profile: str = strawberry.field(
        description="The budgets applied: khronos-3d-commerce-web-mobile (Khronos 3D "
        "Commerce, web and mobile, single item)."
    )
    verdict: BudgetVerdict = strawberry.field(
        description="The verdict of LOD 0, what web and mobile load first."
    )
    checks: list[BudgetCheck] = strawberry.field(description="The checks of LOD 0.")
    lods: list[LodBudget] = strawberry.field(description="The verdict per level of detail.")
