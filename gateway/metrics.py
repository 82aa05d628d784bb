"""Per-operation data-source call log, reported in ``extensions.dataSources`` outside production."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from strawberry.extensions import SchemaExtension

from datasources.instrumentation import call_log


class DataSourceCalls(SchemaExtension):
    """Count data-source round trips of each operation and report them in the response."""

    def on_operation(self) -> Iterator[None]:
        """Open a call log around the operation."""
        with call_log() as log:
            self._log = log
            yield

    def get_results(self) -> dict[str, Any]:
        """``extensions.dataSources``: calls by ``service.Operation`` and their total."""
        log = getattr(self, "_log", None)
        if log is None:
            return {}
        return {
            "dataSources": {
                "calls": dict(sorted(log.calls.items())),
                "total": log.total,
                "seconds": round(log.seconds, 6),
            }
        }
