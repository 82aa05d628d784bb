"""CPU profile of the server's event-loop thread, bucketed by layer.

The server (``python -m bench.serve ... --profile``) exposes ``POST /_bench/profile/start``
and ``POST /_bench/profile/stop[?dump=FILE]``; stop answers with :func:`summarize`'s buckets
(and writes the raw stats to FILE for ``python -m pstats``). Only the event-loop thread is
profiled: time spent waiting in the loop is outside any Python frame and is not counted.
Worker threads (PynamoDB runs in ``asyncio.to_thread``) are not profiled: the driver reads
their CPU from ``/proc``.
"""

from __future__ import annotations

import cProfile
import gc
import pstats
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.responses import ORJSONResponse

ROOT = Path(__file__).resolve().parent.parent
FuncKey = tuple[str, int, str]

GRAPHQL = "GraphQL execution (graphql-core, strawberry, resolvers)"
ADAPTERS = "data-source adapters on the loop (codecs, paging, loaders)"
URLS = "asset URL presigning (botocore, AssetUrls)"
HTTP = "HTTP framework (uvicorn, starlette, fastapi, pydantic)"
JSON_ENCODING = "JSON encoding"
LOOP = "event loop, tasks and thread hand-off"
OTHER = "other"

_BY_PATH: tuple[tuple[str, str], ...] = (
    ("/graphql/", GRAPHQL),
    ("/strawberry/", GRAPHQL),
    (f"{ROOT}/schema/", GRAPHQL),
    (f"{ROOT}/resolvers/", GRAPHQL),
    (f"{ROOT}/gateway/", GRAPHQL),
    (f"{ROOT}/datasources/", ADAPTERS),
    ("/pynamodb/", ADAPTERS),
    ("/botocore/", URLS),
    ("/boto3/", URLS),
    ("/dateutil/", URLS),
    ("/uvicorn/", HTTP),
    ("/starlette/", HTTP),
    ("/fastapi/", HTTP),
    ("/pydantic/", HTTP),
    ("/pydantic_core/", HTTP),
    ("/anyio/", HTTP),
    ("/httptools/", HTTP),
    ("/json/", JSON_ENCODING),
    ("/orjson/", JSON_ENCODING),
    ("/asyncio/", LOOP),
    ("/uvloop/", LOOP),
    ("/concurrent/", LOOP),
    ("threading.py", LOOP),
)
_BUILTINS: tuple[tuple[str, str], ...] = (
    ("json", JSON_ENCODING),
    ("orjson", JSON_ENCODING),
    ("uvloop", LOOP),
    ("run_until_complete", LOOP),
    ("run_forever", LOOP),
    ("select", LOOP),
    ("poll", LOOP),
    ("to_thread", LOOP),
)


def _direct_bucket(func: FuncKey) -> str | None:
    filename, _, name = func
    if filename == "~":
        return next((bucket for word, bucket in _BUILTINS if word in name), None)
    return next((bucket for part, bucket in _BY_PATH if part in filename), None)


class _Attribution:
    """Buckets functions by file; builtins and stdlib helpers go to their callers' buckets."""

    def __init__(self, stats: dict[FuncKey, Any]) -> None:
        self._stats = stats
        self._memo: dict[FuncKey, dict[str, float]] = {}

    def shares(self, func: FuncKey, depth: int = 0) -> dict[str, float]:
        """How ``func``'s own time splits over buckets (shares sum to 1)."""
        if func in self._memo:
            return self._memo[func]
        direct = _direct_bucket(func)
        if direct is not None or depth > 6:
            result = {direct or OTHER: 1.0}
        else:
            self._memo[func] = {OTHER: 1.0}  # cycle guard
            callers: dict[FuncKey, tuple[Any, ...]] = self._stats[func][4]
            weights: dict[str, float] = defaultdict(float)
            for caller, timing in callers.items():
                for bucket, share in self.shares(caller, depth + 1).items():
                    weights[bucket] += timing[2] * share
            total = sum(weights.values())
            result = {b: w / total for b, w in weights.items()} if total > 0 else {OTHER: 1.0}
        self._memo[func] = result
        return result


def _label(func: FuncKey) -> str:
    filename, line, name = func
    if filename == "~":
        return name
    path = filename.split("site-packages/")[-1].replace(f"{ROOT}/", "")
    return f"{path}:{line}({name})"


def summarize(profile: cProfile.Profile, top: int = 15) -> dict[str, Any]:
    """Own time by bucket, and the costliest functions, of a finished profile."""
    stats: dict[FuncKey, Any] = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    attribution = _Attribution(stats)
    buckets: dict[str, float] = defaultdict(float)
    for func, (_, _, tottime, _, _) in stats.items():
        for bucket, share in attribution.shares(func).items():
            buckets[bucket] += tottime * share
    costliest = sorted(stats.items(), key=lambda item: item[1][2], reverse=True)[:top]
    return {
        "buckets": dict(sorted(buckets.items(), key=lambda kv: -kv[1])),
        "total_seconds": sum(buckets.values()),
        "top": [
            {
                "function": _label(func),
                "bucket": max(attribution.shares(func).items(), key=lambda kv: kv[1])[0],
                "calls": calls,
                "own_seconds": tottime,
                "cumulative_seconds": cumtime,
            }
            for func, (_, calls, tottime, cumtime, _) in costliest
        ],
    }


class GcTimer:
    """Wall time of the garbage collector's runs, by generation, while installed."""

    def __init__(self) -> None:
        self.seconds: dict[int, float] = defaultdict(float)
        self.runs: dict[int, int] = defaultdict(int)
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            generation = info["generation"]
            self.seconds[generation] += time.perf_counter() - self._started
            self.runs[generation] += 1

    def summary(self) -> dict[str, Any]:
        """Seconds and runs per generation."""
        return {
            "frozen": gc.get_freeze_count(),
            "seconds": sum(self.seconds.values()),
            "by_generation": {
                str(g): {"runs": self.runs[g], "seconds": self.seconds[g]}
                for g in sorted(self.runs)
            },
        }


def add_profile_routes(app: FastAPI) -> None:
    """``POST /_bench/profile/start`` and ``/stop`` (the stop answer is the summary).

    ``start?clock=none`` times only the garbage collector, without cProfile.
    """
    profiles: dict[str, cProfile.Profile] = {}
    timers: dict[str, GcTimer] = {}

    @app.post("/_bench/profile/start")
    async def start(clock: str = "wall") -> ORJSONResponse:
        timers["gc"] = GcTimer()
        gc.callbacks.append(timers["gc"])
        if clock != "none":
            profiles["profile"] = cProfile.Profile()
            profiles["profile"].enable()
        return ORJSONResponse({"profiling": clock != "none"})

    @app.post("/_bench/profile/stop")
    async def stop(dump: str | None = None) -> ORJSONResponse:
        timer = timers.pop("gc")
        gc.callbacks.remove(timer)
        profile = profiles.pop("profile", None)
        if profile is None:
            return ORJSONResponse({"gc": timer.summary()})
        profile.disable()
        if dump:
            profile.dump_stats(dump)
        return ORJSONResponse({**summarize(profile), "gc": timer.summary()})
