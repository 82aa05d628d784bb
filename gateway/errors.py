"""AppSync-style error reporting: typed errors pass through, unexpected ones are masked."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import structlog
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from datasources.errors import DataSourceError
from resolvers.errors import ResolverError

log = structlog.get_logger("vitrine.errors")

INTERNAL_MESSAGE = "Internal server error"


def _request_id(context: Any) -> str | None:
    return getattr(context, "request_id", None)


def describe(error: GraphQLError, request_id: str | None) -> GraphQLError:
    """The error as the client sees it, with ``errorType`` (and ``code``) extensions."""
    original = error.original_error
    extensions = dict(error.extensions or {})
    if original is None:
        extensions.setdefault("errorType", "ValidationError")
        extensions.setdefault("code", "GRAPHQL_VALIDATION_FAILED")
        return _with(error, error.message, extensions)
    if isinstance(original, ResolverError):
        extensions.update(errorType=original.error_type, code=original.code)
        return _with(error, error.message, extensions)
    if isinstance(original, DataSourceError):
        extensions.update(errorType=original.error_type, code=original.code)
        if request_id:
            extensions["requestId"] = request_id
        log.warning("datasource_error", request_id=request_id, error=str(original), path=error.path)
        return _with(error, str(original), extensions)
    if isinstance(original, GraphQLError):
        extensions.setdefault("errorType", "BadUserInput")
        extensions.setdefault("code", "BAD_USER_INPUT")
        return _with(error, error.message, extensions)
    log.error(
        "unexpected_error",
        request_id=request_id,
        path=error.path,
        exc_info=(type(original), original, original.__traceback__),
    )
    extensions = {"errorType": "InternalFailure", "code": "INTERNAL_SERVER_ERROR"}
    if request_id:
        extensions["requestId"] = request_id
    return _with(error, INTERNAL_MESSAGE, extensions)


def _with(error: GraphQLError, message: str, extensions: dict[str, Any]) -> GraphQLError:
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=None,
        extensions=extensions,
    )


class AppSyncErrors(SchemaExtension):
    """Rewrite every error of an operation into the AppSync shape, masking the unexpected."""

    def on_operation(self) -> Iterator[None]:
        """Post-process the result's errors."""
        yield
        result = self.execution_context.result
        if result is None or not result.errors:
            return
        request_id = _request_id(self.execution_context.context)
        result.errors = [describe(e, request_id) for e in result.errors]
