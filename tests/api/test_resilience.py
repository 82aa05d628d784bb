"""Dead dependencies: a typed error per field, no crash, recovery; clear start-up failures."""

from __future__ import annotations

import os
import subprocess
import sys

import httpx
import pytest

from gateway.app import create_app
from gateway.bootstrap import StartupCheckFailed, build_services, provision
from tests.api.conftest import API_KEY, load_catalog
from tests.conftest import make_settings
from tests.support.moto_process import MotoProcess, free_port

pytestmark = pytest.mark.integration

QUERY = {"query": "{ products(first: 5) { totalCount nodes { name } } }"}


async def test_dynamodb_dying_mid_session_then_returning() -> None:
    # given a gateway on its own moto server with a catalog
    moto = MotoProcess()
    moto.start()
    settings = make_settings(moto.endpoint_url, VITRINE_MAX_RETRIES=0)
    services = build_services(settings)
    await provision(services)
    await load_catalog(services, 3)
    app = create_app(settings, services)
    try:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as http:
                healthy = (await http.post("/graphql", json=QUERY, headers=API_KEY)).json()
                # when DynamoDB goes away
                moto.stop()
                broken = await http.post("/graphql", json=QUERY, headers=API_KEY)
                # and comes back (empty, as a fresh moto is)
                moto.start()
                await provision(services)
                recovered = (await http.post("/graphql", json=QUERY, headers=API_KEY)).json()
    finally:
        moto.stop()
    # then the outage is a typed, attributed error and the gateway recovers by itself
    assert healthy["data"]["products"]["totalCount"] == 3
    assert broken.status_code == 200
    error = broken.json()["errors"][0]
    assert broken.json()["data"] is None
    assert error["extensions"]["errorType"] == "ServiceUnavailable"
    assert error["extensions"]["code"] == "SERVICE_UNAVAILABLE"
    assert error["message"].startswith(
        f"DynamoDB table '{settings.catalog_table}' at {moto.endpoint_url}"
    )
    assert "errors" not in recovered
    assert recovered["data"]["products"]["totalCount"] == 0


async def test_start_up_names_the_dead_service_and_its_setting() -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    settings = make_settings(dead, VITRINE_MAX_RETRIES=0)
    app = create_app(settings, build_services(settings))
    with pytest.raises(StartupCheckFailed) as failure:
        async with app.router.lifespan_context(app):
            pass
    assert str(failure.value).startswith("DynamoDB did not answer at start-up")
    assert "Check the setting VITRINE_CATALOG_TABLE / AWS_ENDPOINT_URL." in str(failure.value)


async def test_start_up_names_a_dead_redis(moto: MotoProcess) -> None:
    settings = make_settings(moto.endpoint_url, REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    app = create_app(settings, build_services(settings))
    with pytest.raises(StartupCheckFailed) as failure:
        async with app.router.lifespan_context(app):
            pass
    assert str(failure.value).startswith("Redis (resolver cache) did not answer at start-up")
    assert "REDIS_URL" in str(failure.value)


def test_cli_serve_exits_with_a_clear_message_when_aws_is_unreachable() -> None:
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}",
        "VITRINE_MAX_RETRIES": "0",
        "VITRINE_PROFILE": "test",
    }
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    done = subprocess.run(
        [sys.executable, "-m", "gateway.cli", "serve", "--port", str(free_port())],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "error: DynamoDB did not answer at start-up" in done.stderr
    assert "AWS_ENDPOINT_URL" in done.stderr
