"""Only queries are cut off by the request timeout; mutations run to their end."""

from __future__ import annotations

import pytest
from strawberry.http import GraphQLRequestData

from gateway.operation_kind import is_query

TWO_OPERATIONS = "query Read { categories { id } } mutation Write { cartCreate { __typename } }"


@pytest.mark.parametrize(
    ("document", "operation_name", "expected"),
    [
        ("{ categories { id } }", None, True),
        ("query Read { categories { id } }", "Read", True),
        ("mutation { cartCreate { __typename } }", None, False),
        ("subscription { onCartChanged(cartId: 1) { id } }", None, False),
        (TWO_OPERATIONS, "Read", True),
        (TWO_OPERATIONS, "Write", False),
        (TWO_OPERATIONS, None, False),  # ambiguous: execution will refuse it anyway
        ("{ unclosed", None, False),
        ("{ a " + "b " * 100 + "}", None, False),  # over the token limit: never parsed whole
    ],
)
def test_only_queries_are_timed(document: str, operation_name: str | None, expected: bool) -> None:
    request = GraphQLRequestData(
        query=document, variables=None, operation_name=operation_name, extensions=None
    )
    assert is_query(request, max_tokens=50) is expected
