"""Validation-time limits on a document: depth, aliases, selected fields and directives.

One graphql-core validation rule walks each operation once, expanding fragments (each
fragment's figures are computed once, so fragment "bombs" cost linear time) and refuses the
document with a typed ``QueryTooComplex`` error naming the limit and its value. Token counts
are limited by the parser (strawberry's ``MaxTokensLimiter``) before any of this runs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache, lru_cache, partial
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    Node,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
)
from strawberry.extensions import ValidationCache

QUERY_TOO_COMPLEX = "QueryTooComplex"
TOKEN_LIMIT_MESSAGE = "Document contains more than"
"""The start of graphql-core's parser message when ``max_tokens`` is exceeded."""


@dataclass(frozen=True)
class DocumentLimits:
    """The most a single operation may hold (fragments expanded)."""

    max_depth: int
    max_aliases: int
    max_fields: int
    max_directives: int
    max_tokens: int


def limit_error(
    limit: str,
    code: str,
    maximum: int,
    actual: int | None,
    message: str,
    nodes: list[Node] | None = None,
) -> GraphQLError:
    """A typed ``QueryTooComplex`` error naming the limit, its value and what was asked."""
    extensions: dict[str, Any] = {
        "errorType": QUERY_TOO_COMPLEX,
        "code": code,
        "limit": limit,
        "maximum": maximum,
    }
    if actual is not None:
        extensions["actual"] = actual
    return GraphQLError(message, nodes=nodes, extensions=extensions)


@dataclass
class _Figures:
    depth: int = 0
    fields: int = 0
    aliases: int = 0
    directives: int = 0

    def add(self, other: _Figures, depth_offset: int = 0) -> None:
        self.depth = max(self.depth, other.depth + depth_offset)
        self.fields += other.fields
        self.aliases += other.aliases
        self.directives += other.directives


class _Walker:
    def __init__(self, document: DocumentNode) -> None:
        self._fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self._memo: dict[str, _Figures] = {}
        self._visiting: set[str] = set()

    def selection_set(self, node: SelectionSetNode | None) -> _Figures:
        figures = _Figures()
        if node is None:
            return figures
        for selection in node.selections:
            figures.directives += len(selection.directives or ())
            if isinstance(selection, FieldNode):
                figures.fields += 1
                figures.aliases += 1 if selection.alias is not None else 0
                figures.add(self.selection_set(selection.selection_set), depth_offset=1)
                figures.depth = max(figures.depth, 1)
            elif isinstance(selection, InlineFragmentNode):
                figures.add(self.selection_set(selection.selection_set))
            elif isinstance(selection, FragmentSpreadNode):
                figures.add(self.fragment(selection.name.value))
        return figures

    def fragment(self, name: str) -> _Figures:
        if name in self._memo:
            return self._memo[name]
        definition = self._fragments.get(name)
        if definition is None or name in self._visiting:
            return _Figures()  # unknown or cyclic: other rules report it
        self._visiting.add(name)
        figures = self.selection_set(definition.selection_set)
        figures.directives += len(definition.directives or ())
        self._visiting.discard(name)
        self._memo[name] = figures
        return figures


def _operation_errors(
    walker: _Walker, node: OperationDefinitionNode, limits: DocumentLimits
) -> list[GraphQLError]:
    figures = walker.selection_set(node.selection_set)
    figures.directives += len(node.directives or ())
    name = node.name.value if node.name else "anonymous"
    checks = (
        ("depth", "DEPTH_LIMIT_EXCEEDED", limits.max_depth, figures.depth, "depth"),
        ("aliases", "ALIAS_LIMIT_EXCEEDED", limits.max_aliases, figures.aliases, "aliases"),
        ("fields", "FIELD_LIMIT_EXCEEDED", limits.max_fields, figures.fields, "fields"),
        (
            "directives",
            "DIRECTIVE_LIMIT_EXCEEDED",
            limits.max_directives,
            figures.directives,
            "directives",
        ),
    )
    return [
        limit_error(
            limit,
            code,
            maximum,
            actual,
            f"Operation '{name}' has {noun} {actual}, more than the maximum of {maximum}.",
            [node],
        )
        for limit, code, maximum, actual, noun in checks
        if actual > maximum
    ]


def document_limit_errors(document: DocumentNode, limits: DocumentLimits) -> list[GraphQLError]:
    """The limit errors of every operation in ``document`` (fragments expanded), in one
    linear walk; empty when it is within ``limits``."""
    walker = _Walker(document)
    return [
        error
        for definition in document.definitions
        if isinstance(definition, OperationDefinitionNode)
        for error in _operation_errors(walker, definition, limits)
    ]


def document_limits_rule(limits: DocumentLimits) -> type[ValidationRule]:
    """A validation rule refusing operations beyond ``limits``."""

    class DocumentLimitsRule(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            self._walker = _Walker(context.document)

        def enter_operation_definition(self, node: OperationDefinitionNode, *_args: object) -> None:
            for error in _operation_errors(self._walker, node, limits):
                self.report_error(error)

    return DocumentLimitsRule


@cache
def _shared_limit_errors(
    limits: DocumentLimits, maxsize: int | None
) -> Callable[[DocumentNode], list[GraphQLError]]:
    """One bounded cache per (limits, size), shared by every request (a new extension is
    made per request), as strawberry's ValidationCache shares its own."""
    return lru_cache(maxsize=maxsize)(partial(_limit_errors_of, limits=limits))


def _limit_errors_of(document: DocumentNode, limits: DocumentLimits) -> list[GraphQLError]:
    return document_limit_errors(document, limits)


class LimitsFirstValidationCache(ValidationCache):
    """Strawberry's ValidationCache, except that a document over the limits is refused by the
    limits alone: graphql-core's other rules never run on it. They can cost far more than
    the limits do (OverlappingFieldsCanBeMerged compares same-named fields pairwise), and
    an attacker sends unique documents that the cache never holds."""

    def __init__(self, limits: DocumentLimits, maxsize: int | None = None) -> None:
        super().__init__(maxsize=maxsize)
        self._limit_errors = _shared_limit_errors(limits, maxsize)

    def on_validate(self) -> Iterator[None]:
        """The limit errors if any, else the (cached) full validation."""
        context = self.execution_context
        assert context.graphql_document is not None
        errors = self._limit_errors(context.graphql_document)
        if errors:
            context.pre_execution_errors = list(errors)
            yield
            return
        yield from super().on_validate()


def token_limit_error(error: GraphQLError, max_tokens: int) -> GraphQLError | None:
    """The parser's token-limit syntax error as a typed ``QueryTooComplex`` error, else None."""
    if error.original_error is not None or TOKEN_LIMIT_MESSAGE not in error.message:
        return None
    return limit_error(
        "tokens",
        "TOKEN_LIMIT_EXCEEDED",
        max_tokens,
        None,
        f"The document has more than the maximum of {max_tokens} tokens.",
    )
