"""Render jobs on the real adapters (moto server: S3, SQS, DynamoDB) and the EGL renderer."""

from __future__ import annotations

import hashlib
import io
import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from datasources.events import DomainEvent, Topic
from datasources.job_records import IngestJobRecord, JobStatus, RenderSpec
from datasources.records import AssetFormat, AssetSource
from gateway.bootstrap import Services, build_services, provision
from gateway.settings import Settings
from gateway.worker_cli import build_worker
from render_jobs.procedural import DEMO_RECIPES, build_glb
from render_jobs.render import Renderer, RendererUnavailable, RenderThread
from render_jobs.render_job import MANIFEST_NAME, RENDER_PREFIX, render_hash
from render_jobs.worker import IngestWorker, Outcome
from resolvers.global_ids import to_global_id
from tests import factories
from tests.conftest import make_settings
from tests.graphql_client import ADMIN, SHOPPER, SchemaClient
from tests.support.moto_process import MotoProcess
from tests.support.tcp_proxy import TcpProxy, blob_store_through, tcp_proxy

OPERATIONS = Path(__file__).resolve().parents[3] / "client_examples" / "operations"
SHARED_ASSETS = Path(
    os.environ.get(
        "VITRINE_SHARED_ASSETS", Path(__file__).resolve().parents[3].parent / "shared" / "assets"
    )
)
_SHARED = uuid.uuid4().hex[:8]


@pytest.fixture(scope="module", autouse=True)
def _egl() -> None:
    try:
        Renderer().close()
    except RendererUnavailable as error:
        pytest.skip(f"EGL cannot create an OpenGL context here: {error}")


