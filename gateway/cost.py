"""Query cost analysis (as Shopify and Saleor do) and the leaky-bucket rate limit it feeds.

The cost of an operation is computed from the validated document and its variables before
execution:

- scalar and enum fields cost 0, and so do ``__typename`` and introspection fields;
- a field of an object, interface or union type costs ``object_cost`` (1) plus its selection;
- a connection field (a ``…Connection`` type with a ``first``/``last`` argument) costs 1 plus
  its selection, in which ``nodes`` and ``edges`` count ``first`` times (the argument, its
  variable or its schema default); a ``first`` beyond ``max_page_size`` counts 0 items, as
  the connection refuses it with BadUserInput before calling anything
  (``resolvers.connections.page_size``);
- any other list of objects is assumed to hold ``list_size`` items;
- each root mutation field costs ``mutation_cost`` more;
- fields under ``@skip(if: true)``/``@include(if: false)`` cost nothing; inline fragments and
  fragment spreads add up (an upper bound for unions and interfaces).

The actual cost reported equals the requested cost: the gateway charges up front and does
not count the objects it returned (Shopify refunds the difference; we do not).
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLIncludeDirective,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLSkipDirective,
    InlineFragmentNode,
    SelectionSetNode,
    get_named_type,
    get_nullable_type,
    is_leaf_type,
    is_list_type,
    value_from_ast,
)
from graphql.execution.values import (
    VariableValues,
    get_argument_values,
    get_directive_values,
    get_variable_values,
)
from graphql.pyutils import Undefined
from graphql.utilities import get_operation_ast
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from datasources.ports import RateLimiter
from datasources.rate_limit import Throttle
from gateway.limits import limit_error
from resolvers.context import rate_limit_key

THROTTLED = "Throttled"
CONNECTION_ITEMS = frozenset({"nodes", "edges"})


@dataclass(frozen=True)
class CostRules:
    """Per-field costs and list sizes."""

    object_cost: int = 1
    mutation_cost: int = 10
    list_size: int = 3
    max_page_size: int = 100


class _Costing:
    def __init__(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        variables: VariableValues | None,
        rules: CostRules,
    ) -> None:
        self._schema = schema
        self._rules = rules
        self._variables = variables
        self._fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self._mutation_root = schema.mutation_type

    def selection_set(
        self,
        parent: GraphQLNamedType,
        node: SelectionSetNode | None,
        page: int | None,
        visiting: frozenset[str] = frozenset(),
    ) -> int:
        if node is None:
            return 0
        total = 0
        for selection in node.selections:
            if not self._included(selection):
                continue
            if isinstance(selection, FieldNode):
                total += self.field(parent, selection, page)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                typed = self._schema.get_type(condition.name.value) if condition else parent
                total += self.selection_set(
                    typed or parent, selection.selection_set, page, visiting
                )
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self._fragments.get(name)
                if fragment is None or name in visiting:
                    continue
                typed = self._schema.get_type(fragment.type_condition.name.value)
                total += self.selection_set(
                    typed or parent, fragment.selection_set, page, visiting | {name}
                )
        return total

    def field(self, parent: GraphQLNamedType, node: FieldNode, page: int | None) -> int:
        name = node.name.value
        if name.startswith("__") or not isinstance(
            parent, GraphQLObjectType | GraphQLInterfaceType
        ):
            return 0
        definition = parent.fields.get(name)
        if definition is None:
            return 0
        extra = self._rules.mutation_cost if parent is self._mutation_root else 0
        named = get_named_type(definition.type)
        if is_leaf_type(named):
            return extra
        child_page: int | None = None
        if named.name.endswith("Connection") and (
            "first" in definition.args or "last" in definition.args
        ):
            child_page = self._page_size(definition.args, node, definition)
        per_item = self._rules.object_cost + self.selection_set(
            named, node.selection_set, child_page
        )
        if is_list_type(get_nullable_type(definition.type)):
            count = page if page is not None and name in CONNECTION_ITEMS else self._rules.list_size
            return extra + count * per_item
        return extra + per_item

    def _page_size(self, args: Mapping[str, Any], node: FieldNode, definition: Any) -> int:
        try:
            values = get_argument_values(definition, node, self._variables)
        except GraphQLError:
            # Another argument's required variable is missing (a document costed without its
            # variables): first/last can still be read on their own.
            values = _page_arguments(definition, node, self._variables)
        size = values.get("first")
        if size is None:
            size = values.get("last")
        if not isinstance(size, int):
            return self._rules.max_page_size
        if size < 0 or size > self._rules.max_page_size:
            return 0  # the connection refuses it (BadUserInput) before any data-source call
        return size

    def _included(self, node: Any) -> bool:
        try:
            skip = get_directive_values(GraphQLSkipDirective, node, self._variables)
            include = get_directive_values(GraphQLIncludeDirective, node, self._variables)
        except GraphQLError:
            return True
        if skip is not None and skip.get("if") is True:
            return False
        return not (include is not None and include.get("if") is False)


def _page_arguments(definition: Any, node: FieldNode, variables: Any) -> dict[str, Any]:
    """``first`` and ``last`` of a connection field: given values, else the schema defaults."""
    given = {a.name.value: a.value for a in node.arguments or ()}
    values: dict[str, Any] = {}
    for name in ("first", "last"):
        argument = definition.args.get(name)
        if argument is None:
            continue
        value = (
            value_from_ast(given[name], argument.type, variables or {})
            if name in given
            else argument.default_value
        )
        if value is not Undefined:
            values[name] = value
    return values


def query_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None = None,
    variables: Mapping[str, Any] | None = None,
    rules: CostRules | None = None,
) -> int:
    """The requested cost of the operation ``operation_name`` of a validated ``document``."""
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return 0
    coerced = get_variable_values(
        schema, operation.variable_definitions or (), dict(variables or {}), max_errors=1
    )
    values = coerced if isinstance(coerced, VariableValues) else None
    root = schema.get_root_type(operation.operation)
    if root is None:
        return 0
    return _Costing(schema, document, values, rules or CostRules()).selection_set(
        root, operation.selection_set, None
    )


def _client_ip(context: Any) -> str | None:
    request = getattr(context, "request", None)
    client = getattr(request, "client", None)
    host = getattr(client, "host", None)
    return host if isinstance(host, str) else None


def throttle_status(throttle: Throttle) -> dict[str, float]:
    """Shopify's ``throttleStatus`` object."""
    return {
        "maximumAvailable": throttle.maximum_available,
        "currentlyAvailable": round(throttle.currently_available, 1),
        "restoreRate": throttle.restore_rate,
    }


