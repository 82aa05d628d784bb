"""AppSync-style enhanced filters: validated at subscribe time, evaluated per event."""

from __future__ import annotations

from typing import Any

import pytest

from resolvers.subscription_filters import InvalidSubscriptionFilter, compile_filter

ORDER_FIELDS: dict[str, tuple[type, ...]] = {
    "status": (str,),
    "previousStatus": (str,),
    "orderNumber": (int,),
}

PAID = {"status": "PAID", "previousStatus": "PENDING_PAYMENT", "orderNumber": 1042}
REFUNDED = {"status": "REFUNDED", "previousStatus": "PAID", "orderNumber": 7}


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({}, [True, True]),
        ({"status": {"eq": "PAID"}}, [True, False]),
        ({"status": {"ne": "PAID"}}, [False, True]),
        ({"status": {"in": ["PAID", "FULFILLED"]}}, [True, False]),
        ({"status": {"notIn": ["PAID"]}}, [False, True]),
        ({"previousStatus": {"beginsWith": "PENDING"}}, [True, False]),
        ({"orderNumber": {"between": [1000, 2000]}}, [True, False]),
        ({"orderNumber": {"gt": 7}}, [True, False]),
        ({"orderNumber": {"ge": 7}}, [True, True]),
        ({"orderNumber": {"lt": 7}}, [False, False]),
        ({"orderNumber": {"le": 7}}, [False, True]),
        ({"status": {"eq": "PAID"}, "orderNumber": {"lt": 100}}, [False, False]),
    ],
)
def test_each_operator_selects_the_matching_events(
    spec: dict[str, Any], expected: list[bool]
) -> None:
    # given a compiled filter
    compiled = compile_filter(spec, ORDER_FIELDS)
    # when two events are checked
    seen = [compiled.matches(PAID), compiled.matches(REFUNDED)]
    # then only the matching ones pass
    assert seen == expected


def test_a_missing_payload_field_reads_as_null() -> None:
    compiled = compile_filter({"previousStatus": {"eq": None}}, ORDER_FIELDS)
    assert [compiled.matches({"status": "PENDING_PAYMENT"}), compiled.matches(PAID)] == [
        True,
        False,
    ]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"owner": {"eq": "x"}}, "filter.owner: unknown field (filter on: orderNumber,"),
        ({"status": {"like": "P%"}}, "filter.status: unknown operator 'like'"),
        ({"status": {}}, "filter.status: give at least one operator"),
        ({"status": {"eq": 3}}, "filter.status: eq takes a str, not 3"),
        ({"status": {"in": []}}, "filter.status: in takes a list of 1 to 5 values"),
        ({"status": {"in": list("abcdef")}}, "in takes a list of 1 to 5 values"),
        ({"orderNumber": {"between": [9, 1]}}, "between takes [low, high]"),
        ({"orderNumber": {"between": [1]}}, "between takes [low, high]"),
        ({"orderNumber": {"beginsWith": "1"}}, "beginsWith takes a string, on string fields"),
        ({"orderNumber": {"gt": True}}, "gt takes a number or a string"),
        ({f"f{i}": {"eq": 1} for i in range(6)}, "at most 5 fields per filter"),
    ],
)
def test_invalid_filters_are_refused_with_the_field_and_reason(
    spec: dict[str, Any], message: str
) -> None:
    # when compiling a bad filter, then a typed error names the field and the problem
    with pytest.raises(InvalidSubscriptionFilter) as refused:
        compile_filter(spec, ORDER_FIELDS)
    assert message in str(refused.value)