class CountingRenderThread(RenderThread):
    """The real render thread, counting the renders it runs."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    async def call(self, fn: Any) -> Any:
        self.calls += 1
        return await super().call(fn)


def _operation(name: str) -> str:
    return (OPERATIONS / f"{name}.graphql").read_text(encoding="utf-8")


@pytest.fixture
def settings(moto: MotoProcess) -> Settings:
    suffix = uuid.uuid4().hex[:8]
    return make_settings(
        moto.endpoint_url,
        VITRINE_CATALOG_TABLE=f"catalog-render-{_SHARED}",
        VITRINE_ASSET_BUCKET=f"assets-render-{_SHARED}",
        VITRINE_RENDER_QUEUE=f"render-{suffix}",
        VITRINE_RENDER_DLQ=f"render-{suffix}-dlq",
        VITRINE_RENDER_VISIBILITY_TIMEOUT=30,
        VITRINE_RENDER_MAX_RECEIVE_COUNT=2,
        VITRINE_WORKER_RETRY_DELAY=0,
        VITRINE_WORKER_WAIT_SECONDS=1,
        VITRINE_RENDER_MAX_SIZE=512,
        VITRINE_RENDER_MAX_FRAMES=24,
    )


@pytest.fixture
async def services(settings: Settings) -> AsyncIterator[Services]:
    built = build_services(settings)
    await provision(built)
    yield built
    await built.close()


@pytest.fixture
def worker(settings: Settings, services: Services) -> IngestWorker:
    built = build_worker(settings, services, concurrency=1)
    built._renderer = CountingRenderThread()
    yield built
    built._renderer.close()


def _client(services: Services) -> SchemaClient:
    client = SchemaClient(services.catalog, services.blobs, services.asset_urls)
    client.sources = services.data_sources()
    return client


async def _asset_with_glb(services: Services, glb: bytes, *, master: bool = True) -> str:
    suffix = uuid.uuid4().hex[:8]
    key = f"models/{suffix}/lod0.glb"
    await services.blobs.put(key, glb, "model/gltf-binary")
    asset = replace(
        factories.asset(f"a-{suffix}", f"p-{suffix}"),
        sources=(AssetSource(AssetFormat.GLB, 0, key, len(glb), 1000, "model/gltf-binary"),),
        master_key=key if master else None,
    )
    await services.catalog.put_asset(asset)
    return asset.id


async def _request(
    client: SchemaClient, identity: Any = ADMIN, **input: Any
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    data, errors = await client.execute(
        _operation("AdminRequestRender"), {"input": input}, identity
    )
    return (data or {}).get("requestRender") or {}, errors


async def _job(client: SchemaClient, job_id: str) -> dict[str, Any]:
    data, errors = await client.execute(_operation("AdminRenderJobFiles"), {"id": job_id}, ADMIN)
    assert errors == []
    assert data is not None
    job: dict[str, Any] = data["renderJob"]
    return job


def _image(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data))


async def test_posters_per_variant_go_through_the_queue_to_s3(
    services: Services, worker: IngestWorker
) -> None:
    # given the demo armchair's GLB in S3 and its asset record, and a progress subscriber
    glb = build_glb(next(r for r in DEMO_RECIPES if r.slug == "lounge-armchair"))
    asset_id = await _asset_with_glb(services, glb)
    client = _client(services)
    async with services.events.subscribe(
        [Topic.RENDER_JOB_PROGRESS, Topic.PRODUCT_CHANGED]
    ) as events:
        # when an admin requests 64 px posters of two variants and a worker drains the queue
        result, errors = await _request(
            client,
            assetId=to_global_id("Asset3D", asset_id),
            kind="POSTER",
            variants=["Cognac Leather", "Black Leather"],
            size=64,
        )
        assert errors == []
        assert result["__typename"] == "RequestRenderSuccess"
        queued = result["job"]
        await worker.run(until_idle=True)
        seen: list[DomainEvent] = []
        async for event in events:
            seen.append(event)
            if event.topic is Topic.RENDER_JOB_PROGRESS and event.payload["status"] != "RUNNING":
                break

    # then the job was QUEUED as a RENDER job, and SUCCEEDED with two files per variant
    assert (queued["status"], queued["kind"]) == ("QUEUED", "RENDER")
    assert queued["render"] == {
        "assetId": to_global_id("Asset3D", asset_id),
        "kind": "POSTER",
        "variants": ["Cognac Leather", "Black Leather"],
        "size": 64,
        "frames": 1,
    }
    assert [outcome for _, outcome in worker.outcomes] == [Outcome.SUCCEEDED]
    job = await _job(client, queued["id"])
    assert (job["status"], job["progress"], job["error"]) == ("SUCCEEDED", 100, None)
    files = job["renderOutputs"]
    assert [(f["variant"], f["role"]) for f in files] == [
        ("Cognac Leather", "poster.png"),
        ("Cognac Leather", "poster.webp"),
        ("Black Leather", "poster.png"),
        ("Black Leather", "poster.webp"),
    ]
    pngs = []
    for file in files:
        stored = await services.blobs.get(file["key"])
        assert len(stored) == file["byteSize"]
        assert file["key"].startswith("renders/")
        assert file["key"] in file["url"]
        image = _image(stored)
        assert image.size == (64, 64)
        if file["role"] == "poster.png":
            assert file["contentType"] == "image/png"
            pixels = np.asarray(image)
            assert pixels.shape == (64, 64, 4)
            assert pixels[0, 0, 3] == 0
            pngs.append(pixels)
    inside = (pngs[0][..., 3] == 255) & (pngs[1][..., 3] == 255)
    assert np.abs(pngs[0][inside, :3].astype(float) - pngs[1][inside, :3].astype(float)).mean() > 20
    # and the files are recorded on the asset (which keeps the poster it had), and its
    # product's cached answers told they changed
    [asset] = await services.catalog.assets_by_ids([asset_id])
    assert asset is not None
    assert [r.key for r in asset.renders] == [f["key"] for f in files]
    assert asset.poster_key == f"assets/{asset_id}/poster.png"
    changed = [e for e in seen if e.topic is Topic.PRODUCT_CHANGED]
    assert [(e.key, e.payload["assetId"]) for e in changed] == [(asset.product_id, asset_id)]
    seen = [e for e in seen if e.topic is Topic.RENDER_JOB_PROGRESS]
    # and progress went out on the bus, rising, ending SUCCEEDED at 100
    assert {e.key for e in seen} == {queued["id"]}
    stages = [(e.payload["status"], e.payload["stage"]) for e in seen]
    assert stages[:2] == [("RUNNING", "claimed"), ("RUNNING", "loading")]
    assert ("RUNNING", "rendering") in stages
    assert stages[-1] == ("SUCCEEDED", "done")
    percents = [e.payload["percent"] for e in seen]
    assert percents == sorted(percents)
    assert percents[-1] == 100
    assert worker.renderer().calls == 2


async def test_the_same_render_twice_is_rendered_once(
    services: Services, worker: IngestWorker
) -> None:
    # given a model and one poster already requested and rendered
    glb = build_glb(next(r for r in DEMO_RECIPES if r.slug == "herb-pot"))
    asset_id = await _asset_with_glb(services, glb)
    client = _client(services)
    first, _ = await _request(
        client, assetId=to_global_id("Asset3D", asset_id), kind="POSTER", size=32
    )
    await worker.run(until_idle=True)

    # when the same poster is requested again
    second, errors = await _request(
        client, assetId=to_global_id("Asset3D", asset_id), kind="POSTER", size=32
    )
    await worker.run(until_idle=True)

    # then both jobs SUCCEEDED with the same files, and the renderer ran once
    assert errors == []
    one, two = await _job(client, first["job"]["id"]), await _job(client, second["job"]["id"])
    assert (one["status"], two["status"]) == ("SUCCEEDED", "SUCCEEDED")
    assert one["id"] != two["id"]
    assert [f["key"] for f in one["renderOutputs"]] == [f["key"] for f in two["renderOutputs"]]
    assert [f["variant"] for f in one["renderOutputs"]] == [None, None]
    assert worker.renderer().calls == 1


async def test_turntable_is_a_sprite_sheet_and_an_animated_webp(
    services: Services, worker: IngestWorker
) -> None:
    # given a model
    glb = build_glb(next(r for r in DEMO_RECIPES if r.slug == "lounge-armchair"))
    asset_id = await _asset_with_glb(services, glb, master=False)
    client = _client(services)

    # when a 5-frame, 32 px turntable is rendered (the asset has no master: LOD 0 is used)
    result, errors = await _request(
        client, assetId=to_global_id("Asset3D", asset_id), kind="TURNTABLE", size=32, frames=5
    )
    await worker.run(until_idle=True)

    # then the sheet is 3x2 cells of 32 px and the animation has 5 frames
    assert errors == []
    job = await _job(client, result["job"]["id"])
    sheet, animation = job["renderOutputs"]
    assert (sheet["role"], sheet["width"], sheet["height"]) == ("turntable.png", 96, 64)
    assert (sheet["columns"], sheet["rows"], sheet["frames"]) == (3, 2, 5)
    assert _image(await services.blobs.get(sheet["key"])).size == (96, 64)
    webp = _image(await services.blobs.get(animation["key"]))
    assert (animation["role"], webp.size, webp.n_frames) == ("turntable.webp", (32, 32), 5)


async def test_an_unknown_variant_fails_the_job_with_the_available_ones(
    services: Services, worker: IngestWorker
) -> None:
    # given a model with leather variants
    glb = build_glb(next(r for r in DEMO_RECIPES if r.slug == "lounge-armchair"))
    asset_id = await _asset_with_glb(services, glb)
    client = _client(services)

    # when a variant it lacks is requested
    result, errors = await _request(
        client, assetId=to_global_id("Asset3D", asset_id), kind="POSTER", variants=["Teal"], size=32
    )
    await worker.run(until_idle=True)

    # then the job FAILED once (no retry) naming the variants it has, with no files
    assert errors == []
    assert [outcome for _, outcome in worker.outcomes] == [Outcome.FAILED]
    job = await _job(client, result["job"]["id"])
    assert job["status"] == JobStatus.FAILED.value
    assert job["error"]["check"] == "render"
    assert "unknown variant 'Teal'; available: ['Cognac Leather'" in job["error"]["reason"]
    assert job["renderOutputs"] == []


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"size": 4096}, "TOO_LARGE", "size"),
        ({"size": 4}, "INVALID", "size"),
        ({"kind": "TURNTABLE", "frames": 25}, "TOO_MANY_FRAMES", "frames"),
        ({"kind": "TURNTABLE", "frames": 0}, "INVALID", "frames"),
        ({"variants": ["Black Leather", "Black Leather"]}, "INVALID", "variants"),
    ],
)
async def test_bad_render_parameters_are_typed_errors(
    services: Services, overrides: dict[str, Any], code: str, field: str
) -> None:
    # given an asset
    glb = build_glb(next(r for r in DEMO_RECIPES if r.slug == "herb-pot"))
    asset_id = await _asset_with_glb(services, glb)

    # when asking for too much (or nonsense)
    request = {
        "assetId": to_global_id("Asset3D", asset_id),
        "kind": "POSTER",
        "size": 64,
    } | overrides
    result, errors = await _request(_client(services), **request)

    # then a typed error names the field
    assert errors == []
    assert (result["__typename"], result["code"], result["field"]) == (
        "RequestRenderError",
        code,
        field,
    )


async def test_missing_and_unready_assets_are_typed_errors(services: Services) -> None:
    # given no asset, and an asset with only a USDZ file
    client = _client(services)
    suffix = uuid.uuid4().hex[:8]
    usdz_only = replace(
        factories.asset(f"u-{suffix}", f"p-{suffix}"),
        sources=(AssetSource(AssetFormat.USDZ, 0, "models/x.usdz", 10, 10, "model/vnd.usdz+zip"),),
    )
    await services.catalog.put_asset(usdz_only)

    # when requesting renders of them
    missing, errors_missing = await _request(
        client, assetId=to_global_id("Asset3D", "nope"), kind="POSTER", size=64
    )
    unready, errors_unready = await _request(
        client, assetId=to_global_id("Asset3D", usdz_only.id), kind="POSTER", size=64
    )

    # then each gets its code
    assert errors_missing == []
    assert errors_unready == []
    assert (missing["code"], missing["field"]) == ("ASSET_NOT_FOUND", "assetId")
    assert (unready["code"], unready["field"]) == ("ASSET_NOT_READY", "assetId")


async def test_shoppers_cannot_request_renders(services: Services) -> None:
    # given a shopper
    # when requesting a render
    result, errors = await _request(
        _client(services), SHOPPER, assetId=to_global_id("Asset3D", "a"), kind="POSTER"
    )

    # then the call is refused before any job is made
    assert result == {}
    assert [e["extensions"]["errorType"] for e in errors] == ["Forbidden"]


async def test_a_real_model_renders_each_variant(services: Services, worker: IngestWorker) -> None:
    # given the SheenChair (two velvet variants) from ../shared/assets
    path = SHARED_ASSETS / "SheenChair.glb"
    if not path.is_file():
        pytest.skip(f"{path} is absent: the real-model render test needs ../shared/assets")
    asset_id = await _asset_with_glb(services, path.read_bytes())
    client = _client(services)

    # when posters of both variants are rendered at 96 px
    result, errors = await _request(
        client,
        assetId=to_global_id("Asset3D", asset_id),
        kind="POSTER",
        variants=["Mango Velvet", "Peacock Velvet"],
        size=96,
    )
    await worker.run(until_idle=True)

    # then the two posters' model pixels differ clearly
    assert errors == []
    job = await _job(client, result["job"]["id"])
    pngs = [
        np.asarray(_image(await services.blobs.get(f["key"])))
        for f in job["renderOutputs"]
        if f["role"] == "poster.png"
    ]
    assert len(pngs) == 2
    inside = (pngs[0][..., 3] == 255) & (pngs[1][..., 3] == 255)
    assert inside.mean() > 0.1
    assert np.abs(pngs[0][inside, :3].astype(float) - pngs[1][inside, :3].astype(float)).mean() > 30


# -- object storage down while the renders are stored ---------------------------------------


class CuttingRenderThread(RenderThread):
    """The real render thread; once its first render is done, S3 goes down behind ``proxy``:
    until the test brings it up, or for ``refusals`` connections."""

    def __init__(self, proxy: TcpProxy, refusals: int | None = None) -> None:
        super().__init__()
        self._proxy, self._refusals = proxy, refusals
        self._cut = False

    async def call(self, fn: Any) -> Any:
        result = await super().call(fn)
        if self._cut:
            return result
        self._cut = True
        if self._refusals is None:
            self._proxy.down()
        else:
            self._proxy.blip(self._refusals)
        return result


async def _render_worker(
    settings: Settings, services: Services, proxy: TcpProxy, refusals: int | None = None
) -> tuple[IngestWorker, Services]:
    proxied = replace(services, blobs=blob_store_through(proxy, settings))
    built = build_worker(settings, proxied, concurrency=1)
    built._renderer = CuttingRenderThread(proxy, refusals)
    return built, proxied


async def _record(services: Services, job_id: str) -> IngestJobRecord:
    assert services.ingest is not None
    [found] = await services.ingest.jobs.jobs_by_ids([job_id])
    assert found is not None
    return found


def _manifest_key(glb: bytes, spec: RenderSpec | None) -> str:
    assert spec is not None
    return f"{RENDER_PREFIX}/{render_hash(hashlib.sha256(glb).hexdigest(), spec, None)}/{MANIFEST_NAME}"


async def _poster_requested(services: Services, slug: str) -> tuple[SchemaClient, bytes, str]:
    """A demo model's asset with a 48 px poster requested: the client, the GLB, the job id."""
    glb = build_glb(next(r for r in DEMO_RECIPES if r.slug == slug))
    asset_id = await _asset_with_glb(services, glb)
    client = _client(services)
    result, errors = await _request(
        client, assetId=to_global_id("Asset3D", asset_id), kind="POSTER", size=48
    )
    assert errors == []
    return client, glb, result["job"]["id"]


