"""The storefront's merchant page in headless Chromium against a real gateway that runs the
ingest/render worker inside it, as `make run` does (moto S3, SQS, DynamoDB and Cognito). The
demo admin uploads a procedural GLB straight to S3 and watches its ingest job on a progress
bar, through a dropped WebSocket, then the poster render, and sees the poster; a broken file
shows the check that rejected it; a shopper is told the page is for merchant admins only."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import httpx
import numpy as np
import pytest
from PIL import Image
from playwright.async_api import Page

from gateway.local_cognito import demo_user
from render_jobs.procedural import DEMO_RECIPES, build_glb
from tests.e2e.conftest import ARTIFACTS, SocketSwitch, Storefront, Visit, sign_in_token

pytestmark = pytest.mark.integration

OPERATIONS = Path(__file__).resolve().parents[2] / "client_examples" / "operations"
BAD_FILE = (
    Path(__file__).resolve().parents[2].parent / "shared" / "assets" / "bad" / "nan_positions.glb"
)
PRODUCT = "amber-bud-vase"
FINISHED = {"SUCCEEDED", "FAILED"}


@pytest.fixture(scope="module")
def storefront_environment() -> dict[str, str]:
    # the ingest/render worker inside the gateway, as `make run` runs it
    return {"VITRINE_LOCAL_WORKER": "true", "VITRINE_WORKER_RETRY_DELAY": "0"}


@pytest.fixture(scope="module")
def model_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    recipe = next(r for r in DEMO_RECIPES if r.name == "laptop-riser")
    path = tmp_path_factory.mktemp("upload") / "laptop-riser.glb"
    path.write_bytes(build_glb(recipe))
    return path


async def _sign_in(storefront: Storefront, page: Page, role: str) -> None:
    """Sign in as the demo ``role`` from the sign-in page that leads to the merchant page."""
    user = demo_user(role)
    await page.goto(f"{storefront.url}/storefront#/signin?next=merchant")
    await page.fill("#signin input[name=email]", user.username)
    await page.fill("#signin input[name=password]", user.password)
    await page.click("#signin button[type=submit]")


async def _upload(page: Page, path: Path) -> None:
    await page.wait_for_selector("section.merchant")
    await page.select_option("#upload select[name=product]", PRODUCT)
    await page.set_input_files("#upload input[name=file]", str(path))
    await page.click("#upload-button")


async def _steps(page: Page, phase: str) -> list[tuple[str, str, int]]:
    """(status, stage, percent) of each step the page showed for ``phase``."""
    items = page.locator(f"#job-log li[data-phase='{phase}']")
    return [
        (
            await item.get_attribute("data-status") or "",
            await item.get_attribute("data-stage") or "",
            int(await item.get_attribute("data-percent") or "-1"),
        )
        for item in await items.all()
    ]


async def _wait_finished(storefront: Storefront, job_id: str) -> str:
    """Read the job over HTTP as the admin until it is finished (bounded); its status."""
    token = await sign_in_token(storefront, "admin")
    query = (OPERATIONS / "MerchantRenderJob.graphql").read_text(encoding="utf-8")
    async with httpx.AsyncClient(timeout=30) as http:
        for _ in range(600):
            response = await http.post(
                f"{storefront.url}/graphql",
                json={"query": query, "variables": {"id": job_id}},
                headers={"authorization": f"Bearer {token}"},
            )
            body = response.json()
            assert "errors" not in body, body
            status: str = body["data"]["renderJob"]["status"]
            if status in FINISHED:
                return status
            await asyncio.sleep(0.1)
    raise AssertionError(f"job {job_id} is still {status}")


def _coloured_pixels(image: bytes) -> int:
    """Pixels that differ from the image's top-left corner (its background)."""
    pixels = np.asarray(Image.open(io.BytesIO(image)).convert("RGB"))
    return int((pixels != pixels[0, 0]).any(axis=2).sum())


