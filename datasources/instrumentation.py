"""Counts and times data-source round trips per request.

Adapters call :func:`record_call` around every network round trip; the gateway opens a
:class:`CallLog` per request so tests can count calls and benchmarks can split CPU time.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from dataclasses import dataclass, field


@dataclass
class CallLog:
    """Round trips made while this log is active, by ``service.operation``."""

    calls: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0

    @property
    def total(self) -> int:
        """Number of round trips recorded."""
        return sum(self.calls.values())


_active: ContextVar[tuple[CallLog, ...]] = ContextVar("vitrine_call_logs", default=())


@contextmanager
def call_log() -> Iterator[CallLog]:
    """Record the data-source calls made inside the block (and tasks it starts); logs nest."""
    log = CallLog()
    token = _active.set((*_active.get(), log))
    try:
        yield log
    finally:
        # A subscription's operation may be closed from another task (its client went away),
        # where the variable was never set: there is nothing to undo there.
        with suppress(ValueError):
            _active.reset(token)


@contextmanager
def record_call(service: str, operation: str) -> Iterator[None]:
    """Count one round trip to ``service`` and add its wall time to the active log."""
    logs = _active.get()
    started = time.perf_counter()
    try:
        yield
    finally:
        elapsed = time.perf_counter() - started
        for log in logs:
            log.calls[f"{service}.{operation}"] += 1
            log.seconds += elapsed
