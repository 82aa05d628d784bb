"""Validation-time limits on a document: depth, aliases, selected fields and directives.

One graphql-core validation rule walks each operation once, expanding fragments (each
fragment's figures are computed once, so fragment "bombs" cost linear time) and refuses the
document with a typed ``QueryTooComplex`` error naming the limit and its value. Token counts
are limited by the parser (strawberry's ``MaxTokensLimiter``) before any of this runs.
"""

from __future__ import annotations

from dataclasses import dataclass
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


def document_limits_rule(limits: DocumentLimits) -> type[ValidationRule]:
    """A validation rule refusing operations beyond ``limits``."""

    class DocumentLimitsRule(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            self._walker = _Walker(context.document)

        def enter_operation_definition(self, node: OperationDefinitionNode, *_args: object) -> None:
            figures = self._walker.selection_set(node.selection_set)
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
            for limit, code, maximum, actual, noun in checks:
                if actual > maximum:
                    self.report_error(
                        limit_error(
                            limit,
                            code,
                            maximum,
                            actual,
                            f"Operation '{name}' has {noun} {actual}, more than the "
                            f"maximum of {maximum}.",
                            [node],
                        )
                    )

    return DocumentLimitsRule


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
