"""3D asset detail resolvers: ``Query.asset`` and ``Asset3D`` sources by format, levels of
detail, poster, turntable and performance budgets."""

from __future__ import annotations

from dataclasses import dataclass

from datasources.asset_budgets import AssetBudgetRecord
from datasources.job_records import RenderKind, RenderOutput, RenderRole
from datasources.records import AssetFormat, AssetRecord, AssetSource
from resolvers.kit import DataSource, Run, uses


@dataclass(frozen=True)
class AssetLod:
    """One level of detail of an asset: its delivered GLB."""

    level: int
    triangle_count: int
    byte_size: int
    content_type: str
    url: str
    triangle_ratio: float | None


@dataclass(frozen=True)
class RenderedImage:
    """A poster of an asset: the PNG, and the WebP of the same render when there is one."""

    variant: str | None
    width: int
    height: int
    content_type: str
    byte_size: int
    url: str
    webp_url: str | None


@dataclass(frozen=True)
class Turntable:
    """A turntable of an asset: its frames as a sprite sheet and as an animated WebP."""

    variant: str | None
    frames: int
    columns: int
    rows: int
    frame_width: int
    frame_height: int
    sprite_sheet_url: str
    animated_webp_url: str | None


@uses(DataSource.CATALOG)
async def asset(run: Run[None, str]) -> AssetRecord | None:
    """``Query.asset``: one asset by id through the AssetByIdLoader; like ``node``, it is
    visible to every catalog reader."""
    return await run.ctx.loaders.asset_by_id.load(run.arguments)


@uses(DataSource.NONE)
async def asset_sources(run: Run[AssetRecord, AssetFormat | None]) -> list[AssetSource]:
    """``Asset3D.sources(format:)``: the files, in stored order, of one format or all."""
    wanted = run.arguments
    return [s for s in run.source.sources if wanted is None or s.format is wanted]


@uses(DataSource.ASSET_BUCKET)
async def asset_lods(run: Run[AssetRecord, None]) -> list[AssetLod]:
    """``Asset3D.lods``: the GLB per level of detail, finest first, with its triangle ratio
    to LOD 0 (null when LOD 0 is unknown or empty)."""
    glbs = sorted(
        (s for s in run.source.sources if s.format is AssetFormat.GLB), key=lambda s: s.lod
    )
    base = next((s.triangle_count for s in glbs if s.lod == 0), 0)
    urls = run.ctx.sources.asset_urls
    return [
        AssetLod(
            level=s.lod,
            triangle_count=s.triangle_count,
            byte_size=s.byte_size,
            content_type=s.content_type,
            url=urls.url_for(s.key),
            triangle_ratio=round(s.triangle_count / base, 4) if base else None,
        )
        for s in glbs
    ]


def _file_of(
    asset: AssetRecord, kind: RenderKind, variant: str | None, role: RenderRole
) -> RenderOutput | None:
    return next((r for r in asset.rendered(kind, variant) if r.role == role), None)


@uses(DataSource.ASSET_BUCKET)
async def asset_poster(run: Run[AssetRecord, str | None]) -> RenderedImage | None:
    """``Asset3D.poster(variant:)``: the latest poster render of the variant (default look
    when null); null until one is rendered."""
    variant, urls = run.arguments, run.ctx.sources.asset_urls
    png = _file_of(run.source, RenderKind.POSTER, variant, RenderRole.POSTER_PNG)
    if png is None:
        return None
    webp = _file_of(run.source, RenderKind.POSTER, variant, RenderRole.POSTER_WEBP)
    return RenderedImage(
        variant=variant,
        width=png.width,
        height=png.height,
        content_type=png.content_type,
        byte_size=png.byte_size,
        url=urls.url_for(png.key),
        webp_url=None if webp is None else urls.url_for(webp.key),
    )


@uses(DataSource.ASSET_BUCKET)
async def asset_turntable(run: Run[AssetRecord, str | None]) -> Turntable | None:
    """``Asset3D.turntable(variant:)``: the latest turntable render of the variant; null
    until one is rendered."""
    variant, urls = run.arguments, run.ctx.sources.asset_urls
    sheet = _file_of(run.source, RenderKind.TURNTABLE, variant, RenderRole.TURNTABLE_SHEET)
    if sheet is None:
        return None
    webp = _file_of(run.source, RenderKind.TURNTABLE, variant, RenderRole.TURNTABLE_WEBP)
    return Turntable(
        variant=variant,
        frames=sheet.frames,
        columns=sheet.columns,
        rows=sheet.rows,
        frame_width=sheet.width // max(sheet.columns, 1),
        frame_height=sheet.height // max(sheet.rows, 1),
        sprite_sheet_url=urls.url_for(sheet.key),
        animated_webp_url=None if webp is None else urls.url_for(webp.key),
    )


@uses(DataSource.ASSET_BUCKET)
async def asset_budget_report(run: Run[AssetRecord, None]) -> AssetBudgetRecord | None:
    """``Asset3D.budgetReport``: the budgets in the asset's ingest report, read through the
    BudgetByReportKeyLoader (one GetObject per report per request); null for assets with
    no report."""
    key, loader = run.source.report_key, run.ctx.loaders.budget_by_report_key
    if key is None or loader is None:
        return None
    return await loader.load(key)
