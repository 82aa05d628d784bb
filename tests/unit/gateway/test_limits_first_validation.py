"""A document over the limits is refused by the limits alone: graphql-core's other rules
(some of them quadratic in the number of same-named fields) never run on it."""

from __future__ import annotations

from typing import Any, ClassVar

import strawberry
from graphql import ValidationRule
from strawberry.extensions import AddValidationRules

from gateway.limits import DocumentLimits, LimitsFirstValidationCache, document_limits_rule

LIMITS = DocumentLimits(
    max_depth=3, max_aliases=5, max_fields=20, max_directives=5, max_tokens=1000
)


@strawberry.type
class Node:
    name: str = "n"

    @strawberry.field
    def child(self) -> Node:
        return Node()


@strawberry.type
class Query:
    @strawberry.field
    def node(self) -> Node:
        return Node()


class CountingRule(ValidationRule):
    """Stands in for graphql-core's rules: counts the documents it is asked to check."""

    documents: ClassVar[int] = 0

    def enter_document(self, *_args: Any) -> None:
        CountingRule.documents += 1


def _schema() -> strawberry.Schema:
    return strawberry.Schema(
        query=Query,
        extensions=[
            AddValidationRules([document_limits_rule(LIMITS), CountingRule]),
            lambda: LimitsFirstValidationCache(LIMITS, maxsize=16),
        ],
    )


def test_an_over_limit_document_gets_only_the_limit_error_and_no_other_rule_runs() -> None:
    # given a schema whose validation is counted
    schema, CountingRule.documents = _schema(), 0
    # when a document too deep, with an unknown field too, is run
    result = schema.execute_sync("{ node { child { child { child { name nope } } } } }")
    # then the one error is the depth limit's, and the other rules never saw the document
    assert result.errors is not None
    assert [e.extensions["code"] for e in result.errors] == ["DEPTH_LIMIT_EXCEEDED"]  # type: ignore[index]
    assert CountingRule.documents == 0


def test_a_document_within_the_limits_is_validated_in_full_once() -> None:
    # given a schema whose validation is counted
    schema, CountingRule.documents = _schema(), 0
    # when a valid document within the limits runs twice, and one with an unknown field once
    first = schema.execute_sync("{ node { child { name } } }")
    second = schema.execute_sync("{ node { child { name } } }")
    unknown = schema.execute_sync("{ node { nope } }")
    # then the full rules ran once per distinct document (the second run hit the cache)
    assert first.errors is None
    assert second.data == {"node": {"child": {"name": "n"}}}
    assert unknown.errors is not None
    assert "nope" in unknown.errors[0].message
    assert CountingRule.documents == 2
