"""Uploads and ingest jobs on the real adapters (moto server: S3, SQS, DynamoDB)."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import io
import json
import os
import signal
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlparse

import httpx
import pytest
from PIL import Image

from datasources.events import Topic
from datasources.job_records import IngestJobRecord, JobKind, JobStatus, RenderKind, RenderSpec
from datasources.records import AssetFormat, ProductRecord
from gateway.app import create_app
from gateway.bootstrap import IngestServices, Services, build_services, provision
from gateway.settings import Settings
from gateway.worker_cli import build_worker
from render_jobs.ingest import IngestReport
from render_jobs.ingest.job import ingest_file
from render_jobs.ingest.sandbox import run_sandboxed
from render_jobs.procedural import DEMO_RECIPES, build_model
from render_jobs.worker import IngestWorker, Outcome
from resolvers.global_ids import from_global_id
from tests import factories
from tests.conftest import make_settings
from tests.graphql_client import ADMIN, SHOPPER, SchemaClient
from tests.support.moto_process import MotoProcess
from tests.support.tcp_proxy import TcpProxy, blob_store_through, tcp_proxy

OPERATIONS = os.path.join(os.path.dirname(__file__), "..", "..", "..", "client_examples")
VISIBILITY = 2
MAX_RECEIVES = 2
POSTER_SIZE = 48
"""Each successful ingest queues a poster render of this size (small: a quick render)."""
_SHARED = uuid.uuid4().hex[:8]
"""One table and bucket for the module, so the render cache spares repeated ingests."""


def _operation(name: str) -> str:
    with open(os.path.join(OPERATIONS, "operations", f"{name}.graphql"), encoding="utf-8") as f:
        return f.read()


@pytest.fixture(scope="module")
def demo_glb() -> bytes:
    recipe = next(r for r in DEMO_RECIPES if r.name == "laptop-riser")
    return build_model(recipe, poster_size=64).glb


@pytest.fixture
def settings(moto: MotoProcess) -> Settings:
    suffix = uuid.uuid4().hex[:8]
    return make_settings(
        moto.endpoint_url,
        VITRINE_CATALOG_TABLE=f"catalog-jobs-{_SHARED}",
        VITRINE_ASSET_BUCKET=f"assets-jobs-{_SHARED}",
        VITRINE_RENDER_QUEUE=f"jobs-{suffix}",
        VITRINE_RENDER_DLQ=f"jobs-{suffix}-dlq",
        VITRINE_RENDER_VISIBILITY_TIMEOUT=VISIBILITY,
        VITRINE_RENDER_MAX_RECEIVE_COUNT=MAX_RECEIVES,
        VITRINE_WORKER_RETRY_DELAY=0,
        VITRINE_WORKER_WAIT_SECONDS=1,
        VITRINE_UPLOAD_MAX_BYTES=1_000_000,
        VITRINE_UPLOAD_URL_TTL=600,
        VITRINE_INGEST_POSTER_SIZE=POSTER_SIZE,
    )


@pytest.fixture
async def services(settings: Settings) -> AsyncIterator[Services]:
    built = build_services(settings)
    await provision(built)
    yield built
    await built.close()


def _ingest(services: Services) -> IngestServices:
    assert services.ingest is not None
    return services.ingest


@pytest.fixture
async def product(services: Services) -> ProductRecord:
    suffix = uuid.uuid4().hex[:8]
    record = factories.product(1, id=f"p-{suffix}", slug=f"p-{suffix}", asset_ids=())
    return await services.catalog.create_product(record)


def _client(services: Services) -> SchemaClient:
    client = SchemaClient(services.catalog, services.blobs, services.asset_urls)
    client.sources = services.data_sources()
    return client


async def _create_upload(
    client: SchemaClient, product: ProductRecord, name: str, content_type: str, size: int
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    data, errors = await client.execute(
        _operation("AdminUploadAsset"),
        {
            "input": {
                "productId": _global("Product", product.id),
                "fileName": name,
                "contentType": content_type,
                "byteSize": size,
            }
        },
        ADMIN,
    )
    assert data is not None
    return data["createAssetUpload"], errors


def _global(type_name: str, raw: str) -> str:
    from resolvers.global_ids import to_global_id

    return to_global_id(type_name, raw)


async def _post(upload: dict[str, Any], name: str, content_type: str, body: bytes) -> int:
    fields = {f["name"]: f["value"] for f in upload["fields"]}
    async with httpx.AsyncClient() as http:
        response = await http.post(
            upload["url"], data=fields, files={"file": (name, body, content_type)}
        )
    return response.status_code


async def _upload_and_finalize(
    client: SchemaClient, product: ProductRecord, name: str, body: bytes
) -> dict[str, Any]:
    upload, errors = await _create_upload(client, product, name, "model/gltf-binary", len(body))
    assert errors == []
    assert upload["__typename"] == "CreateAssetUploadSuccess"
    assert await _post(upload["upload"], name, "model/gltf-binary", body) in {200, 201, 204}
    data, errors = await client.execute(
        _operation("AdminFinalizeAssetUpload"), {"uploadId": upload["upload"]["uploadId"]}, ADMIN
    )
    assert errors == []
    assert data is not None
    result: dict[str, Any] = data["finalizeAssetUpload"]
    return result


async def _job(services: Services, job_id: str) -> IngestJobRecord:
    found = (await _ingest(services).jobs.jobs_by_ids([job_id]))[0]
    assert found is not None
    return found


def _worker(settings: Settings, services: Services, **hooks: Any) -> IngestWorker:
    worker = build_worker(settings, services, concurrency=1)
    if "ingest" in hooks:
        worker._ingest_fn = hooks["ingest"]
    return worker


async def _queue_depth(services: Services, dead_letters: bool = False) -> int:
    queue = _ingest(services).queue
    target = queue.dead_letters() if dead_letters else queue
    messages = await target.receive(10, 1, visibility_timeout=0)
    await target.close()
    return len(messages)


# -- upload --------------------------------------------------------------------------------


async def test_create_asset_upload_signs_a_post_policy_and_the_post_stores_the_file(
    services: Services, product: ProductRecord, demo_glb: bytes
) -> None:
    # given an admin and a product
    client = _client(services)
    before = datetime.now(UTC)
    # when asking for an upload of a GLB
    result, errors = await _create_upload(
        client, product, "My Chair (v2).glb", "model/gltf-binary", len(demo_glb)
    )
    # then the answer is a SigV4 POST policy with exact key and type and a size range
    assert errors == []
    assert result["__typename"] == "CreateAssetUploadSuccess"
    upload = result["upload"]
    fields = {f["name"]: f["value"] for f in upload["fields"]}
    assert upload["key"] == f"uploads/{upload['uploadId']}/My-Chair-v2-.glb"
    assert upload["maxBytes"] == 1_000_000
    assert urlparse(upload["url"]).path.endswith(f"/assets-jobs-{_SHARED}")
    assert fields["key"] == upload["key"]
    assert fields["Content-Type"] == "model/gltf-binary"
    assert fields["x-amz-algorithm"] == "AWS4-HMAC-SHA256"
    assert fields["x-amz-credential"].endswith("/us-east-1/s3/aws4_request")
    assert len(fields["x-amz-signature"]) == 64
    policy = json.loads(base64.b64decode(fields["policy"]))
    expiry = datetime.fromisoformat(policy["expiration"].replace("Z", "+00:00"))
    assert before + timedelta(minutes=9) < expiry <= before + timedelta(minutes=15)
    conditions = policy["conditions"]
    assert {"Content-Type": "model/gltf-binary"} in conditions
    assert ["content-length-range", 1, 1_000_000] in conditions
    assert {"key": upload["key"]} in conditions
    assert {"bucket": f"assets-jobs-{_SHARED}"} in conditions
    # and POSTing the file with those fields stores it
    status = await _post(upload, "chair.glb", "model/gltf-binary", demo_glb)
    assert status in {200, 201, 204}
    assert await services.blobs.get(upload["key"]) == demo_glb


async def test_create_asset_upload_refuses_unsupported_types_big_files_and_non_admins(
    services: Services, product: ProductRecord
) -> None:
    # given an admin client
    client = _client(services)
    # when asking for a PDF, a GLB with a wrong type and a file over the limit
    pdf, pdf_errors = await _create_upload(client, product, "a.pdf", "application/pdf", 10)
    wrong, wrong_errors = await _create_upload(client, product, "a.glb", "image/png", 10)
    big, big_errors = await _create_upload(client, product, "a.stl", "model/stl", 2_000_000)
    data, shopper_errors = await client.execute(
        _operation("AdminUploadAsset"),
        {
            "input": {
                "productId": _global("Product", product.id),
                "fileName": "a.glb",
                "contentType": "model/gltf-binary",
                "byteSize": 10,
            }
        },
        SHOPPER,
    )
    # then each is a typed error, and shoppers are forbidden
    assert [pdf_errors, wrong_errors, big_errors] == [[], [], []]
    assert (pdf["code"], pdf["field"]) == ("UNSUPPORTED_TYPE", "fileName")
    assert (wrong["code"], wrong["field"]) == ("UNSUPPORTED_TYPE", "contentType")
    assert (big["code"], big["field"]) == ("TOO_LARGE", "byteSize")
    assert data is None
    assert [e["extensions"]["errorType"] for e in shopper_errors] == ["Forbidden"]


async def test_finalize_enqueues_one_message_and_a_queued_job(
    services: Services, product: ProductRecord, demo_glb: bytes
) -> None:
    # given an uploaded file
    client = _client(services)
    upload, errors = await _create_upload(
        client, product, "riser.glb", "model/gltf-binary", len(demo_glb)
    )
    assert errors == []
    upload_id = upload["upload"]["uploadId"]
    # when finalizing before and after the POST, and once more
    early, early_errors = await client.execute(
        _operation("AdminFinalizeAssetUpload"), {"uploadId": upload_id}, ADMIN
    )
    await _post(upload["upload"], "riser.glb", "model/gltf-binary", demo_glb)
    first, first_errors = await client.execute(
        _operation("AdminFinalizeAssetUpload"), {"uploadId": upload_id}, ADMIN
    )
    again, again_errors = await client.execute(
        _operation("AdminFinalizeAssetUpload"), {"uploadId": upload_id}, ADMIN
    )
    # then the early call says nothing was uploaded, and the others return one QUEUED job
    assert [early_errors, first_errors, again_errors] == [[], [], []]
    assert early is not None
    assert first is not None
    assert again is not None
    assert early["finalizeAssetUpload"]["code"] == "NOT_UPLOADED"
    job = first["finalizeAssetUpload"]["job"]
    assert job["status"] == "QUEUED"
    assert (job["attempts"], job["progress"], job["assetId"], job["error"]) == (0, 0, None, None)
    assert again["finalizeAssetUpload"]["job"]["id"] == job["id"]
    assert job["id"] == upload_id
    # and exactly one versioned message is on the queue
    messages = await _ingest(services).queue.receive(10, 1, visibility_timeout=0)
    assert [json.loads(m.body) for m in messages] == [
        {
            "v": 1,
            "job_id": upload_id,
            "upload_key": upload["upload"]["key"],
            "product_id": product.id,
        }
    ]


# -- the worker ----------------------------------------------------------------------------


async def test_worker_ingests_an_upload_end_to_end_and_renders_its_poster(
    settings: Settings, services: Services, product: ProductRecord, demo_glb: bytes
) -> None:
    # given a finalized upload of a procedural demo model
    client = _client(services)
    finalized = await _upload_and_finalize(client, product, "riser.glb", demo_glb)
    job_id = finalized["job"]["id"]
    # when a worker drains the queue
    worker = _worker(settings, services)
    async with services.events.subscribe([Topic.RENDER_JOB_PROGRESS]) as progress:
        await worker.run(until_idle=True)
        published = [await anext(progress) for _ in range(3)]
    # then the job SUCCEEDED (then its poster render), the asset is attached with its LOD
    # and USDZ sources in S3
    assert [outcome for _, outcome in worker.outcomes] == [Outcome.SUCCEEDED] * 2
    # and its progress went out on the gateway's bus as it ran
    assert [
        (e.key, e.payload["status"], e.payload["stage"], e.payload["percent"]) for e in published
    ] == [
        (job_id, "RUNNING", "claimed", 5),
        (job_id, "RUNNING", "ingesting", 10),
        (job_id, "SUCCEEDED", "succeeded", 100),
    ]
    data, errors = await client.execute(
        _operation("AdminRenderJob"), {"id": finalized["job"]["id"]}, ADMIN
    )
    assert errors == []
    assert data is not None
    job = data["renderJob"]
    assert (job["status"], job["progress"], job["attempts"], job["error"]) == (
        "SUCCEEDED",
        100,
        1,
        None,
    )
    assert job["timings"]["runSeconds"] > 0
    assert from_global_id(job["assetId"]) == ("Asset3D", job_id)
    stored = (await services.catalog.products_by_ids([product.id]))[0]
    assert stored is not None
    assert stored.asset_ids == (job_id,)
    assert stored.version == product.version + 1
    asset = (await services.catalog.assets_by_ids([job_id]))[0]
    assert asset is not None
    assert asset.product_id == product.id
    glbs = [s for s in asset.sources if s.format is AssetFormat.GLB]
    assert [s.lod for s in glbs] == [0, 1, 2, 3]
    assert [s.format for s in asset.sources if s.format is AssetFormat.USDZ] == [AssetFormat.USDZ]
    assert glbs[0].triangle_count >= glbs[-1].triangle_count
    for source in asset.sources:
        assert len(await services.blobs.get(source.key)) == source.byte_size
    assert set(job["outputKeys"]) >= {s.key for s in asset.sources}
    assert await _queue_depth(services) == 0
    # and the ingest queued a default-look poster render, which SUCCEEDED
    assert job["posterJobId"] == f"{job_id}-poster"
    render = await _job(services, job["posterJobId"])
    assert (render.kind, render.status, render.asset_id) == (
        JobKind.RENDER,
        JobStatus.SUCCEEDED,
        job_id,
    )
    assert render.render == RenderSpec(job_id, RenderKind.POSTER, (), POSTER_SIZE, 1)
    # and a shopper sees it on the asset, with the budgets of the stored ingest report
    data, errors = await client.execute(
        _operation("AssetDetails"), {"id": _global("Asset3D", job_id)}, SHOPPER
    )
    assert errors == []
    assert data is not None
    details = data["asset"]
    png = next(o for o in render.render_outputs if o.role == "poster.png")
    assert asset.poster_key == png.key
    assert png.key in details["poster"]["url"]
    assert (details["poster"]["width"], details["poster"]["height"]) == (POSTER_SIZE,) * 2
    image = Image.open(io.BytesIO(await services.blobs.get(png.key)))
    assert (image.format, image.size) == ("PNG", (POSTER_SIZE, POSTER_SIZE))
    assert asset.report_key is not None
    report = IngestReport.model_validate_json(await services.blobs.get(asset.report_key))
    assert details["budgetReport"]["verdict"] == report.lods[0].budget.verdict.upper()
    assert [(c["name"], c["actual"]) for c in details["budgetReport"]["checks"]] == [
        (c.name, c.actual) for c in report.lods[0].budget.checks
    ]
    assert [lod["level"] for lod in details["budgetReport"]["lods"]] == [0, 1, 2, 3]
    assert [(s["contentType"], s["byteSize"]) for s in details["usdz"]] == [
        (s.content_type, s.byte_size) for s in asset.sources if s.format is AssetFormat.USDZ
    ]
    assert [lod["triangleCount"] for lod in details["lods"]] == [
        lod.delivery_stats.triangles for lod in report.lods
    ]
    assert client.last_calls.calls == {"dynamodb.BatchGetItem": 1, "s3.GetObject": 1}


async def test_a_hostile_file_fails_the_job_with_the_check_and_is_not_retried(
    settings: Settings, services: Services, product: ProductRecord
) -> None:
    # given PNG bytes uploaded as a .glb
    client = _client(services)
    png = b"\x89PNG\r\n\x1a\n" + bytes(200)
    finalized = await _upload_and_finalize(client, product, "chair.glb", png)
    job_id = finalized["job"]["id"]
    # when a worker drains the queue
    worker = _worker(settings, services)
    await worker.run(until_idle=True)
    # then the job FAILED with the file-type check, and the message is gone
    job = await _job(services, job_id)
    assert job.status is JobStatus.FAILED
    assert job.error is not None
    assert (job.error.check, job.error.where) == ("file-type", "chair.glb")
    assert "PNG" in job.error.reason
    assert job.attempts == 1
    assert [outcome for _, outcome in worker.outcomes] == [Outcome.FAILED]
    await asyncio.sleep(VISIBILITY + 0.5)
    assert await _queue_depth(services) == 0
    assert await _queue_depth(services, dead_letters=True) == 0
    product_now = (await services.catalog.products_by_ids([product.id]))[0]
    assert product_now is not None
    assert product_now.asset_ids == ()


async def test_a_worker_killed_mid_job_leaves_it_to_another_worker_exactly_once(
    settings: Settings, services: Services, product: ProductRecord, demo_glb: bytes
) -> None:
    # given a finalized upload, claimed by a worker that then died without deleting
    client = _client(services)
    finalized = await _upload_and_finalize(client, product, "riser.glb", demo_glb)
    job_id = finalized["job"]["id"]
    ingest = _ingest(services)
    [message] = await ingest.queue.receive(1, 1, visibility_timeout=VISIBILITY)
    dead = _worker(settings, services).config
    claimed = await ingest.jobs.claim(job_id, "dead-worker", dead.lease_seconds, datetime.now(UTC))
    assert claimed is not None
    assert (claimed.status, claimed.attempts) == (JobStatus.RUNNING, 1)
    # when a second worker polls until the message comes back and is processed
    worker = _worker(settings, services)
    for _ in range(20):
        await worker.run(until_idle=True)
        if Outcome.SUCCEEDED in [o for _, o in worker.outcomes]:
            break
        await asyncio.sleep(0.5)
    # and the old message is delivered once more (at-least-once), to a third worker
    late = await _worker(settings, services).handle(message)
    # then the job completed exactly once (then its poster render), on the second attempt,
    # with a single asset
    job = await _job(services, job_id)
    assert (job.status, job.attempts, job.asset_id) == (JobStatus.SUCCEEDED, 2, job_id)
    assert [o for _, o in worker.outcomes].count(Outcome.SUCCEEDED) == 2
    assert late is Outcome.SKIPPED
    stored = (await services.catalog.products_by_ids([product.id]))[0]
    assert stored is not None
    assert stored.asset_ids == (job_id,)
    assert await _queue_depth(services) == 0


async def test_a_poison_message_ends_in_the_dead_letter_queue(
    settings: Settings, services: Services
) -> None:
    # given a message that is not JSON
    ingest = _ingest(services)
    await ingest.queue.send("{not json")
    # when workers keep polling past maxReceiveCount
    worker = _worker(settings, services)
    for _ in range(MAX_RECEIVES + 2):
        await worker.run(until_idle=True)
    # then it was tried maxReceiveCount times and now sits in the dead-letter queue
    assert [o for _, o in worker.outcomes] == [Outcome.RETRY] * MAX_RECEIVES
    dead = ingest.queue.dead_letters()
    messages = await dead.receive(10, 1)
    await dead.close()
    assert [m.body for m in messages] == ["{not json"]
    assert await _queue_depth(services) == 0


async def test_a_job_that_keeps_crashing_is_failed_with_the_reason_and_dead_lettered(
    settings: Settings, services: Services, product: ProductRecord, demo_glb: bytes
) -> None:
    # given a finalized upload and an ingest that always crashes
    client = _client(services)
    finalized = await _upload_and_finalize(client, product, "riser.glb", demo_glb)
    job_id = finalized["job"]["id"]

    async def crash(*args: object, **kwargs: object) -> IngestReport:
        raise RuntimeError("gltfpack segfaulted")

    worker = _worker(settings, services, ingest=crash)
    # when workers poll past maxReceiveCount
    for _ in range(MAX_RECEIVES + 2):
        await worker.run(until_idle=True)
    # then the job is FAILED with the reason, after maxReceiveCount attempts, in the DLQ
    job = await _job(services, job_id)
    assert job.status is JobStatus.FAILED
    assert job.attempts == MAX_RECEIVES
    assert job.error is not None
    assert (job.error.check, job.error.where) == ("pipeline", "worker")
    assert "RuntimeError: gltfpack segfaulted" in job.error.reason
    assert [o for _, o in worker.outcomes] == [Outcome.RETRY, Outcome.FAILED]
    assert await _queue_depth(services, dead_letters=True) == 1


async def test_sigterm_releases_the_running_job_and_its_message(
    settings: Settings, services: Services, product: ProductRecord, demo_glb: bytes
) -> None:
    # given a worker with SIGTERM handlers whose ingest hangs
    client = _client(services)
    finalized = await _upload_and_finalize(client, product, "riser.glb", demo_glb)
    job_id = finalized["job"]["id"]
    started = asyncio.Event()

    async def hang(*args: object, **kwargs: object) -> IngestReport:
        started.set()
        await asyncio.sleep(3600)
        raise AssertionError("unreachable")

    worker = _worker(settings, services, ingest=hang)
    worker.config = type(worker.config)(
        concurrency=1,
        wait_seconds=1,
        visibility_timeout_seconds=30,
        max_receive_count=MAX_RECEIVES,
        shutdown_grace_seconds=0.2,
    )
    remove = worker.install_signal_handlers()
    running = asyncio.create_task(worker.run())
    try:
        await asyncio.wait_for(started.wait(), 10)
        assert (await _job(services, job_id)).status is JobStatus.RUNNING
        # when SIGTERM arrives
        os.kill(os.getpid(), signal.SIGTERM)
        await asyncio.wait_for(running, 10)
    finally:
        remove()
    # then the worker stopped, the job is QUEUED again and its message visible at once
    assert worker.stopping.is_set()
    assert [o for _, o in worker.outcomes] == [Outcome.RELEASED]
    job = await _job(services, job_id)
    assert (job.status, job.attempts) == (JobStatus.QUEUED, 1)
    assert await _queue_depth(services) == 1


async def test_a_long_poll_cut_short_by_stop_hands_back_what_it_took(
    settings: Settings, services: Services
) -> None:
    # given an idle worker in a 3-second long poll, with a visibility timeout of 5 minutes
    worker = _worker(settings, services)
    worker.config = type(worker.config)(
        concurrency=1, wait_seconds=3, visibility_timeout_seconds=300
    )
    running = asyncio.create_task(worker.run())
    await asyncio.sleep(0.5)
    # when it is stopped and a message arrives while that poll is still open at SQS
    worker.stop()
    await _ingest(services).queue.send(json.dumps({"version": 1, "job_id": "not-run"}))
    await asyncio.wait_for(running, 15)
    # then the worker ran nothing and the message is visible at once, not in 5 minutes
    assert worker.outcomes == []
    assert await _queue_depth(services) == 1


async def test_the_local_stack_runs_a_worker_inside_the_gateway(
    settings: Settings, product: ProductRecord, demo_glb: bytes
) -> None:
    # given the gateway app of the local stack (VITRINE_LOCAL_WORKER on), started
    local = settings.model_copy(update={"local_worker": True, "worker_wait_seconds": 1})
    services = build_services(local)
    await provision(services)
    app = create_app(local, services, check_on_start=False)
    async with app.router.lifespan_context(app):
        # when an admin uploads and finalizes a model, with no worker process anywhere
        finalized = await _upload_and_finalize(_client(services), product, "riser.glb", demo_glb)
        job_id = finalized["job"]["id"]
        # then the job, and the poster render it queued, are run to SUCCEEDED by the
        # gateway's own worker
        for _ in range(600):
            job = await _job(services, job_id)
            poster = None if job.poster_job_id is None else await _job(services, job.poster_job_id)
            if poster is not None and poster.status.finished:
                break
            await asyncio.sleep(0.1)
        assert (job.status, job.attempts) == (JobStatus.SUCCEEDED, 1)
        assert poster is not None
        assert poster.status is JobStatus.SUCCEEDED
    # and stopping the app stopped the worker with nothing left in flight
    try:
        assert await _queue_depth(services) == 0
    finally:
        await services.close()


async def test_the_gateway_runs_no_worker_unless_asked(
    settings: Settings, services: Services, product: ProductRecord, demo_glb: bytes
) -> None:
    # given the gateway app with the default settings (production runs workers apart)
    assert settings.local_worker is False
    app = create_app(settings, services, check_on_start=False)
    async with app.router.lifespan_context(app):
        # when a model is uploaded and finalized
        finalized = await _upload_and_finalize(_client(services), product, "riser.glb", demo_glb)
        await asyncio.sleep(1.5)
        # then its job waits in the queue for a worker
        job = await _job(services, finalized["job"]["id"])
        assert (job.status, job.attempts) == (JobStatus.QUEUED, 0)


# -- object storage down while the results are stored --------------------------------------


def _uncached_glb(recipe_name: str) -> bytes:
    """A demo model no other test of the module ingests (so the render cache is cold)."""
    recipe = next(r for r in DEMO_RECIPES if r.name == recipe_name)
    return build_model(recipe, poster_size=64).glb


def _cut_after_the_pipeline(proxy: TcpProxy, refusals: int | None = None) -> Any:
    """An ingest whose object storage goes down once the sandboxed pipeline has run, i.e.
    while the worker stores the results: for good, or for ``refusals`` connections."""

    def runner(workdir: Any, limits: Any) -> Any:
        outcome = run_sandboxed(workdir, limits)
        if refusals is None:
            proxy.down()
        else:
            proxy.blip(refusals)
        return outcome

    async def ingest(data: bytes, params: Any, blobs: Any, *, name: str) -> IngestReport:
        return await ingest_file(data, params, blobs, name=name, runner=runner)

    return ingest


async def test_results_are_not_registered_while_s3_is_down_and_land_once_it_is_back(
    moto: MotoProcess,
    settings: Settings,
    services: Services,
    product: ProductRecord,
) -> None:
    # given a finalized upload, and a worker whose S3 goes down while it stores the results
    glb = _uncached_glb("bistro-table")
    finalized = await _upload_and_finalize(_client(services), product, "table.glb", glb)
    job_id = finalized["job"]["id"]
    async with tcp_proxy(moto.endpoint_url) as proxy:
        proxied = dataclasses.replace(services, blobs=blob_store_through(proxy, settings))
        worker = _worker(settings, proxied, ingest=_cut_after_the_pipeline(proxy))
        queue = _ingest(services).queue
        [message] = await queue.receive(1, 1, visibility_timeout=VISIBILITY)

        # when it handles the job, gives up, and S3 comes back before the retry
        first = await worker.handle(message)
        job_after_outage = await _job(services, job_id)
        asset_after_outage = (await services.catalog.assets_by_ids([job_id]))[0]
        proxy.up()
        [again] = await queue.receive(1, 1, visibility_timeout=VISIBILITY)
        second = await _worker(settings, proxied).handle(again)
        await proxied.blobs.close()  # type: ignore[attr-defined]

    # then the outage registered nothing: the job went back to the queue, no asset, no report
    assert first is Outcome.RETRY
    assert proxy.refused > 0
    assert (job_after_outage.status, job_after_outage.attempts) == (JobStatus.QUEUED, 1)
    assert job_after_outage.output_keys == ()
    assert asset_after_outage is None
    # and the retry stored every output and completed the job exactly once
    assert second is Outcome.SUCCEEDED
    job = await _job(services, job_id)
    assert (job.status, job.attempts, job.asset_id) == (JobStatus.SUCCEEDED, 2, job_id)
    for key in job.output_keys:
        assert await services.blobs.exists(key), key
    stored = (await services.catalog.products_by_ids([product.id]))[0]
    assert stored is not None
    assert stored.asset_ids == (job_id,)


async def test_a_short_s3_outage_while_storing_results_is_retried_within_the_attempt(
    moto: MotoProcess,
    settings: Settings,
    services: Services,
    product: ProductRecord,
) -> None:
    # given a finalized upload, and S3 refusing the next 30 connections once the pipeline ran
    # (more than the ~11 uploads in flight try, each twice, in their first round)
    glb = _uncached_glb("round-side-table")
    finalized = await _upload_and_finalize(_client(services), product, "table.glb", glb)
    async with tcp_proxy(moto.endpoint_url) as proxy:
        proxied = dataclasses.replace(services, blobs=blob_store_through(proxy, settings))
        worker = _worker(settings, proxied, ingest=_cut_after_the_pipeline(proxy, 30))
        [message] = await _ingest(services).queue.receive(1, 1, visibility_timeout=VISIBILITY)

        # when the worker handles the job
        outcome = await worker.handle(message)
        await proxied.blobs.close()  # type: ignore[attr-defined]

    # then the uploads were tried again until S3 answered, and the job succeeded at once
    assert proxy.refused == 30
    assert outcome is Outcome.SUCCEEDED
    job = await _job(services, finalized["job"]["id"])
    assert (job.status, job.attempts) == (JobStatus.SUCCEEDED, 1)
    for key in job.output_keys:
        assert await services.blobs.exists(key), key
