"""``asset(id)`` and the Asset3D detail fields over HTTP on moto (DynamoDB, S3): levels of
detail, sources by format, poster and turntable renders, budgets from the ingest report."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from datasources.job_records import RenderKind
from datasources.records import ProductStatus
from gateway.bootstrap import Services
from gateway.settings import Settings
from render_jobs.ingest.budgets import evaluate
from render_jobs.ingest.measure import ModelSummary
from render_jobs.ingest.params import IngestParams
from render_jobs.ingest.report import GLB_TYPE, Artifact, IngestReport, LodReport, SourceInfo
from render_jobs.worker import asset_from_report
from resolvers.global_ids import to_global_id
from tests import factories
from tests.api.conftest import API_KEY
from tests.graphql_client import SHOPPER, SchemaClient

pytestmark = pytest.mark.integration

ASSET_DETAILS = (
    Path(__file__).parents[2] / "client_examples" / "operations" / "AssetDetails.graphql"
).read_text(encoding="utf-8")
INGESTED = "ingested-asset"
DRAFT_PRODUCT = "prod-draft"


def _summary(triangles: int, size: int) -> ModelSummary:
    return ModelSummary(
        bytes=size,
        triangles=triangles,
        vertices=triangles,
        draw_calls=3,
        materials=2,
        textures=1,
        max_texture_px=1024,
        bounds_min=(-0.5, 0.0, -0.5),
        bounds_max=(0.5, 1.0, 0.5),
        variant_names=("Oak",),
        compressed=False,
    )


def _artifact(key: str, size: int) -> Artifact:
    return Artifact(key=key, bytes=size, content_type=GLB_TYPE, sha256="0" * 64)


def _lod(level: int, triangles: int, delivered: int) -> LodReport:
    folder = "models/k3y"
    return LodReport(
        level=level,
        ratio=triangles / 130_000,
        target_triangles=triangles,
        glb=_artifact(f"{folder}/lod{level}.glb", delivered * 2),
        stats=_summary(triangles, delivered * 2),
        delivery=_artifact(f"{folder}/delivery-lod{level}.glb", delivered),
        delivery_stats=_summary(triangles, delivered),
        budget=evaluate(
            f"delivery-lod{level}.glb",
            file_bytes=delivered,
            triangles=triangles,
            draw_calls=3,
            max_texture_px=1024,
        ),
    )


def _report() -> IngestReport:
    """An accepted ingest: LOD 0 over the file-size budget, near the triangle one; LOD 1 fine."""
    return IngestReport(
        key="k3y",
        params=IngestParams(),
        source=SourceInfo(name="chair.glb", files=1, bytes=9_000_000, sha256="1" * 64),
        verdict="accepted",
        master=_summary(130_000, 7_000_000),
        lods=(_lod(0, 130_000, 3_500_000), _lod(1, 32_500, 900_000)),
    )


@pytest.fixture(scope="module")
async def ingested(api_services: tuple[Settings, Services]) -> IngestReport:
    """A DRAFT product's ingested asset with its report in S3, a default-look poster and an
    Oak turntable recorded."""
    _, services = api_services
    product = factories.product(99, id=DRAFT_PRODUCT, slug="draft", status=ProductStatus.DRAFT)
    await services.catalog.create_product(replace(product, asset_ids=(INGESTED,)))
    report = _report()
    key = report.stored_key()
    assert key is not None
    await services.blobs.put(key, report.model_dump_json().encode(), "application/json")
    await services.catalog.put_asset(asset_from_report(INGESTED, DRAFT_PRODUCT, report))
    for outputs in (
        factories.render_outputs(RenderKind.POSTER, None, 256),
        factories.render_outputs(RenderKind.TURNTABLE, "Oak", 128),
    ):
        await services.catalog.record_renders(INGESTED, outputs)
    return report


async def _details(
    http: httpx.AsyncClient, asset_id: str, variant: str | None = None
) -> dict[str, Any]:
    response = await http.post(
        "/graphql",
        json={
            "query": ASSET_DETAILS,
            "variables": {"id": to_global_id("Asset3D", asset_id), "variant": variant},
        },
        headers=API_KEY,
    )
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    assert body.get("errors") is None
    return body


async def test_an_ingested_asset_answers_lods_renders_and_budgets_from_its_report(
    http: httpx.AsyncClient, ingested: IngestReport
) -> None:
    # given an ingested asset with a stored report, a poster and an Oak turntable
    # when a storefront asks for its details, default look and Oak
    default = (await _details(http, INGESTED))["data"]["asset"]
    oak = (await _details(http, INGESTED, "Oak"))["data"]["asset"]

    # then the LODs are its delivered GLBs with their ratio to LOD 0
    assert [(lod["level"], lod["triangleCount"], lod["byteSize"]) for lod in default["lods"]] == [
        (0, 130_000, 3_500_000),
        (1, 32_500, 900_000),
    ]
    assert [lod["triangleRatio"] for lod in default["lods"]] == [1.0, 0.25]
    assert default["lods"][1]["url"].split("?")[0].endswith("models/k3y/delivery-lod1.glb")
    assert default["lods"][0]["contentType"] == "model/gltf-binary"
    # and the format filter left no USDZ (this ingest made none)
    assert default["usdz"] == []
    # and the default look has a poster but no turntable; Oak a turntable but no poster
    poster = default["poster"]
    assert (poster["variant"], poster["width"], poster["height"]) == (None, 256, 256)
    assert poster["contentType"] == "image/png"
    assert poster["url"].split("?")[0].endswith("renders/r1-default/poster.png")
    assert poster["webpUrl"].split("?")[0].endswith("renders/r1-default/poster.webp")
    assert default["turntable"] is None
    assert oak["poster"] is None
    turntable = oak["turntable"]
    assert {k: v for k, v in turntable.items() if not k.endswith("Url")} == {
        "variant": "Oak",
        "frames": 5,
        "columns": 3,
        "rows": 2,
        "frameWidth": 128,
        "frameHeight": 128,
    }
    assert turntable["spriteSheetUrl"].split("?")[0].endswith("renders/r1-Oak/turntable.png")
    assert turntable["animatedWebpUrl"].split("?")[0].endswith("renders/r1-Oak/turntable.webp")
    # and the budgets are the stored report's verdicts, LOD 0 deciding
    budget = default["budgetReport"]
    lod0 = ingested.lods[0].budget
    assert budget["profile"] == lod0.profile == "khronos-3d-commerce-web-mobile"
    assert budget["verdict"] == "FAIL"
    assert [
        (c["name"], c["actual"], c["limit"], c["unit"], c["verdict"]) for c in budget["checks"]
    ] == [(c.name, c.actual, c.limit, c.unit, c.verdict.upper()) for c in lod0.checks]
    assert [c["verdict"] for c in budget["checks"]] == ["FAIL", "WARN", "PASS", "PASS"]
    assert budget["lods"] == [{"level": 0, "verdict": "FAIL"}, {"level": 1, "verdict": "PASS"}]


async def test_assets_without_report_or_renders_answer_null_and_unknown_ids_null(
    http: httpx.AsyncClient, ingested: IngestReport
) -> None:
    # given a catalog asset made without an ingest (no report, no renders) and a missing id
    # when asking for their details
    seeded = (await _details(http, "asset-001"))["data"]["asset"]
    missing = (await _details(http, "no-such-asset"))["data"]["asset"]

    # then the record's own fields answer and the rest is null, and the missing asset is null
    assert [lod["level"] for lod in seeded["lods"]] == [0, 1]
    assert (seeded["poster"], seeded["turntable"], seeded["budgetReport"]) == (None, None, None)
    assert missing is None


async def test_one_report_read_per_request_however_many_times_it_is_asked_for(
    http: httpx.AsyncClient, ingested: IngestReport
) -> None:
    # given the ingested asset, asked for three times in one query with its budgets
    query = """
    query Three($id: ID!) {
      a: asset(id: $id) { budgetReport { verdict } }
      b: asset(id: $id) { budgetReport { verdict } lods { level } }
      c: node(id: $id) { ... on Asset3D { budgetReport { verdict } poster { url } } }
    }
    """
    # when the query runs
    response = await http.post(
        "/graphql",
        json={"query": query, "variables": {"id": to_global_id("Asset3D", INGESTED)}},
        headers=API_KEY,
    )

    # then one BatchGetItem read the asset and one GetObject its report
    body = response.json()
    assert body.get("errors") is None
    assert [body["data"][k]["budgetReport"]["verdict"] for k in "abc"] == ["FAIL"] * 3
    assert body["extensions"]["dataSources"]["calls"] == {
        "dynamodb.BatchGetItem": 1,
        "s3.GetObject": 1,
    }


async def test_anonymous_callers_are_refused_and_shoppers_see_what_node_shows(
    http: httpx.AsyncClient, api_services: tuple[Settings, Services], ingested: IngestReport
) -> None:
    # given the asset of a DRAFT product, an anonymous caller and a signed-in shopper
    _, services = api_services
    client = SchemaClient(services.catalog, services.blobs, services.asset_urls)
    client.sources = services.data_sources()
    variables = {"id": to_global_id("Asset3D", INGESTED)}

    # when each asks for it
    anonymous = await http.post("/graphql", json={"query": ASSET_DETAILS, "variables": variables})
    shopper, shopper_errors = await client.execute(ASSET_DETAILS, variables, SHOPPER)
    node, node_errors = await client.execute(
        "query($id: ID!) { node(id: $id) { id } }", variables, SHOPPER
    )

    # then the anonymous caller is refused, and the shopper gets it as node(id) does
    body = anonymous.json()
    assert body["data"] == {"asset": None}
    assert [e["extensions"]["errorType"] for e in body["errors"]] == ["UnauthorizedException"]
    assert [shopper_errors, node_errors] == [[], []]
    assert shopper is not None
    assert node is not None
    assert shopper["asset"]["id"] == node["node"]["id"] == variables["id"]
    assert shopper["asset"]["budgetReport"]["verdict"] == "FAIL"
