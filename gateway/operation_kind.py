"""Which kind of operation a request runs, and the timeout that applies to reads only."""

from __future__ import annotations

from functools import lru_cache

from graphql import GraphQLError, OperationDefinitionNode, OperationType, get_operation_ast, parse
from strawberry.http import GraphQLRequestData


class RequestTimeout(Exception):
    """The operation ran past VITRINE_REQUEST_TIMEOUT_SECONDS and was cancelled."""

    def graphql_error(self) -> GraphQLError:
        """The error as the client sees it."""
        return GraphQLError(
            str(self), extensions={"errorType": "RequestTimeout", "code": "REQUEST_TIMEOUT"}
        )


def request_timeout(seconds: float | None) -> RequestTimeout:
    """The error of an operation cut off after ``seconds``."""
    return RequestTimeout(
        f"The operation ran longer than the limit of {seconds} seconds and was cancelled."
    )


@lru_cache(maxsize=512)
def _find_operation(
    document: str, operation_name: str | None, max_tokens: int
) -> tuple[OperationType | None, GraphQLError | None]:
    try:
        parsed = parse(document, max_tokens=max_tokens)
    except GraphQLError as error:
        return None, error
    operation = get_operation_ast(parsed, operation_name)
    if operation is not None:
        return operation.operation, None
    if operation_name:
        return None, GraphQLError(f"Unknown operation named '{operation_name}'.")
    if any(isinstance(d, OperationDefinitionNode) for d in parsed.definitions):
        return None, GraphQLError(
            "Must provide operation name if query contains multiple operations."
        )
    return None, GraphQLError("The document holds no operation.")


def _operation_kind(
    document: str, operation_name: str | None, max_tokens: int
) -> OperationType | None:
    return _find_operation(document, operation_name, max_tokens)[0]


def operation_problem(request_data: GraphQLRequestData, max_tokens: int) -> GraphQLError | None:
    """Why the request's document names no operation to run (a syntax error, an unknown
    operation name), or None when it does."""
    if request_data.query is None:
        return GraphQLError("No GraphQL document in the request.")
    return _find_operation(request_data.query, request_data.operation_name, max_tokens)[1]


def is_query(request_data: GraphQLRequestData, max_tokens: int) -> bool:
    """Whether the request runs a query: only reads are cut off by the request timeout, since
    a mutation stopped half-way could leave a payment taken and its order unwritten (its
    retry with the same idempotency key is the client's way out instead)."""
    if request_data.query is None:
        return False
    kind = _operation_kind(request_data.query, request_data.operation_name, max_tokens)
    return kind is OperationType.QUERY