def throttled_error(throttle: Throttle) -> GraphQLError:
    """The typed 429 error with a retry-after hint."""
    seconds = math.ceil(throttle.retry_after_seconds * 10) / 10
    return GraphQLError(
        f"Throttled: the query costs more than the {throttle.currently_available:.1f} points "
        f"left in your bucket (it refills at {throttle.restore_rate:g} points a second); "
        f"retry after {seconds:g} seconds.",
        extensions={
            "errorType": THROTTLED,
            "code": "THROTTLED",
            "retryAfterSeconds": seconds,
            "throttleStatus": throttle_status(throttle),
        },
    )


class QueryCost(SchemaExtension):
    """Refuse operations over ``max_cost``, charge the caller's bucket, report ``extensions.cost``.

    Runs before execution: a refused operation reaches no data source. Subscriptions are not
    costed here.
    """

    def __init__(self, rules: CostRules, max_cost: int, limiter: RateLimiter | None = None) -> None:
        self._rules = rules
        self._max_cost = max_cost
        self._limiter = limiter
        self._cost: int | None = None
        self._throttle: Throttle | None = None

    async def on_execute(self) -> AsyncIterator[None]:
        """Cost, check and charge before the operation executes."""
        context = self.execution_context
        document = context.graphql_document
        if document is None or context.operation_type is OperationType.SUBSCRIPTION:
            yield
            return
        cost = query_cost(
            context.schema._schema, document, context.operation_name, context.variables, self._rules
        )
        self._cost = cost
        if cost > self._max_cost:
            error = limit_error(
                "cost",
                "MAX_COST_EXCEEDED",
                self._max_cost,
                cost,
                f"The query costs {cost}, more than the maximum of {self._max_cost}.",
            )
            context.result = ExecutionResult(data=None, errors=[error])
            yield
            return
        if self._limiter is not None:
            request_context = context.context
            key = rate_limit_key(
                getattr(request_context, "identity", None), _client_ip(request_context)
            )
            throttle = await self._limiter.charge(key, max(1, cost))
            self._throttle = throttle
            if not throttle.allowed:
                response = getattr(request_context, "response", None)
                if response is not None:
                    response.status_code = 429
                    response.headers["Retry-After"] = str(
                        max(1, math.ceil(throttle.retry_after_seconds))
                    )
                context.result = ExecutionResult(data=None, errors=[throttled_error(throttle)])
        yield

    def get_results(self) -> dict[str, Any]:
        """``extensions.cost``: requested and actual cost, and the caller's throttle status."""
        if self._cost is None:
            return {}
        cost: dict[str, Any] = {
            "requestedQueryCost": self._cost,
            "actualQueryCost": self._cost,
        }
        if self._throttle is not None:
            cost["throttleStatus"] = throttle_status(self._throttle)
        return {"cost": cost}


__all__ = ["CostRules", "QueryCost", "query_cost", "rate_limit_key"]
