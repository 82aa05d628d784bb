"""Measurement of one (scenario x server) cell, and the profile of the GraphQL server."""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx
import orjson

from bench.checks import RoundTrips
from bench.load import Call, LoadResult, drive
from bench.processes import cpu_seconds, machine_busy_seconds, main_thread_cpu_seconds
from bench.scenarios import GRAPHQL_HEADERS, Scenario


@dataclass(frozen=True)
class ServerSpec:
    """One server under test."""

    key: str
    label: str
    kind: str
    env: dict[str, str] = field(default_factory=dict)

    @property
    def graphql(self) -> bool:
        """Whether it serves GraphQL (else the hand-written JSON endpoints)."""
        return self.kind == "graphql"

    @property
    def headers(self) -> dict[str, str]:
        """Request headers for this server."""
        return GRAPHQL_HEADERS if self.graphql else {}


@dataclass(frozen=True)
class CpuSample:
    """CPU seconds of the server (all threads and its event-loop thread), moto, this driver,
    and of the whole machine (to see load from processes outside the benchmark)."""

    server: float
    server_main: float
    moto: float
    client: float
    machine: float

    @classmethod
    def take(cls, server_pid: int, moto_pid: int) -> CpuSample:
        """Read the counters now."""
        return cls(
            server=cpu_seconds(server_pid),
            server_main=main_thread_cpu_seconds(server_pid),
            moto=cpu_seconds(moto_pid),
            client=time.process_time(),
            machine=machine_busy_seconds(),
        )

    def minus(self, before: CpuSample) -> CpuSample:
        """The CPU used between ``before`` and this sample."""
        return CpuSample(
            server=self.server - before.server,
            server_main=self.server_main - before.server_main,
            moto=self.moto - before.moto,
            client=self.client - before.client,
            machine=self.machine - before.machine,
        )

    @property
    def others(self) -> float:
        """CPU used by processes outside the benchmark (never below zero)."""
        return max(self.machine - self.server - self.moto - self.client, 0.0)


@dataclass
class Cell:
    """Results of one scenario on one server."""

    scenario: Scenario
    server: ServerSpec
    load: LoadResult
    trips: RoundTrips
    cpu: CpuSample

    def per_request_ms(self, seconds: float) -> float:
        """CPU seconds spread over the requests of the run, in ms."""
        return seconds * 1000 / self.load.requests if self.load.requests else float("nan")

    def share_of_machine(self, seconds: float) -> float:
        """CPU seconds as a share of every core over the window."""
        capacity = self.load.seconds * (os.cpu_count() or 1)
        return seconds / capacity if capacity else 0.0

    @property
    def bench_busy(self) -> float:
        """Share of the machine used by the server, moto and the driver."""
        return self.share_of_machine(self.cpu.server + self.cpu.moto + self.cpu.client)

    @property
    def others_busy(self) -> float:
        """Share of the machine used by processes outside the benchmark."""
        return self.share_of_machine(self.cpu.others)


DISTURBED = 0.10
"""Share of the machine used by other processes above which a measurement is retried."""

R = TypeVar("R", "Cell", "ProfileResult")


class QuietGate:
    """Waits for processes outside the benchmark to leave the cores alone, and re-measures
    what they disturbed; the waits and the re-measurements share one time budget."""

    def __init__(self, budget_seconds: float, retries: int) -> None:
        self.budget_left = budget_seconds
        self.retries = retries
        self.waited_seconds = 0.0
        self.remeasured = 0

    async def wait(self, pids: tuple[int, int]) -> None:
        """Return once other processes used under DISTURBED of the machine for a second."""
        cores = os.cpu_count() or 1
        while self.budget_left > 0:
            before = CpuSample.take(*pids)
            started = time.perf_counter()
            await asyncio.sleep(1.0)
            elapsed = time.perf_counter() - started
            if CpuSample.take(*pids).minus(before).others / (elapsed * cores) < DISTURBED:
                return
            self.budget_left -= elapsed
            self.waited_seconds += elapsed

    async def measure(
        self, pids: tuple[int, int], attempt: Callable[[], Awaitable[R]], say: Callable[[str], None]
    ) -> R:
        """Run ``attempt`` on a quiet machine; again (up to ``retries``) if it was disturbed."""
        await self.wait(pids)
        best = await attempt()
        for _ in range(self.retries):
            if best.others_busy <= DISTURBED or self.budget_left <= 0:
                break
            self.remeasured += 1
            say(f"other processes used {best.others_busy:.0%} of the machine; measuring again")
            await self.wait(pids)
            started = time.perf_counter()
            result = await attempt()
            self.budget_left -= time.perf_counter() - started
            if result.others_busy < best.others_busy:
                best = result
        return best