async def test_admin_uploads_a_model_and_follows_it_to_its_poster(
    visit: Visit, storefront: Storefront, model_file: Path
) -> None:
    # given the demo admin on the merchant page, whose WebSockets the test can cut and hold
    admin = await visit()
    switch = SocketSwitch()
    await switch.attach(admin.page)
    page = admin.page
    await _sign_in(storefront, page, "admin")
    # when they upload a GLB for the vase
    await _upload(page, model_file)
    # and the WebSocket drops while the model is processed, the reconnection held until it is
    await page.wait_for_selector("#job[data-phase='INGEST'][data-status='RUNNING']")
    switch.hold_next()
    await switch.cut()
    await page.wait_for_selector("#live-status[data-state='reconnecting']")
    await switch.wait_held()
    job_id = await page.get_attribute("#job", "data-job-id") or ""
    finished = await _wait_finished(storefront, job_id)
    missed = await page.get_attribute("#job", "data-status")
    await switch.release()
    # then, connected again, the page reads the finished job, renders its poster and shows it
    poster = page.locator("#poster")
    await poster.wait_for(timeout=60_000)
    width = await poster.evaluate("img => img.decode().then(() => img.naturalWidth)")
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "storefront-merchant-upload.png"), full_page=True)
    assert (finished, missed) == ("SUCCEEDED", "RUNNING")
    ingest = await _steps(page, "INGEST")
    assert ingest[0] == ("QUEUED", "queued", 0)
    assert "RUNNING" in {status for status, _, _ in ingest}
    assert ingest[-1][0::2] == ("SUCCEEDED", 100)
    assert [percent for _, _, percent in ingest] == sorted(percent for _, _, percent in ingest)
    render = await _steps(page, "RENDER")
    assert render[0][0] == "QUEUED"
    assert render[-1] == ("SUCCEEDED", "done", 100)
    assert await page.get_attribute("#job-progress", "value") == "100"
    assert width == 512
    async with httpx.AsyncClient(timeout=30) as http:
        image = (await http.get(await poster.get_attribute("src") or "")).content
    assert _coloured_pixels(image) > 512 * 512 // 20
    assert await page.is_visible("#merchant-link")
    assert admin.outside == []


async def test_a_broken_file_shows_the_check_that_rejected_it(
    visit: Visit, storefront: Storefront
) -> None:
    if not BAD_FILE.is_file():
        pytest.skip(f"{BAD_FILE} is absent: the bad-file test needs ../shared/assets")
    # given the demo admin on the merchant page
    admin = await visit()
    page = admin.page
    await _sign_in(storefront, page, "admin")
    # when they upload a GLB whose positions hold NaN
    await _upload(page, BAD_FILE)
    # then the job fails and the page says which check rejected the file, where and why
    await page.wait_for_selector("#job[data-status='FAILED']", timeout=60_000)
    reason = page.locator("#job-result .problem")
    await page.screenshot(path=str(ARTIFACTS / "storefront-merchant-rejected.png"))
    assert await reason.get_attribute("data-code") == "non-finite"
    assert "/accessors/0" in await reason.inner_text()
    assert (await _steps(page, "INGEST"))[-1][0] == "FAILED"
    assert await page.locator("#job-log li[data-phase='RENDER']").count() == 0
    assert admin.outside == []


async def test_the_merchant_page_is_for_merchant_admins_only(
    visit: Visit, storefront: Storefront
) -> None:
    # given a visitor who is not signed in
    visitor = await visit()
    page = visitor.page
    # when they open the merchant page
    await page.goto(f"{storefront.url}/storefront#/merchant")
    # then they are asked to sign in
    await page.wait_for_selector(".problem[data-code='SIGN_IN']")
    # when the demo shopper signs in and lands on it
    await _sign_in(storefront, page, "shopper")
    # then the API's FORBIDDEN is shown as "merchant admins only", with no upload form
    refused = page.locator(".problem[data-code='FORBIDDEN']")
    await refused.wait_for()
    await page.screenshot(path=str(ARTIFACTS / "storefront-merchant-forbidden.png"))
    text = await refused.inner_text()
    assert text.startswith("Merchant admins only: shopper@vitrine.local is not a merchant admin")
    assert "Only merchant admins may do this" in text
    assert await page.locator("#upload").count() == 0
    assert not await page.is_visible("#merchant-link")
    assert visitor.outside == []
