"""The Python client's journey scripts, run as a user runs them, against a real gateway."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
import trimesh

from gateway.bootstrap import build_services
from gateway.worker_cli import build_worker
from tests.e2e.conftest import Storefront

pytestmark = pytest.mark.integration

ROOT = Path(__file__).parents[2]


def _run(module: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", f"client_examples.python.{module}", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def test_browse_lists_a_category_and_a_product_model(storefront: Storefront) -> None:
    result = _run("browse", "--endpoint", f"{storefront.url}/graphql", "--category", "furniture")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "Categories: furniture, lighting, decor, gadgets, fashion"
    assert lines[1] == "Furniture: 3 products"
    assert "harbor-sofa" in lines[2]
    assert "1499.00 EUR" in lines[2]
    assert "  material variants: Emerald Velvet, Navy Velvet, Rose Velvet" in lines


async def test_buy_pays_and_reads_the_order(storefront: Storefront) -> None:
    endpoint = f"{storefront.url}/graphql"
    result = _run("buy", "--endpoint", endpoint, "--product", "amber-bud-vase")
    assert result.returncode == 0, result.stderr
    first, second = result.stdout.splitlines()
    assert first.startswith("Order ")
    assert first.endswith(" PAID: 39.00 EUR")
    assert second == "  1 x Amber Bud Vase (AMBER-BUD-VASE-STANDARD)"


async def test_buy_with_a_declined_card_says_why(storefront: Storefront) -> None:
    endpoint = f"{storefront.url}/graphql"
    result = _run(
        "buy",
        "--endpoint",
        endpoint,
        "--product",
        "harbor-sofa",
        "--payment",
        "pm_card_chargeDeclined",
    )
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith("CheckoutCompleteError: PAYMENT_DECLINED: ")


async def test_search_corrects_the_query_and_lists_facets(storefront: Storefront) -> None:
    result = _run("search", "--endpoint", f"{storefront.url}/graphql", "sofe")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[:4] == [
        "Showing results for 'sofa' (you typed 'sofe')",
        "3 results",
        "  harbor-sofa               1499.00 EUR  Harbor Three-Seat Sofa (Nordhem)",
        "    name: Harbor Three-Seat *Sofa*",
    ]
    assert "Brands: Nordhem (2), Atelier Vale (1)" in lines
    assert "Categories: Furniture (3), Sofas & Chairs (3)" in lines


async def test_search_with_filters_narrows_to_the_facet_count(storefront: Storefront) -> None:
    endpoint = f"{storefront.url}/graphql"
    result = _run("search", "--endpoint", endpoint, "sofa", "--brand", "Atelier Vale")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "1 result"
    assert lines[1].split()[0] == "lounge-armchair"
    assert "Brands: Atelier Vale (1)" in lines
    priced = _run("search", "--endpoint", endpoint, "sofa", "--max-price", "1000", "--in-stock")
    assert priced.returncode == 0, priced.stderr
    slugs = [line.split()[0] for line in priced.stdout.splitlines() if line.startswith("  ")]
    assert sorted(slugs) == ["lounge-armchair", "nook-loveseat"]


async def test_search_with_an_impossible_price_range_is_bad_user_input(
    storefront: Storefront,
) -> None:
    endpoint = f"{storefront.url}/graphql"
    result = _run(
        "search", "--endpoint", endpoint, "sofa", "--min-price", "900", "--max-price", "1"
    )
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == (
        "BAD_USER_INPUT: priceRange.min (90000) is above priceRange.max (100)\n"
    )


async def _upload_with_a_worker(
    storefront: Storefront, *args: str
) -> subprocess.CompletedProcess[str]:
    """Run upload.py while an ingest worker (as `vitrine worker` builds it) consumes the queue."""
    services = build_services(storefront.settings)
    worker = build_worker(storefront.settings, services, concurrency=1)
    running = asyncio.create_task(worker.run())
    try:
        return await asyncio.to_thread(
            _run, "upload", "--endpoint", f"{storefront.url}/graphql", *args
        )
    finally:
        worker.stop()
        await running
        await services.close()


async def test_upload_follows_the_render_job_to_success(
    storefront: Storefront, tmp_path: Path
) -> None:
    # given a small GLB made with trimesh
    model = tmp_path / "cube.glb"
    model.write_bytes(trimesh.creation.box(extents=(0.4, 0.4, 0.4)).export(file_type="glb"))
    # when the merchant uploads it for a product while a worker runs
    result = await _upload_with_a_worker(
        storefront, "--product", "lounge-armchair", "--file", str(model)
    )
    # then the script follows the job from the queue to its end
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    job_id = lines[0].split()[3]
    assert lines[0] == f"Uploaded cube.glb: job {job_id} QUEUED"
    progress = [line.split()[0] for line in lines[1:] if line.startswith("  ") and "%" in line]
    assert progress[-1] == "SUCCEEDED"
    assert set(progress) <= {"QUEUED", "RUNNING", "SUCCEEDED"}
    final = next(line for line in lines if line.startswith("Job "))
    assert final.startswith(f"Job {job_id} SUCCEEDED: asset ")
    keys = lines[lines.index(final) + 1 :]
    assert [key.strip().rsplit("/", 1)[1] for key in keys] == [
        "lod0.glb",
        "delivery-lod0.glb",
        "lod1.glb",
        "delivery-lod1.glb",
        "lod2.glb",
        "delivery-lod2.glb",
        "lod3.glb",
        "delivery-lod3.glb",
        "model.usdz",
    ]


async def test_upload_of_a_broken_model_reports_the_failed_check(
    storefront: Storefront, tmp_path: Path
) -> None:
    # given a file that claims to be a GLB but is not one
    model = tmp_path / "broken.glb"
    model.write_bytes(b"glTF" + bytes(60))
    # when the merchant uploads it
    result = await _upload_with_a_worker(
        storefront, "--product", "lounge-armchair", "--file", str(model)
    )
    # then the job fails and the script says which check refused it
    assert result.returncode == 1
    first, *progress = result.stdout.splitlines()
    job_id = first.split()[3]
    assert first == f"Uploaded broken.glb: job {job_id} QUEUED"
    assert progress[-1].split()[0] == "FAILED"
    assert result.stderr == (
        f"Job {job_id} FAILED: glb-container: unsupported GLB version 0, expected 2 (header)\n"
    )
