"""AppSync-style enhanced subscription filters, checked at subscribe time and evaluated per
subscriber on each event's payload.

A filter maps payload field names to conditions, e.g. ``{"status": {"in": ["PAID",
"REFUNDED"]}, "orderNumber": {"gt": 1000}}``; every condition must hold (AND), as in an
AppSync filter group. Operators: eq, ne, in, notIn, between, beginsWith, gt, ge, lt, le.
Limits follow AppSync: at most 5 fields and 5 values in an ``in``/``notIn`` list.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

MAX_FILTER_FIELDS = 5
MAX_LIST_VALUES = 5

Scalar = str | int | float | bool | None


class InvalidSubscriptionFilter(ValueError):
    """A filter names an unknown field or operator, or a value of the wrong shape."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"filter.{field}: {message}")
        self.field = field


def _ordered(value: Any) -> bool:
    return isinstance(value, (int, float, str)) and not isinstance(value, bool)


def _same_kind(a: Any, b: Any) -> bool:
    numbers = (int, float)
    if isinstance(a, numbers) and isinstance(b, numbers):
        return not isinstance(a, bool) and not isinstance(b, bool)
    return type(a) is type(b)


Test = Callable[[Any], bool]


def _compare(op: str, bound: Any) -> Test:
    checks: dict[str, Test] = {
        "gt": lambda v: v > bound,
        "ge": lambda v: v >= bound,
        "lt": lambda v: v < bound,
        "le": lambda v: v <= bound,
    }
    check = checks[op]
    return lambda v: _same_kind(v, bound) and check(v)


def _condition(field: str, op: str, value: Any, kinds: tuple[type, ...]) -> Test:
    def scalar(candidate: Any) -> None:
        if candidate is not None and not isinstance(candidate, kinds):
            names = " or ".join(k.__name__ for k in kinds)
            raise InvalidSubscriptionFilter(field, f"{op} takes a {names}, not {candidate!r}")

    if op in {"eq", "ne"}:
        scalar(value)
        return (lambda v: v == value) if op == "eq" else (lambda v: v != value)
    if op in {"in", "notIn"}:
        if not isinstance(value, list) or not 1 <= len(value) <= MAX_LIST_VALUES:
            raise InvalidSubscriptionFilter(
                field, f"{op} takes a list of 1 to {MAX_LIST_VALUES} values"
            )
        for item in value:
            scalar(item)
        members = tuple(value)
        return (lambda v: v in members) if op == "in" else (lambda v: v not in members)
    if op == "beginsWith":
        if not isinstance(value, str) or str not in kinds:
            raise InvalidSubscriptionFilter(field, "beginsWith takes a string, on string fields")
        return lambda v: isinstance(v, str) and v.startswith(value)
    if op == "between":
        if (
            not isinstance(value, list)
            or len(value) != 2
            or not all(_ordered(x) and isinstance(x, kinds) for x in value)
            or not _same_kind(value[0], value[1])
            or value[0] > value[1]
        ):
            raise InvalidSubscriptionFilter(
                field, "between takes [low, high] of the field's type with low <= high"
            )
        low, high = value
        return lambda v: _same_kind(v, low) and low <= v <= high
    if op in {"gt", "ge", "lt", "le"}:
        if not _ordered(value) or not isinstance(value, kinds):
            raise InvalidSubscriptionFilter(field, f"{op} takes a number or a string")
        return _compare(op, value)
    raise InvalidSubscriptionFilter(
        field, f"unknown operator {op!r} (eq, ne, in, notIn, between, beginsWith, gt, ge, lt, le)"
    )


@dataclass(frozen=True)
class EventFilter:
    """A compiled filter: every field's conditions must hold."""

    conditions: tuple[tuple[str, Test], ...] = ()

    def matches(self, payload: Mapping[str, Any]) -> bool:
        """Whether an event with ``payload`` passes (a missing field is null)."""
        return all(test(payload.get(field)) for field, test in self.conditions)


def compile_filter(
    spec: Mapping[str, Mapping[str, Any]] | None, fields: Mapping[str, tuple[type, ...]]
) -> EventFilter:
    """Check ``spec`` against the payload ``fields`` (name -> accepted value types) and
    compile it; InvalidSubscriptionFilter names the first problem."""
    if not spec:
        return EventFilter()
    if len(spec) > MAX_FILTER_FIELDS:
        raise InvalidSubscriptionFilter("*", f"at most {MAX_FILTER_FIELDS} fields per filter")
    conditions: list[tuple[str, Test]] = []
    for field, operators in spec.items():
        kinds = fields.get(field)
        if kinds is None:
            known = ", ".join(sorted(fields))
            raise InvalidSubscriptionFilter(field, f"unknown field (filter on: {known})")
        if not isinstance(operators, Mapping) or not operators:
            raise InvalidSubscriptionFilter(field, "give at least one operator")
        for op, value in operators.items():
            conditions.append((field, _condition(field, op, value, kinds)))
    return EventFilter(tuple(conditions))
