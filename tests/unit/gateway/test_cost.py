"""Query cost analysis, document limits and the in-process leaky bucket (no I/O)."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import GraphQLSchema, parse, validate

from datasources.rate_limit import BucketConfig
from datasources.rate_limit.in_process import InProcessRateLimiter
from gateway.cost import CostRules, query_cost, rate_limit_key
from gateway.errors import without_suggestions
from gateway.limits import DocumentLimits, document_limits_rule
from resolvers.context import AuthMode, Identity
from schema import build_schema

OPERATIONS = Path(__file__).parents[3] / "client_examples" / "operations"
LIMITS = DocumentLimits(
    max_depth=15, max_aliases=30, max_fields=500, max_directives=30, max_tokens=5000
)


@pytest.fixture(scope="module")
def schema() -> GraphQLSchema:
    return build_schema()._schema


def cost(schema: GraphQLSchema, query: str, variables: dict[str, object] | None = None) -> int:
    return query_cost(schema, parse(query), None, variables)


def test_scalars_are_free_and_objects_cost_one(schema: GraphQLSchema) -> None:
    assert cost(schema, "{ __typename }") == 0
    assert cost(schema, '{ product(slug: "a") { name brand } }') == 1
    assert cost(schema, '{ product(slug: "a") { name category { name } } }') == 2


def test_connections_cost_first_times_their_items(schema: GraphQLSchema) -> None:
    query = "query($n: Int) { products(first: $n) { totalCount nodes { name category { name } } } }"
    assert cost(schema, query, {"n": 10}) == 1 + 10 * 2
    assert cost(schema, query, {}) == 1 + 24 * 2  # the schema default of first
    assert cost(schema, query, {"n": 100}) == 1 + 100 * 2
    # beyond the page bound the connection refuses the page itself (BadUserInput)
    assert cost(schema, query, {"n": 5000}) == 1


def test_plain_lists_are_bounded_and_skipped_fields_are_free(schema: GraphQLSchema) -> None:
    assert cost(schema, "{ categories { name } }") == 3
    assert cost(schema, "{ categories { children { name } } }") == 3 * (1 + 3)
    assert (
        cost(schema, "query($s: Boolean!) { categories @skip(if: $s) { name } }", {"s": True}) == 0
    )
    rules = CostRules(list_size=10)
    assert query_cost(schema, parse("{ categories { name } }"), rules=rules) == 10


def test_mutations_cost_ten_more(schema: GraphQLSchema) -> None:
    query = (OPERATIONS / "CartLinesAdd.graphql").read_text()
    assert cost(schema, query) == 14


def test_storefront_operations_fit_the_default_maximum(schema: GraphQLSchema) -> None:
    costs = {p.stem: cost(schema, p.read_text()) for p in sorted(OPERATIONS.glob("*.graphql"))}
    assert costs["ProductPage"] == 54
    assert costs["CategoryListing"] == 270
    assert costs["ProductsByFilter"] == 146
    assert costs["OrderHistory"] == 152
    assert costs["SearchProducts"] == 258
    assert max(costs.values()) <= 1000


def test_a_missing_required_variable_leaves_the_page_size_readable(schema: GraphQLSchema) -> None:
    # given a connection whose other argument's required variable is not supplied
    query = "query($q: String!) { search(query: $q, first: 5) { edges { node { name } } } }"
    unpaged = "query($q: String!) { search(query: $q) { edges { node { name } } } }"
    # then the literal page size, or the schema default, still sets the cost
    assert cost(schema, query) == 1 + 5 * 2
    assert cost(schema, unpaged) == 1 + 24 * 2


def limit_codes(schema: GraphQLSchema, query: str) -> list[str]:
    errors = validate(schema, parse(query), [document_limits_rule(LIMITS)])
    return [e.extensions["code"] for e in errors if e.extensions]


def test_storefront_operations_and_introspection_pass_the_limits(schema: GraphQLSchema) -> None:
    from graphql import get_introspection_query

    for path in OPERATIONS.glob("*.graphql"):
        assert limit_codes(schema, path.read_text()) == [], path.name
    assert limit_codes(schema, get_introspection_query(descriptions=True)) == []


def test_fragment_bomb_is_counted_expanded(schema: GraphQLSchema) -> None:
    # given fragments that each spread the previous one 4 times (4**6 fields expanded)
    fragments = ["fragment F0 on Query { __typename }"]
    for level in range(1, 7):
        spreads = " ".join(f"...F{level - 1}" for _ in range(4))
        fragments.append(f"fragment F{level} on Query {{ {spreads} }}")
    query = "{ ...F6 } " + " ".join(fragments)
    assert limit_codes(schema, query) == ["FIELD_LIMIT_EXCEEDED"]


def test_suggestions_are_removed() -> None:
    assert (
        without_suggestions("Cannot query field 'nme' on type 'Product'. Did you mean 'name'?")
        == "Cannot query field 'nme' on type 'Product'."
    )
    assert (
        without_suggestions(
            "Value 'NAME' does not exist in 'ProductSort' enum. Did you mean the "
            "enum value 'NAME_ASC' or 'NAME_DESC'?"
        )
        == "Value 'NAME' does not exist in 'ProductSort' enum."
    )


def test_buckets_are_per_user_per_key_and_ip_or_per_ip() -> None:
    user = Identity(mode=AuthMode.AMAZON_COGNITO_USER_POOLS, subject="sub-1")
    key = Identity(mode=AuthMode.API_KEY, subject="api-key:abcd")
    assert rate_limit_key(user, "10.0.0.1") == "user:sub-1"
    assert rate_limit_key(key, "10.0.0.1") == "key:api-key:abcd:ip:10.0.0.1"
    assert rate_limit_key(Identity.anonymous(), "10.0.0.2") == "ip:10.0.0.2"
    assert rate_limit_key(None, None) == "ip:unknown"


async def test_in_process_bucket_leaks_and_refills() -> None:
    # given a bucket of 100 points refilled at 10 a second, on a controlled clock
    now = [0.0]
    limiter = InProcessRateLimiter(
        BucketConfig(capacity=100, restore_rate=10), clock=lambda: now[0]
    )
    # when 60 then 60 points are asked
    first = await limiter.charge("ip:1", 60)
    second = await limiter.charge("ip:1", 60)
    # then the second waits for 20 points, 2 seconds
    assert (first.allowed, first.currently_available) == (True, 40)
    assert (second.allowed, second.retry_after_seconds) == (False, 2.0)
    assert (await limiter.charge("ip:2", 60)).allowed  # another caller has its own bucket
    now[0] = 2.0
    third = await limiter.charge("ip:1", 60)
    assert (third.allowed, third.currently_available) == (True, 0)
    now[0] = 100.0
    assert (await limiter.charge("ip:1", 0)).currently_available == 100  # never above capacity
