"""Readiness: each dependency checked concurrently, bounded by a timeout, named when down."""

from __future__ import annotations

import asyncio

from datasources.errors import DataSourceUnavailable
from gateway.readiness import Dependency, DependencyState, check_readiness


class Check:
    """A dependency check that answers, fails, hangs or breaks; counts its calls."""

    def __init__(self, behaviour: str) -> None:
        self.behaviour = behaviour
        self.calls = 0

    async def __call__(self) -> None:
        self.calls += 1
        if self.behaviour == "down":
            raise DataSourceUnavailable("Redis at redis://10.0.0.1", "ConnectionRefusedError")
        if self.behaviour == "hang":
            await asyncio.Event().wait()
        if self.behaviour == "bug":
            raise RuntimeError("unexpected")


async def test_every_dependency_gets_its_own_state() -> None:
    # given four dependencies: one up, one down, one hanging, one whose check breaks
    checks = {name: Check(name) for name in ("up", "down", "hang", "bug")}
    found = [Dependency(name, check) for name, check in checks.items()]
    # when readiness is checked with a short timeout
    readiness = await check_readiness(found, timeout_seconds=0.05)
    # then each is reported by name, the hanging one as a timeout, and none was asked twice
    assert readiness.states == {
        "up": DependencyState.OK,
        "down": DependencyState.UNAVAILABLE,
        "hang": DependencyState.TIMEOUT,
        "bug": DependencyState.ERROR,
    }
    assert readiness.ready is False
    assert readiness.failed == ["bug", "down", "hang"]
    assert [c.calls for c in checks.values()] == [1, 1, 1, 1]
    # and the body names states only, never the error's detail
    assert readiness.body() == {
        "status": "unavailable",
        "failed": ["bug", "down", "hang"],
        "dependencies": {"bug": "error", "down": "unavailable", "hang": "timeout", "up": "ok"},
    }
    assert "10.0.0.1" not in str(readiness.body())


async def test_all_up_is_ready() -> None:
    readiness = await check_readiness([Dependency("cache", Check("up"))], timeout_seconds=1)
    assert readiness.ready is True
    assert readiness.body() == {"status": "ready", "failed": [], "dependencies": {"cache": "ok"}}
