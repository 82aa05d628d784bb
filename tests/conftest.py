"""Shared fixtures: a moto server process and settings with names unique to this run."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from gateway.bootstrap import Services, build_services, provision
from gateway.settings import Settings
from tests.support.moto_process import MotoProcess

os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")


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
