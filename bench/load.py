"""A small closed-loop load generator: fixed concurrency, bounded by time and request count."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import httpx


@dataclass(frozen=True)
class Call:
    """One prepared HTTP request (the body is encoded once, up front)."""

    method: str
    path: str
    body: bytes | None = None


@dataclass
class LoadResult:
    """Outcome of one load run."""

    requests: int = 0
    errors: int = 0
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    first_error: str | None = None

    @property
    def requests_per_second(self) -> float:
        """Requests completed in the window (errors included) per second."""
        return self.requests / self.seconds if self.seconds > 0 else 0.0

    def percentile_ms(self, q: float) -> float:
        """The ``q``-th percentile of latency (linear interpolation)."""
        return percentile(self.latencies_ms, q)


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100) of ``values`` by linear interpolation; NaN if empty."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def is_error(response: httpx.Response) -> bool:
    """A non-200 status, or a GraphQL ``errors`` entry in a 200 response."""
    return response.status_code != 200 or b'"errors":' in response.content


async def drive(
    base_url: str,
    calls: Sequence[Call],
    *,
    concurrency: int,
    warmup_seconds: float,
    seconds: float,
    max_requests: int,
    headers: dict[str, str] | None = None,
    on_window: Callable[[str], None] | None = None,
) -> LoadResult:
    """Send ``calls`` round-robin from ``concurrency`` clients, without pause.

    The clients run through the warm-up straight into the measured window, so the window
    sees a steady state; requests that complete inside it are counted, the ones still in
    flight when it closes are cancelled (as wrk does). ``on_window`` is called with
    ``"start"`` and ``"end"`` at the window's edges (to read CPU counters).
    """
    result = LoadResult()
    order = itertools.count()
    enough = asyncio.Event()
    window: dict[str, float] = {}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(
        base_url=base_url, limits=limits, timeout=120, headers=headers
    ) as client:

        async def client_loop() -> None:
            while not enough.is_set():
                call = calls[next(order) % len(calls)]
                sent = time.perf_counter()
                try:
                    response = await client.request(call.method, call.path, content=call.body)
                    failed = is_error(response)
                    detail = f"{response.status_code}: {response.text[:300]}"
                except httpx.HTTPError as error:
                    failed, detail = True, f"{type(error).__name__}: {error}"
                if "start" not in window or "end" in window:
                    continue
                result.latencies_ms.append((time.perf_counter() - sent) * 1000)
                result.requests += 1
                if failed:
                    result.errors += 1
                    result.first_error = result.first_error or detail
                if result.requests >= max_requests:
                    enough.set()

        tasks = [asyncio.create_task(client_loop()) for _ in range(concurrency)]
        await asyncio.sleep(warmup_seconds)
        if on_window is not None:
            on_window("start")
        window["start"] = time.perf_counter()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(enough.wait(), timeout=seconds)
        window["end"] = time.perf_counter()
        if on_window is not None:
            on_window("end")
        enough.set()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    result.seconds = window["end"] - window["start"]
    return result
