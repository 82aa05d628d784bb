"""Real models from ../shared/assets and the procedural demo models, through the whole
pipeline: LODs, delivery GLBs, variants, normalised bounds, USDZ, budgets, the cache."""

from __future__ import annotations

import asyncio
import json
import subprocess
import zipfile
from io import BytesIO

import pytest

from datasources.local_blobs import LocalDirectoryBlobStore
from render_jobs.glb import read_glb
from render_jobs.ingest import IngestParams, IngestReport, ingest_file
from render_jobs.ingest.sandbox import run_sandboxed
from render_jobs.ingest.tools import NODE_DIR
from render_jobs.procedural import DEMO_RECIPES, build_glb
from tests.integration.ingest.conftest import SHARED_ASSETS, needs_assets

# name -> (path under ../shared/assets, parameters, variant names)
MODELS: dict[str, tuple[str, IngestParams, tuple[str, ...]]] = {
    "GlamVelvetSofa": (
        "GlamVelvetSofa.glb",
        IngestParams(),
        ("Champagne", "Navy", "Gray", "Black", "Pale Pink"),
    ),
    "SheenChair": ("SheenChair.glb", IngestParams(), ("Mango Velvet", "Peacock Velvet")),
    "MaterialsVariantsShoe": (
        "MaterialsVariantsShoe",
        IngestParams(),
        ("midnight", "beach", "street"),
    ),
    "BoomBox": ("BoomBox.glb", IngestParams(), ()),
    "WaterBottle": ("WaterBottle.glb", IngestParams(), ()),
    "CesiumMilkTruck": ("CesiumMilkTruck.glb", IngestParams(), ()),
    "Box": ("Box.glb", IngestParams(), ()),
    "featuretype.STL": ("featuretype.STL", IngestParams(unit_scale=0.0254), ()),
    "fuze": ("fuze", IngestParams(up_axis="z"), ()),
}
PROCEDURAL = ("lounge-armchair", "dome-pendant", "court-sneaker")


class CountingRunner:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, workdir, limits):
        self.calls += 1
        return run_sandboxed(workdir, limits)


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> LocalDirectoryBlobStore:
    return LocalDirectoryBlobStore(tmp_path_factory.mktemp("blobs"))


@pytest.fixture(scope="module")
async def reports(store) -> dict[str, IngestReport]:
    if not SHARED_ASSETS.is_dir():
        return {}
    gate = asyncio.Semaphore(2)

    async def one(name: str, path: str, params: IngestParams) -> tuple[str, IngestReport]:
        async with gate:
            return name, await ingest_file(SHARED_ASSETS / path, params, store)

    done = await asyncio.gather(*(one(n, p, params) for n, (p, params, _) in MODELS.items()))
    return dict(done)


@pytest.fixture(scope="module")
async def procedural(store) -> dict[str, IngestReport]:
    recipes = [r for r in DEMO_RECIPES if r.slug in PROCEDURAL]

    async def one(slug: str, glb: bytes) -> tuple[str, IngestReport]:
        return slug, await ingest_file(glb, None, store, name=f"{slug}.glb")

    return dict(await asyncio.gather(*(one(r.slug, build_glb(r)) for r in recipes)))


def _check_lods(report: IngestReport) -> None:
    assert report.verdict == "accepted", report.rejection
    assert len(report.lods) >= 3
    triangles = [lod.stats.triangles for lod in report.lods]
    assert triangles == sorted(triangles, reverse=True)
    master = triangles[0]
    for lod in report.lods[1:]:
        bound = 1.25 if lod.ratio >= 0.25 else 3.0  # low-poly parts stop above tiny targets
        if master >= 1000:
            assert lod.stats.triangles <= bound * lod.target_triangles + 2, (lod.level, triangles)
        assert lod.delivery_stats.triangles == lod.stats.triangles
        assert lod.delivery_stats.compressed
        assert not lod.stats.compressed
    if master >= 1000:
        assert triangles[-1] < master / 2


def _check_bounds(report: IngestReport) -> None:
    # The master (LOD 0) is placed exactly; simplification and quantization move the extreme
    # vertices of the other files a little.
    master = report.lods[0].stats
    summaries = [lod.stats for lod in report.lods] + [lod.delivery_stats for lod in report.lods]
    for summary in summaries:
        low, high = summary.bounds_min, summary.bounds_max
        size = max(top - bottom for top, bottom in zip(high, low, strict=True))
        tolerance = 1e-6 * size if summary is master else 0.03 * size
        assert abs(low[1]) <= tolerance, low
        assert abs(low[0] + high[0]) <= 2 * tolerance, (low, high)
        assert abs(low[2] + high[2]) <= 2 * tolerance, (low, high)


async def _stored_json(store: LocalDirectoryBlobStore, key: str) -> dict:
    gltf, _ = read_glb(await store.get(key))
    return gltf


