"""The resolver map is complete, committed, and every entry point checks auth."""

from __future__ import annotations

import json

import strawberry
from graphql import GraphQLObjectType

from gateway.resolver_map import (
    RESOLVER_MAP_JSON_PATH,
    RESOLVER_MAP_PATH,
    ResolverKind,
    render_json,
    render_markdown,
    resolver_map,
    unmapped_fields,
)
from resolvers.kit import DataSource
from schema import build_schema


def test_committed_resolver_map_equals_the_generated_one() -> None:
    # given the committed docs/resolver-map.md
    committed = RESOLVER_MAP_PATH.read_text(encoding="utf-8")
    # when rendering the resolver map of the schema in code
    generated = render_markdown(resolver_map())
    # then they are identical
    assert committed == generated, "docs/resolver-map.md is stale: run `make schema`"


def test_committed_resolver_json_equals_the_generated_one() -> None:
    # given the committed schema/resolver-map.json (what the CDK app reads)
    committed = json.loads(RESOLVER_MAP_JSON_PATH.read_text(encoding="utf-8"))
    # when rendering it from the schema in code
    rows = resolver_map()
    generated = json.loads(render_json(rows))
    # then they are identical and list exactly the pipeline fields
    assert committed == generated, "schema/resolver-map.json is stale: run `vitrine schema export`"
    pipelines = [r.coordinate for r in rows if r.kind is ResolverKind.PIPELINE]
    assert [f"{r['typeName']}.{r['fieldName']}" for r in committed["resolvers"]] == pipelines
    assert {"typeName": "Query", "fieldName": "product"}.items() <= committed["resolvers"][
        1
    ].items()


def test_every_root_field_and_field_with_arguments_has_a_pipeline() -> None:
    # given the resolver map
    rows = resolver_map()
    # when looking for fields that need a pipeline
    missing = unmapped_fields(rows)
    # then there are none
    assert missing == []


def test_resolver_map_covers_every_field_of_every_object_type() -> None:
    # given the GraphQL schema
    gql = build_schema()._schema
    expected = {
        f"{name}.{field}"
        for name, t in gql.type_map.items()
        if isinstance(t, GraphQLObjectType) and not name.startswith("__")
        for field in t.fields
    }
    # when building the resolver map
    coordinates = [row.coordinate for row in resolver_map()]
    # then each field appears exactly once, root types first
    assert sorted(coordinates) == sorted(expected)
    assert len(coordinates) == len(set(coordinates))
    assert coordinates[0].startswith("Query.")


def test_every_pipeline_step_declares_its_data_sources() -> None:
    # given the pipeline rows
    pipelines = [row for row in resolver_map() if row.kind is ResolverKind.PIPELINE]
    # when collecting steps without data sources
    undeclared = [
        f"{row.coordinate}: {s.name}" for row in pipelines for s in row.steps if not s.data_sources
    ]
    # then every step declared at least one
    assert len(pipelines) >= 11
    assert undeclared == []
    assert all(row.data_sources for row in pipelines)


ADMIN_ONLY = ('@aws_cognito_user_pools(cognito_groups: ["admin"])',)
STOREFRONT = ("@aws_api_key", "@aws_cognito_user_pools")
SIGNED_IN = ("@aws_cognito_user_pools",)


def test_every_query_and_mutation_field_carries_an_auth_directive() -> None:
    # given the root fields
    roots = [row for row in resolver_map() if row.type_name in {"Query", "Mutation"}]
    # when looking for fields without AppSync auth directives
    open_fields = [row.coordinate for row in roots if not row.auth]
    # then there are none: catalog and order admin is admin-only, carts take an API key or a
    # sign-in, checkout and merging a cart need a sign-in
    assert roots
    assert open_fields == []
    assert {row.field_name: row.auth for row in roots if row.type_name == "Mutation"} == {
        "createProduct": ADMIN_ONLY,
        "updateProduct": ADMIN_ONLY,
        "archiveProduct": ADMIN_ONLY,
        "createProductVariant": ADMIN_ONLY,
        "updateProductVariant": ADMIN_ONLY,
        "attachProductAsset": ADMIN_ONLY,
        "cartCreate": STOREFRONT,
        "cartLinesAdd": STOREFRONT,
        "cartLineUpdate": STOREFRONT,
        "cartLineRemove": STOREFRONT,
        "cartDiscountCodeApply": STOREFRONT,
        "cartDiscountCodeRemove": STOREFRONT,
        "cartMerge": SIGNED_IN,
        "checkoutComplete": SIGNED_IN,
        "orderFulfill": ADMIN_ONLY,
        "orderCancel": SIGNED_IN,
        "orderRefund": ADMIN_ONLY,
        "inventoryAdjust": ADMIN_ONLY,
        "createAssetUpload": ADMIN_ONLY,
        "finalizeAssetUpload": ADMIN_ONLY,
        "requestRender": ADMIN_ONLY,
        "trackEvents": STOREFRONT,
    }
    assert {row.field_name: row.auth for row in roots if row.field_name == "renderJob"} == {
        "renderJob": ADMIN_ONLY
    }
    shopping_queries = {"cart", "order", "myOrders", "orders"}
    assert {row.field_name: row.auth for row in roots if row.field_name in shopping_queries} == {
        "cart": STOREFRONT,
        "order": SIGNED_IN,
        "myOrders": SIGNED_IN,
        "orders": ADMIN_ONLY,
    }


def test_fields_are_classified_by_how_they_resolve() -> None:
    # given the resolver map
    rows = {row.coordinate: row for row in resolver_map()}
    # when looking at representative fields
    products = rows["Query.products"]
    categories = rows["Query.categories"]
    # then pipelines, computed global IDs and plain source fields are told apart
    assert products.kind is ResolverKind.PIPELINE
    assert [s.name for s in products.steps] == ["resolvers.catalog.products"]
    assert products.data_sources == (DataSource.CATALOG,)
    assert categories.cache_ttl_seconds == 60.0
    assert DataSource.RESOLVER_CACHE in categories.data_sources
    assert rows["Product.id"].kind is ResolverKind.COMPUTED
    assert rows["Product.id"].resolver == "schema.node.product_global_id"
    assert rows["Product.slug"].kind is ResolverKind.SOURCE
    assert rows["Product.slug"].resolver == "source.slug"
    assert rows["Product.slug"].auth == ()


def test_unmapped_fields_flags_root_fields_and_fields_with_arguments_without_pipeline() -> None:
    # given a schema whose root field and argument field have plain resolvers
    rows = resolver_map(strawberry.Schema(query=GadgetQuery))
    # when looking for unmapped fields
    missing = unmapped_fields(rows)
    # then both are reported, but not the plain source field
    assert missing == ["GadgetQuery.gadget", "Gadget.label"]
    assert {row.coordinate: row.kind for row in rows}["Gadget.name"] is ResolverKind.SOURCE


@strawberry.type
class Gadget:
    name: str

    @strawberry.field
    def label(self, upper: bool = False) -> str:
        return self.name.upper() if upper else self.name


@strawberry.type
class GadgetQuery:
    @strawberry.field
    def gadget(self) -> Gadget:
        return Gadget(name="x")
