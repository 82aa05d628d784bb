"""Errors raised by data sources, typed so the gateway can report them precisely."""

from __future__ import annotations


class DataSourceError(Exception):
    """Base of every error a data source raises on purpose."""

    error_type = "DataSourceError"
    code = "DATA_SOURCE_ERROR"


class DataSourceUnavailable(DataSourceError):
    """A backing service could not be reached or timed out."""

    error_type = "ServiceUnavailable"
    code = "SERVICE_UNAVAILABLE"

    def __init__(self, service: str, detail: str) -> None:
        super().__init__(f"{service} is unavailable: {detail}")
        self.service = service


class NotFound(DataSourceError):
    """The requested item does not exist."""

    error_type = "NotFound"
    code = "NOT_FOUND"


class AlreadyExists(DataSourceError):
    """An item with the same key exists already."""

    error_type = "AlreadyExists"
    code = "ALREADY_EXISTS"


class VersionConflict(DataSourceError):
    """An optimistic-locking write lost: the stored version differs from the expected one."""

    error_type = "VersionConflict"
    code = "VERSION_CONFLICT"

    def __init__(self, entity: str, entity_id: str, expected: int, actual: int | None) -> None:
        super().__init__(
            f"{entity} {entity_id} is at version {actual}, not the expected version {expected}"
        )
        self.expected = expected
        self.actual = actual


class InvalidCursor(DataSourceError):
    """A pagination cursor that this data source did not issue."""

    error_type = "InvalidCursor"
    code = "BAD_USER_INPUT"
