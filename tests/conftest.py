"""Shared fixtures: a moto server process and settings with names unique to this run."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.bootstrap import Services, build_services, provision
from gateway.local_stack.scratch_databases import postgres_server
from gateway.settings import Settings
from tests.support.moto_process import MotoProcess

os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")

SEARCH_ROOT = Path(tempfile.mkdtemp(prefix="vitrine-search-tests-"))
"""Search indexes of this test run (one directory per ``make_settings``), removed at exit."""
atexit.register(shutil.rmtree, SEARCH_ROOT, True)


@pytest.fixture(scope="session")
def shopping_server_url() -> Iterator[str]:
    """Admin URL of DATABASE_URL's server (default 127.0.0.1:5432), else a private cluster."""
    with postgres_server(os.environ.get("DATABASE_URL")) as (url, _):
        yield url


@pytest.fixture(scope="session")
def moto() -> Iterator[MotoProcess]:
    server = MotoProcess()
    server.start()
    yield server
    server.stop()


def make_settings(endpoint_url: str, **overrides: object) -> Settings:
    """Test settings pointing at ``endpoint_url`` with a fresh table and bucket."""
    suffix = uuid.uuid4().hex[:10]
    values: dict[str, object] = {
        "VITRINE_PROFILE": "test",
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "VITRINE_CATALOG_TABLE": f"catalog-{suffix}",
        "VITRINE_ASSET_BUCKET": f"assets-{suffix}",
        "REDIS_URL": None,
        "DATABASE_URL": None,
        "VITRINE_SEARCH_INDEX_DIR": str(SEARCH_ROOT / suffix),
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def settings(moto: MotoProcess) -> Settings:
    return make_settings(moto.endpoint_url)


@pytest.fixture
async def services(settings: Settings) -> Services:
    built = build_services(settings)
    await provision(built)
    return built
