"""A CdnInvalidator for unit tests: records each invalidation, can fail on demand."""

from __future__ import annotations

from collections.abc import Collection

from datasources.errors import DataSourceUnavailable


class RecordingCdn:
    """CdnInvalidator port that keeps the paths of every invalidation asked of it."""

    def __init__(self, failures: int = 0) -> None:
        self.invalidations: list[list[str]] = []
        self._failures = failures

    async def invalidate(self, paths: Collection[str]) -> str:
        """Record ``paths``; the first ``failures`` calls fail as CloudFront would."""
        if self._failures > 0:
            self._failures -= 1
            raise DataSourceUnavailable("CloudFront distribution FAKE", "throttled")
        self.invalidations.append(sorted(paths))
        return f"I{len(self.invalidations)}"

    async def close(self) -> None:
        """Nothing to release."""
