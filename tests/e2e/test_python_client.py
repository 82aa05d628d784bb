"""The Python client's journey scripts, run as a user runs them, against a real gateway."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
import trimesh

from client_examples.python.buy import buy, cognito_sign_in, storefront_cognito
from client_examples.python.client import Vitrine
from gateway.bootstrap import build_services
from gateway.local_cognito import demo_user
from gateway.worker_cli import build_worker
from tests.e2e.conftest import RestartableGateway, Storefront
from tests.support.shopping_api import ORDER_FULFILL

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


# --- subscribe.py: following an order live, through restarts ------------------------------


def _sign_in(storefront: Storefront, role: str) -> str:
    """An access token of the demo user playing ``role``, from the local Cognito pool."""
    with Vitrine(endpoint=f"{storefront.url}/graphql") as client:
        pool = storefront_cognito(client)
    user = demo_user(role)
    return cognito_sign_in(pool["endpoint"], pool["clientId"], user.username, user.password)


def _paid_order(endpoint: str, shopper_token: str) -> dict[str, Any]:
    """A paid order of the demo shopper (a loveseat, of which there are plenty)."""
    with Vitrine(endpoint=endpoint) as client:
        order = buy(client, "nook-loveseat", None, shopper_token, "pm_card_visa")
    assert order["__typename"] == "Order", order
    assert order["status"] == "PAID"
    return order


async def _fulfil(url: str, order_id: str, admin_token: str) -> None:
    async with httpx.AsyncClient(timeout=30) as http:
        response = await http.post(
            f"{url}/graphql",
            json={"query": ORDER_FULFILL, "variables": {"id": order_id, "key": uuid.uuid4().hex}},
            headers={"authorization": f"Bearer {admin_token}"},
        )
    body = response.json()
    assert "errors" not in body, body
    assert body["data"]["orderFulfill"]["__typename"] == "OrderFulfillSuccess"


async def _follow(url: str, order_id: str, token: str, transport: str) -> Any:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "client_examples.python.subscribe",
        "--endpoint",
        f"{url}/graphql",
        "--order",
        order_id,
        "--token",
        token,
        "--transport",
        transport,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def _line(process: Any) -> str:
    async with asyncio.timeout(60):
        line: bytes = await process.stdout.readline()
    return line.decode().rstrip("\n")


async def _finished(process: Any) -> tuple[int, list[str], str]:
    """The exit code, the rest of stdout's lines and stderr, once it exits (bounded)."""
    try:
        async with asyncio.timeout(60):
            out, err = await process.communicate()
    except TimeoutError:
        process.kill()
        out, err = await process.communicate()
        pytest.fail(f"subscribe.py did not finish: {out.decode()} {err.decode()}")
    return process.returncode, out.decode().splitlines(), err.decode()


async def _subscribed(gateway: RestartableGateway, count: int) -> None:
    """Wait until the gateway's bus has ``count`` subscribers (bounded)."""
    async with asyncio.timeout(30):
        # Counts, not time: the bus reports its subscribers, it has no event to wait on.
        while gateway.subscribers < count:  # noqa: ASYNC110
            await asyncio.sleep(0.05)


@pytest.fixture
async def restartable(storefront: Storefront) -> Any:
    gateway = RestartableGateway(storefront.settings)
    await gateway.start()
    yield gateway
    await gateway.stop()


async def test_subscribe_over_sse_resubscribes_after_a_restart_and_prints_the_move(
    storefront: Storefront, restartable: RestartableGateway
) -> None:
    # given the demo shopper's paid order, followed by subscribe.py over Server-Sent Events
    shopper, admin = await asyncio.gather(
        asyncio.to_thread(_sign_in, storefront, "shopper"),
        asyncio.to_thread(_sign_in, storefront, "admin"),
    )
    order = await asyncio.to_thread(_paid_order, f"{restartable.url}/graphql", shopper)
    before = restartable.subscribers
    process = await _follow(restartable.url, order["id"], shopper, "sse")
    first = await _line(process)
    await _subscribed(restartable, before + 1)

    # when the gateway restarts under it, and the merchant then fulfils the order
    await restartable.stop()
    await restartable.start()
    await _subscribed(restartable, before + 1)
    await _fulfil(restartable.url, order["id"], admin)
    code, rest, err = await _finished(process)

    # then the script reconnected, resubscribed and printed the move, then stopped at it
    assert first == f"Order {order['number']}: PAID"
    assert rest == [f"Order {order['number']}: FULFILLED (was PAID)"]
    assert code == 0, err
    notes = err.splitlines()
    assert all(note.startswith("reconnecting in ") for note in notes), err
    assert notes[0].endswith("the event stream broke (RemoteProtocolError)")


async def test_subscribe_over_websockets_reads_a_move_it_missed_while_disconnected(
    storefront: Storefront, restartable: RestartableGateway
) -> None:
    # given the shopper's paid order, followed by subscribe.py over graphql-transport-ws
    shopper, admin = await asyncio.gather(
        asyncio.to_thread(_sign_in, storefront, "shopper"),
        asyncio.to_thread(_sign_in, storefront, "admin"),
    )
    order = await asyncio.to_thread(_paid_order, f"{restartable.url}/graphql", shopper)
    before = restartable.subscribers
    process = await _follow(restartable.url, order["id"], shopper, "ws")
    first = await _line(process)
    await _subscribed(restartable, before + 1)

    # when its gateway is down while the order is fulfilled through another gateway
    await restartable.stop()
    await _fulfil(storefront.url, order["id"], admin)
    await restartable.start()
    code, rest, err = await _finished(process)

    # then, back online, it read the order's status and stopped at the final one
    assert first == f"Order {order['number']}: PAID"
    assert rest == [f"Order {order['number']}: FULFILLED"]
    assert code == 0, err
    notes = err.splitlines()
    assert all(note.startswith("reconnecting in ") for note in notes), err
    assert ": the WebSocket closed (" in notes[0]


async def test_subscribe_with_a_bad_token_says_why_and_fails(storefront: Storefront) -> None:
    process = await _follow(storefront.url, "T3JkZXI6bm9uZQ==", "forged-token", "sse")
    code, out, err = await _finished(process)
    assert (code, out) == (1, [])
    assert err.startswith("401: ")
    assert err.rstrip().endswith("(UnauthorizedException)")


async def test_subscribe_to_someone_elses_order_is_not_found(storefront: Storefront) -> None:
    shopper = await asyncio.to_thread(_sign_in, storefront, "shopper")
    process = await _follow(storefront.url, "T3JkZXI6bm9uZQ==", shopper, "sse")
    code, out, err = await _finished(process)
    assert (code, out) == (1, [])
    assert err == "NOT_FOUND: no order T3JkZXI6bm9uZQ== for this shopper\n"
