"""The one error type the local stack raises."""

from __future__ import annotations


class LocalStackError(RuntimeError):
    """A local service could not be started or stopped.

    ``service`` names the service ("moto", "PostgreSQL"), ``hint`` says what to do about it;
    both are part of the message.
    """

    def __init__(self, service: str, problem: str, hint: str = "") -> None:
        self.service = service
        self.problem = problem
        self.hint = hint
        message = f"{service}: {problem}"
        if hint:
            message = f"{message}. {hint}"
        super().__init__(message)
