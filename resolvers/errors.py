"""Errors resolvers raise on purpose; the gateway reports them with an AppSync ``errorType``.

Expected business outcomes of mutations are not exceptions: they are returned as typed
error members of each mutation's result union (see ``MutationError``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class ResolverError(Exception):
    """An error shown to the client as is, with ``errorType`` and ``code`` extensions."""

    error_type = "ResolverError"
    code = "INTERNAL_SERVER_ERROR"


class BadUserInput(ResolverError):
    """The arguments are well-typed but not acceptable (page too large, bad ID...)."""

    error_type = "BadUserInput"
    code = "BAD_USER_INPUT"


class InvalidId(BadUserInput):
    """A global ID that is malformed or names another type."""

    error_type = "InvalidId"


class Unauthorized(ResolverError):
    """No valid credentials for this field."""

    error_type = "UnauthorizedException"
    code = "UNAUTHENTICATED"


class Forbidden(ResolverError):
    """Valid credentials without the rights this field needs."""

    error_type = "Forbidden"
    code = "FORBIDDEN"


@dataclass(frozen=True)
class MutationError:
    """An expected failure of a mutation: a code from that mutation's enum and a message."""

    code: Enum
    message: str
    field: str | None = None


class ServiceNotConfigured(ResolverError):
    """The data source this field needs is not configured in this deployment."""

    error_type = "ServiceUnavailable"
    code = "SERVICE_UNAVAILABLE"


class NotFound(ResolverError):
    """The object an argument names does not exist (or is not visible to the caller)."""

    error_type = "NotFound"
    code = "NOT_FOUND"