async def _next_message(services: Services) -> Any:
    assert services.ingest is not None
    [message] = await services.ingest.queue.receive(1, 1, visibility_timeout=30)
    return message


async def test_renders_are_not_registered_while_s3_is_down_and_land_once_it_is_back(
    moto: MotoProcess, settings: Settings, services: Services
) -> None:
    # given a poster request, and a worker whose S3 goes down once the render is done
    client, glb, job_id = await _poster_requested(services, "bistro-table")
    async with tcp_proxy(moto.endpoint_url) as proxy:
        worker, proxied = await _render_worker(settings, services, proxy)

        # when it handles the job and gives up, and S3 is back before the next delivery
        first = await worker.handle(await _next_message(services))
        after_outage = await _record(services, job_id)
        manifest_key = _manifest_key(glb, after_outage.render)
        manifest_after_outage = await services.blobs.exists(manifest_key)
        proxy.up()
        second = await worker.handle(await _next_message(services))
        worker.renderer().close()
        await proxied.blobs.close()  # type: ignore[attr-defined]

    # then the outage registered nothing: the job went back to the queue without files
    assert first is Outcome.RETRY
    assert proxy.refused > 0
    assert (after_outage.status, after_outage.attempts) == (JobStatus.QUEUED, 1)
    assert after_outage.output_keys == ()
    assert manifest_after_outage is False
    # and the next delivery stored both files and the manifest, once
    assert second is Outcome.SUCCEEDED
    record = await _record(services, job_id)
    assert (record.status, record.attempts) == (JobStatus.SUCCEEDED, 2)
    job = await _job(client, job_id)
    assert [f["role"] for f in job["renderOutputs"]] == ["poster.png", "poster.webp"]
    for file in job["renderOutputs"]:
        assert len(await services.blobs.get(file["key"])) == file["byteSize"]
    assert await services.blobs.exists(manifest_key)


async def test_a_short_s3_outage_while_storing_renders_is_retried_within_the_attempt(
    moto: MotoProcess, settings: Settings, services: Services
) -> None:
    # given a poster request, and S3 refusing the next 10 connections once the render is done
    client, _, job_id = await _poster_requested(services, "round-side-table")
    async with tcp_proxy(moto.endpoint_url) as proxy:
        worker, proxied = await _render_worker(settings, services, proxy, refusals=10)

        # when the worker handles the job
        outcome = await worker.handle(await _next_message(services))
        worker.renderer().close()
        await proxied.blobs.close()  # type: ignore[attr-defined]

    # then the uploads were tried again until S3 answered, and the job succeeded at once
    assert proxy.refused == 10
    assert outcome is Outcome.SUCCEEDED
    record = await _record(services, job_id)
    assert (record.status, record.attempts) == (JobStatus.SUCCEEDED, 1)
    job = await _job(client, job_id)
    assert [f["role"] for f in job["renderOutputs"]] == ["poster.png", "poster.webp"]