@dataclass(frozen=True)
class LoadPlan:
    """How hard and how long every cell is driven."""

    concurrency: int
    warmup_seconds: float
    seconds: float
    max_requests: int


async def measure_cell(
    base_url: str,
    scenario: Scenario,
    server: ServerSpec,
    trips: RoundTrips,
    plan: LoadPlan,
    pids: tuple[int, int],
) -> Cell:
    """Drive the scenario at fixed concurrency (warm-up, then the window) and read CPU."""
    samples: dict[str, CpuSample] = {}

    def sample(edge: str) -> None:
        samples[edge] = CpuSample.take(*pids)

    load = await drive(
        base_url,
        scenario.calls(server.graphql),
        concurrency=plan.concurrency,
        warmup_seconds=plan.warmup_seconds,
        seconds=plan.seconds,
        max_requests=plan.max_requests,
        headers=server.headers,
        on_window=sample,
    )
    cpu = samples["end"].minus(samples["start"])
    return Cell(scenario=scenario, server=server, load=load, trips=trips, cpu=cpu)


@dataclass
class ProfileResult:
    """Sequential requests of one scenario on the GraphQL server, plain and under cProfile."""

    scenario: Scenario
    requests: int
    latency_ms: float
    datasource_wall_ms: float
    main_cpu_ms: float
    worker_cpu_ms: float
    moto_cpu_ms: float
    others_busy: float
    profiled_main_cpu_ms: float
    buckets: dict[str, float]
    top: list[dict[str, Any]]
    gc: dict[str, Any]

    def gc_ms(self) -> float:
        """Garbage-collector wall time per request (plain run)."""
        return float(self.gc["seconds"]) * 1000 / self.requests

    def gc_full(self) -> tuple[int, float]:
        """Full (generation 2) collections in the plain run, and their mean ms."""
        full = self.gc["by_generation"].get("2", {"runs": 0, "seconds": 0.0})
        runs = int(full["runs"])
        return runs, (float(full["seconds"]) * 1000 / runs if runs else 0.0)

    def bucket_ms(self) -> dict[str, float]:
        """Event-loop CPU per request by bucket, scaled to the unprofiled measurement."""
        total = sum(self.buckets.values()) or 1.0
        return {name: self.main_cpu_ms * value / total for name, value in self.buckets.items()}


async def _sequential(
    client: httpx.AsyncClient, calls: tuple[Call, ...], count: int
) -> tuple[list[float], list[float]]:
    latencies: list[float] = []
    datasource: list[float] = []
    for index in range(count):
        call = calls[index % len(calls)]
        sent = time.perf_counter()
        response = await client.request(call.method, call.path, content=call.body)
        latencies.append((time.perf_counter() - sent) * 1000)
        body = orjson.loads(response.content)
        if response.status_code != 200 or body.get("errors"):
            raise RuntimeError(f"profile run failed: {response.text[:300]}")
        datasource.append(float(body["extensions"]["dataSources"]["seconds"]) * 1000)
    return latencies, datasource


async def profile_scenario(
    base_url: str, scenario: Scenario, count: int, pids: tuple[int, int]
) -> ProfileResult:
    """One request at a time: CPU per request from /proc and garbage-collector time, then the
    same requests again under cProfile."""
    calls = scenario.calls(True)
    async with httpx.AsyncClient(base_url=base_url, headers=GRAPHQL_HEADERS, timeout=60) as client:
        await _sequential(client, calls, max(count // 5, 5))
        (await client.post("/_bench/profile/start?clock=none")).raise_for_status()
        before = CpuSample.take(*pids)
        latencies, datasource = await _sequential(client, calls, count)
        cpu = CpuSample.take(*pids).minus(before)
        gc_times = await client.post("/_bench/profile/stop")
        gc_times.raise_for_status()
        (await client.post("/_bench/profile/start")).raise_for_status()
        await _sequential(client, calls, count)
        stopped = await client.post("/_bench/profile/stop")
        stopped.raise_for_status()
        summary = stopped.json()
    per_request = 1000 / count
    return ProfileResult(
        scenario=scenario,
        requests=count,
        latency_ms=statistics.fmean(latencies),
        datasource_wall_ms=statistics.fmean(datasource),
        main_cpu_ms=cpu.server_main * per_request,
        worker_cpu_ms=(cpu.server - cpu.server_main) * per_request,
        moto_cpu_ms=cpu.moto * per_request,
        others_busy=cpu.others / (sum(latencies) / 1000 * (os.cpu_count() or 1)),
        profiled_main_cpu_ms=summary["total_seconds"] * per_request,
        buckets=summary["buckets"],
        top=summary["top"],
        gc=gc_times.json()["gc"],
    )
