"""AppSync-style error reporting: typed errors pass through, unexpected ones are masked."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import structlog
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from datasources.errors import DataSourceError
from gateway.limits import TOKEN_LIMIT_MESSAGE, limit_error
from resolvers.errors import ResolverError

log = structlog.get_logger("vitrine.errors")

INTERNAL_MESSAGE = "Internal server error"
_SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")
_TOKEN_LIMIT = re.compile(re.escape(TOKEN_LIMIT_MESSAGE) + r" (\d+) tokens")


def _request_id(context: Any) -> str | None:
    return getattr(context, "request_id", None)


def without_suggestions(message: str) -> str:
    """``message`` without graphql-core's "Did you mean …?" hints (they leak the schema)."""
    return _SUGGESTION.sub("", message)


def describe(
    error: GraphQLError, request_id: str | None, *, suggestions: bool = True
) -> GraphQLError:
    """The error as the client sees it, with ``errorType`` (and ``code``) extensions.

    With ``suggestions`` off, "Did you mean" hints are removed from the messages of
    validation and input errors (the production profile).
    """
    if not suggestions and error.original_error is None and "Did you mean" in error.message:
        error = _with(error, without_suggestions(error.message), dict(error.extensions or {}))
    original = error.original_error
    extensions = dict(error.extensions or {})
    if original is None:
        tokens = _TOKEN_LIMIT.search(error.message)
        if tokens is not None and "errorType" not in extensions:
            limited = limit_error(
                "tokens",
                "TOKEN_LIMIT_EXCEEDED",
                int(tokens.group(1)),
                None,
                f"The document has more than the maximum of {tokens.group(1)} tokens.",
            )
            return _with(error, limited.message, dict(limited.extensions or {}))
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
        message = error.message if suggestions else without_suggestions(error.message)
        return _with(error, message, extensions)
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

    def __init__(self, *, suggestions: bool = True) -> None:
        self._suggestions = suggestions

    def on_operation(self) -> Iterator[None]:
        """Post-process the result's errors."""
        yield
        result = self.execution_context.result
        if result is None or not result.errors:
            return
        self._describe_errors(result)

    def on_stream_result(self, result: Any) -> Iterator[None]:
        """The same for each result a subscription streams (WebSocket and SSE transports)."""
        if getattr(result, "errors", None):
            self._describe_errors(result)
        yield

    def _describe_errors(self, result: Any) -> None:
        request_id = _request_id(self.execution_context.context)
        result.errors = [
            describe(e, request_id, suggestions=self._suggestions) for e in result.errors
        ]
