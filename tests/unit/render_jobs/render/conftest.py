"""One GL context per test session; every test here skips when EGL gives none."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from render_jobs.render import Renderer, RendererUnavailable

ROOT = Path(__file__).resolve().parents[4]
# ../shared/assets next to the project root; a worktree elsewhere may point at it by env
SHARED_ASSETS = Path(os.environ.get("VITRINE_SHARED_ASSETS", ROOT.parent / "shared" / "assets"))


def shared_asset(name: str) -> bytes:
    """A real model from ../shared/assets, or a skip saying why it is missing."""
    path = SHARED_ASSETS / name
    if not path.is_file():
        pytest.skip(f"{path} is absent: real-model render tests need ../shared/assets")
    return path.read_bytes()


@pytest.fixture(scope="session")
def renderer() -> Iterator[Renderer]:
    try:
        renderer = Renderer()
    except RendererUnavailable as error:
        pytest.skip(f"EGL cannot create an OpenGL context here: {error}")
    yield renderer
    renderer.close()
