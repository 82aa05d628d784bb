"""An open-loop load generator: constant arrival rates, latency from the intended send time.

Each stream (a class of requests: catalog GETs, order POSTs, abusive queries) has a fixed
rate; its ``i``-th request is due at ``i / rate`` seconds after the start whether or not
earlier ones have answered (as wrk2 does), so a slow server cannot slow the driver down and
hide its own queueing (coordinated omission). A request's latency runs from that intended
time to the end of its answer; the driver's *lag* is how late it actually sent it. Slots are
dealt round-robin to several driver processes (``slots(..., worker, workers)``), so together
they send the exact schedule. Only requests due inside the measured window count.

``closed`` mode is the other usual driver: a fixed number of connections sending back to
back, for the highest throughput a server gives.
"""

from __future__ import annotations

import asyncio
import math
import multiprocessing
import os
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

import aiohttp
import orjson
import uvloop

from bench.load import percentile

CACHE_HEADER = "x-vitrine-cache"


@dataclass(frozen=True)
class Request:
    """One prepared HTTP request and the bytes a good answer must contain."""

    method: str
    path: str
    body: bytes | None = None
    headers: tuple[tuple[str, str], ...] = ()
    expect: bytes | None = None


@dataclass(frozen=True)
class Stream:
    """A class of requests sent at a constant rate, round-robin over ``requests``."""

    name: str
    rate: float
    requests: tuple[Request, ...]


@dataclass(frozen=True)
class Plan:
    """What every driver process runs: streams, warm-up, measured window, limits."""

    base_url: str
    streams: tuple[Stream, ...]
    warmup_seconds: float
    seconds: float
    timeout_seconds: float = 2.0
    connections: int = 64
    """Connections per driver process; open loop: requests beyond it wait (and count)."""
    concurrency: int = 0
    """Closed loop when above 0: this many senders per driver process, no pause."""

    @property
    def duration(self) -> float:
        """Warm-up plus window."""
        return self.warmup_seconds + self.seconds

    def rate(self, name: str) -> float:
        """The offered rate of the stream ``name``."""
        return sum(s.rate for s in self.streams if s.name == name)

    def measured(self, intended: float) -> bool:
        """Whether a request due at ``intended`` (seconds after start) is in the window."""
        return self.warmup_seconds <= intended < self.duration


def slots(rate: float, duration: float, worker: int, workers: int) -> range:
    """The slot numbers of ``worker`` (of ``workers``) in a stream of ``rate`` per second
    over ``duration`` seconds; slot ``i`` is due at ``i / rate``."""
    total = math.ceil(duration * rate) if rate > 0 else 0
    return range(worker, total, workers)


def schedule(plan: Plan, worker: int, workers: int) -> list[tuple[float, int, int]]:
    """(intended time, stream index, slot) of this worker's requests, in time order."""
    due = [
        (slot / stream.rate, index, slot)
        for index, stream in enumerate(plan.streams)
        for slot in slots(stream.rate, plan.duration, worker, workers)
    ]
    due.sort()
    return due


def outcome(status: int, body: bytes, expect: bytes | None) -> str:
    """``ok``, or what went wrong: the first GraphQL error code, ``http_<status>``, or
    ``unexpected`` when the answer lacks ``expect``."""
    if b'"errors":' in body:
        try:
            errors = orjson.loads(body).get("errors") or [{}]
            code = (errors[0].get("extensions") or {}).get("code")
        except (orjson.JSONDecodeError, AttributeError):
            code = None
        return str(code) if code else f"http_{status}"
    if status != 200:
        return f"http_{status}"
    if expect is not None and expect not in body:
        return "unexpected"
    return "ok"


@dataclass
class StreamResult:
    """What one stream's measured requests got (one driver process, or several merged)."""

    name: str
    latencies_ms: list[float] = field(default_factory=list)
    lags_ms: list[float] = field(default_factory=list)
    outcomes: Counter[str] = field(default_factory=Counter)
    cache: Counter[str] = field(default_factory=Counter)
    first_error: str | None = None

    def record(
        self, intended: float, sent: float, done: float, result: str, detail: str = ""
    ) -> None:
        """One request due at ``intended``, sent at ``sent``, answered (or given up) at
        ``done``: all times in seconds on the same clock."""
        self.latencies_ms.append((done - intended) * 1000)
        self.lags_ms.append((sent - intended) * 1000)
        self.outcomes[result] += 1
        if result != "ok" and self.first_error is None:
            self.first_error = f"{result}: {detail[:300]}"

    def merge(self, other: StreamResult) -> None:
        """Add another process's results for the same stream."""
        self.latencies_ms += other.latencies_ms
        self.lags_ms += other.lags_ms
        self.outcomes.update(other.outcomes)
        self.cache.update(other.cache)
        self.first_error = self.first_error or other.first_error

    @property
    def requests(self) -> int:
        """Measured requests."""
        return sum(self.outcomes.values())

    @property
    def errors(self) -> int:
        """Measured requests that were not ``ok``."""
        return self.requests - self.outcomes["ok"]

    def latency_ms(self, q: float) -> float:
        """Latency percentile from the intended send time."""
        return percentile(self.latencies_ms, q)

    def lag_ms(self, q: float) -> float:
        """Percentile of how late the driver sent."""
        return percentile(self.lags_ms, q)