@needs_assets
@pytest.mark.parametrize("name", list(MODELS))
async def test_real_model_ingests_with_lods_bounds_usdz_and_variants(name, reports, store):
    report = reports[name]
    _, _, variants = MODELS[name]

    # then: at least 3 decreasing LODs near their targets, normalised bounds
    _check_lods(report)
    _check_bounds(report)
    # variants survive in every LOD and delivery GLB, read back from the stored JSON
    for lod in report.lods:
        assert lod.stats.variant_names == variants
        assert lod.delivery_stats.variant_names == variants
        delivery = await _stored_json(store, lod.delivery.key)
        names = [
            v["name"]
            for v in delivery.get("extensions", {})
            .get("KHR_materials_variants", {})
            .get("variants", [])
        ]
        assert tuple(names) == variants
        assert "EXT_meshopt_compression" in delivery["extensionsUsed"]
    # a valid USDZ with a root layer and its textures
    assert report.usdz is not None
    assert report.usdz.valid, report.usdz
    assert report.usdz.errors == ()
    usdz = zipfile.ZipFile(BytesIO(await store.get(report.usdz.artifact.key)))
    assert usdz.namelist()[0] == "model.usdc"
    # budgets for what is delivered; textures capped at 2048 px
    assert report.budget is not None
    assert report.budget.check("texture size").verdict != "fail"
    assert report.budget.check("triangles").verdict == "pass"
    # every artifact is stored under the content-hash key
    for artifact in report.artifacts():
        assert artifact.key.startswith(f"models/{report.key}/")
        assert len(await store.get(artifact.key)) == artifact.bytes


@needs_assets
def test_farther_levels_carry_smaller_textures(reports):
    for name in ("GlamVelvetSofa", "SheenChair", "MaterialsVariantsShoe"):
        report = reports[name]
        assert report.master is not None
        sides = [lod.delivery_stats.max_texture_px for lod in report.lods]
        # each level's largest texture is its cap (or the master's, when that is smaller)
        assert sides == [
            min(report.master.max_texture_px, report.params.texture_px(lod.level))
            for lod in report.lods
        ], name
        assert sides[-1] < sides[0], name
        delivered = [lod.delivery.bytes for lod in report.lods]
        assert delivered == sorted(delivered, reverse=True), name


@needs_assets
def test_units_and_axes_follow_the_parameters(reports):
    # the STL in inches: 5 x 1.375 x 2.5 inches, Z up
    stl = reports["featuretype.STL"].lods[0].stats
    assert stl.bounds_max == pytest.approx((2.5 * 0.0254, 1.375 * 0.0254, 1.25 * 0.0254))
    # the fuze bottle stands 0.215 m tall once +Z is taken as up
    fuze = reports["fuze"].lods[0].stats
    assert fuze.bounds_max[1] == pytest.approx(0.219144 - 0.004016, rel=1e-4)
    # glTF stays in metres, +Y up
    sofa = reports["GlamVelvetSofa"].lods[0].stats
    assert sofa.bounds_max[1] == pytest.approx(0.7875, abs=1e-3)


@needs_assets
def test_texture_heavy_models_shrink_severalfold(reports):
    for name in ("GlamVelvetSofa", "SheenChair", "MaterialsVariantsShoe"):
        report = reports[name]
        assert report.size_reduction is not None
        assert report.size_reduction > 3, name
        assert report.master is not None
        assert report.master.textures > 0


@needs_assets
async def test_second_ingest_is_served_from_the_cache_without_processing(reports, store):
    # given a model ingested once (by the fixture)
    runner = CountingRunner()
    path, params, _ = MODELS["WaterBottle"]

    # when ingested again with the same parameters
    again = await ingest_file(SHARED_ASSETS / path, params, store, runner=runner)

    # then the stored report comes back and no sandbox ran
    assert runner.calls == 0
    assert again.from_cache is True
    assert again.model_copy(update={"from_cache": False}) == reports["WaterBottle"]


@needs_assets
def test_master_and_delivery_pass_the_khronos_validator(reports, store):
    # given the sofa's stored master, LOD 3 and compressed LOD 0
    report = reports["GlamVelvetSofa"]
    for artifact in (report.lods[0].glb, report.lods[0].delivery, report.lods[-1].glb):
        # when the Khronos validator reads them / then it finds no error
        output = subprocess.run(
            ["node", str(NODE_DIR / "validate.cjs"), str(store.path_for(artifact.key))],
            capture_output=True,
            check=True,
        ).stdout
        assert json.loads(output)["issues"]["numErrors"] == 0, artifact.key


@pytest.mark.parametrize("slug", PROCEDURAL)
async def test_procedural_demo_models_ingest(slug, procedural):
    # never skips: the demo models are generated here
    recipe = next(r for r in DEMO_RECIPES if r.slug == slug)
    report = procedural[slug]

    _check_lods(report)
    _check_bounds(report)
    master = report.lods[0].stats
    assert master.bounds_max[1] == pytest.approx(recipe.height_m, rel=1e-6)
    assert master.bounds_max[0] - master.bounds_min[0] == pytest.approx(recipe.width_m, rel=1e-6)
    names = tuple(v.name for v in recipe.variants)
    assert all(lod.delivery_stats.variant_names == names for lod in report.lods)
    assert report.usdz is not None
    assert report.usdz.valid
    assert report.budget is not None
    assert report.budget.verdict == "pass"
