"""A renderer on its own thread, for async callers (a GL context belongs to one thread)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from render_jobs.render.device import GLInfo
from render_jobs.render.renderer import Renderer

T = TypeVar("T")


class RenderThread:
    """Creates the ``Renderer`` lazily on a dedicated thread and runs every call there."""

    def __init__(self, *, samples: int = 4) -> None:
        self._samples = samples
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vitrine-gl")
        self._renderer: Renderer | None = None

    def _get(self) -> Renderer:
        if self._renderer is None:
            self._renderer = Renderer(samples=self._samples)
        return self._renderer

    async def call(self, fn: Callable[[Renderer], T]) -> T:
        """Run ``fn(renderer)`` on the GL thread."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, lambda: fn(self._get()))

    async def info(self) -> GLInfo:
        """The GL implementation (creates the context if needed)."""
        return await self.call(lambda renderer: renderer.info)

    def close(self) -> None:
        """Release the context on its thread and stop the thread."""

        def release() -> None:
            if self._renderer is not None:
                self._renderer.close()
                self._renderer = None

        self._executor.submit(release).result()
        self._executor.shutdown(wait=True)