@dataclass
class RunResult:
    """All streams of one run, with the drivers' own figures."""

    plan: Plan
    streams: dict[str, StreamResult]
    driver_cpu_seconds: float = 0.0
    workers: int = 1

    def rate(self, name: str, outcome_name: str | None = "ok") -> float:
        """Measured answers of a stream per second (``ok`` ones by default; None: all)."""
        result = self.streams[name]
        count = result.requests if outcome_name is None else result.outcomes[outcome_name]
        return count / self.plan.seconds

    def lag_ms(self, q: float) -> float:
        """Percentile of how late the drivers sent, over every stream."""
        return percentile([lag for r in self.streams.values() for lag in r.lags_ms], q)

    @property
    def driver_busy(self) -> float:
        """The driver processes' CPU as a share of one core over the whole run."""
        return self.driver_cpu_seconds / self.plan.duration


def merge(plan: Plan, parts: Sequence[RunResult]) -> RunResult:
    """One result from the driver processes' results."""
    streams = {s.name: StreamResult(s.name) for s in plan.streams}
    for part in parts:
        for name, result in part.streams.items():
            streams[name].merge(result)
    cpu = sum(p.driver_cpu_seconds for p in parts)
    return RunResult(plan, streams, cpu, workers=len(parts))


async def _send(
    session: aiohttp.ClientSession, plan: Plan, request: Request
) -> tuple[str, str, str | None]:
    try:
        async with session.request(
            request.method,
            plan.base_url + request.path,
            data=request.body,
            headers=dict(request.headers),
        ) as response:
            body = await response.read()
            result = outcome(response.status, body, request.expect)
            return result, body[:300].decode(errors="replace"), response.headers.get(CACHE_HEADER)
    except TimeoutError:
        return "timeout", f"no answer in {plan.timeout_seconds:g} s", None
    except aiohttp.ClientError as error:
        return "connection_error", f"{type(error).__name__}: {error}", None


def _session(plan: Plan) -> aiohttp.ClientSession:
    limit = max(plan.connections, plan.concurrency)
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=limit, limit_per_host=limit),
        timeout=aiohttp.ClientTimeout(total=plan.timeout_seconds),
    )


async def _open_loop(plan: Plan, worker: int, workers: int, start_at: float) -> RunResult:
    results = {s.name: StreamResult(s.name) for s in plan.streams}
    async with _session(plan) as session:
        tasks: set[asyncio.Task[None]] = set()

        async def one(intended: float, stream: Stream, slot: int) -> None:
            request = stream.requests[slot % len(stream.requests)]
            sent = time.monotonic() - start_at
            result, detail, cache = await _send(session, plan, request)
            if plan.measured(intended):
                results[stream.name].record(
                    intended, sent, time.monotonic() - start_at, result, detail
                )
                if cache is not None:
                    results[stream.name].cache[cache] += 1

        for intended, index, slot in schedule(plan, worker, workers):
            delay = start_at + intended - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            task = asyncio.create_task(one(intended, plan.streams[index], slot))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        if tasks:
            await asyncio.gather(*tasks)
    return RunResult(plan, results)


async def _closed_loop(plan: Plan, worker: int, workers: int, start_at: float) -> RunResult:
    stream = plan.streams[0]
    result = StreamResult(stream.name)
    counter: Iterator[int] = iter(range(worker, 1 << 62, workers))
    end = start_at + plan.duration
    async with _session(plan) as session:

        async def sender() -> None:
            while (now := time.monotonic()) < end:
                request = stream.requests[next(counter) % len(stream.requests)]
                outcome_name, detail, cache = await _send(session, plan, request)
                done = time.monotonic()
                if plan.measured(now - start_at) and done < end:
                    result.record(
                        now - start_at, now - start_at, done - start_at, outcome_name, detail
                    )
                    if cache is not None:
                        result.cache[cache] += 1

        await asyncio.sleep(max(0.0, start_at - time.monotonic()))
        await asyncio.gather(*(sender() for _ in range(plan.concurrency)))
    return RunResult(plan, {stream.name: result})


def run_worker(plan: Plan, worker: int, workers: int, start_at: float) -> RunResult:
    """One driver process's share of ``plan``, starting at ``start_at`` (time.monotonic(),
    which every process on the machine reads from the same clock)."""
    cpu = time.process_time()
    body = _closed_loop if plan.concurrency > 0 else _open_loop
    result = uvloop.run(body(plan, worker, workers, start_at))
    result.driver_cpu_seconds = time.process_time() - cpu
    return result


def _ready(seconds: float) -> int:
    """Keep a driver process busy for a moment (so that each one gets a call); its pid."""
    time.sleep(seconds)
    return os.getpid()


class Drivers:
    """Driver processes (spawned once, reused for every run)."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))

    def __enter__(self) -> Drivers:
        # Start every process now (each import takes a while), not inside the first run.
        list(self._pool.map(_ready, [0.5] * self.workers))
        return self

    def __exit__(self, *_: object) -> None:
        self._pool.shutdown(cancel_futures=True)

    async def run(self, plan: Plan, lead_seconds: float = 0.5) -> RunResult:
        """Run ``plan`` split over every driver process; their merged result."""
        loop = asyncio.get_running_loop()
        start_at = time.monotonic() + lead_seconds
        parts = await asyncio.gather(
            *(
                loop.run_in_executor(self._pool, run_worker, plan, worker, self.workers, start_at)
                for worker in range(self.workers)
            )
        )
        return merge(plan, parts)
