"""``/readyz``: whether every configured dependency answers now, each within a short timeout.

``/healthz`` (liveness) says the process serves HTTP; ``/readyz`` asks each data source the
gateway was built with (the same ``check`` methods as the start-up checks) concurrently, so a
load balancer or an operator sees which dependency is down. Answers name the dependency and
its state only; the error detail (hosts, messages) goes to the log, not to the caller.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

import structlog

from datasources.errors import DataSourceUnavailable

if TYPE_CHECKING:
    from gateway.bootstrap import Services

log = structlog.get_logger("vitrine.readiness")


class DependencyState(StrEnum):
    """What one check found."""

    OK = "ok"
    UNAVAILABLE = "unavailable"
    """The dependency answered with an error, or could not be reached."""
    TIMEOUT = "timeout"
    """No answer within ``VITRINE_READINESS_TIMEOUT``."""
    ERROR = "error"
    """The check itself failed unexpectedly (logged with its traceback)."""


@dataclass(frozen=True)
class Dependency:
    """A named dependency and the call that checks it."""

    name: str
    check: Callable[[], Awaitable[None]]


@dataclass(frozen=True)
class Readiness:
    """Every dependency's state; ready when all are ``ok``."""

    states: dict[str, DependencyState]

    @property
    def ready(self) -> bool:
        """Whether every dependency answered."""
        return all(state is DependencyState.OK for state in self.states.values())

    @property
    def failed(self) -> list[str]:
        """The dependencies that did not answer, by name."""
        return sorted(n for n, s in self.states.items() if s is not DependencyState.OK)

    def body(self) -> dict[str, object]:
        """The JSON answer of ``/readyz``."""
        return {
            "status": "ready" if self.ready else "unavailable",
            "failed": self.failed,
            "dependencies": {name: state.value for name, state in sorted(self.states.items())},
        }


def dependencies(services: Services) -> list[Dependency]:
    """The dependencies these services were configured with."""
    found = [
        Dependency("cache", services.cache.check),
        Dependency("dynamodb", services.catalog.check),
        Dependency("s3", services.blobs.check),
    ]
    if services.shopping is not None:
        found.append(Dependency("postgres", services.shopping.inventory.check))
    if services.ingest is not None:
        found.append(Dependency("sqs", services.ingest.queue.check))
    if services.rate_limiter is not None:
        found.append(Dependency("rate_limiter", services.rate_limiter.check))
    return found


async def _state(dependency: Dependency, timeout_seconds: float) -> DependencyState:
    try:
        await asyncio.wait_for(dependency.check(), timeout_seconds)
    except TimeoutError:
        log.warning("readiness_timeout", dependency=dependency.name, seconds=timeout_seconds)
        return DependencyState.TIMEOUT
    except DataSourceUnavailable as error:
        log.warning("readiness_unavailable", dependency=dependency.name, error=str(error))
        return DependencyState.UNAVAILABLE
    except Exception:
        log.exception("readiness_error", dependency=dependency.name)
        return DependencyState.ERROR
    return DependencyState.OK


async def check_readiness(found: list[Dependency], timeout_seconds: float) -> Readiness:
    """Check every dependency concurrently, each bounded by ``timeout_seconds``."""
    states = await asyncio.gather(*(_state(d, timeout_seconds) for d in found))
    return Readiness({d.name: s for d, s in zip(found, states, strict=True)})
