"""A real gateway on a loopback port (uvicorn in a thread) for browser and client tests."""

from __future__ import annotations

import asyncio
import shutil
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import uvicorn

from gateway.app import create_app
from gateway.bootstrap import Services
from gateway.settings import Settings
from tests.api.conftest import load_catalog
from tests.support.moto_process import free_port

ARTIFACTS = Path(__file__).parents[1] / "artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def _wait_started(server: uvicorn.Server, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)


@pytest.fixture
async def gateway_url(settings: Settings, services: Services) -> AsyncIterator[str]:
    await load_catalog(services, 12)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings, services), host="127.0.0.1", port=port, log_level="warning"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    await asyncio.to_thread(_wait_started, server)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def chromium_or_skip() -> str:
    """Debian's Chromium, or skip with the reason."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed (make test installs Debian's chromium as root)")
    return CHROMIUM
