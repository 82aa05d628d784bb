"""The exported SDL translated for AppSync: built-ins dropped, API-key types marked."""

from __future__ import annotations

import pytest
from graphql import GraphQLObjectType, ObjectTypeDefinitionNode, build_schema, parse

from infra_cdk.appsync_schema import UnsupportedSchemaError, appsync_sdl, appsync_sdl_from_file
from infra_cdk.config import REPO_ROOT

APPSYNC_PRELUDE = """
scalar AWSDate scalar AWSTime scalar AWSDateTime scalar AWSTimestamp scalar AWSEmail
scalar AWSJSON scalar AWSURL scalar AWSPhone scalar AWSIPAddress
directive @aws_api_key on OBJECT | FIELD_DEFINITION
directive @aws_iam on OBJECT | FIELD_DEFINITION
directive @aws_cognito_user_pools(cognito_groups: [String!]) on OBJECT | FIELD_DEFINITION
directive @aws_subscribe(mutations: [String!]!) on FIELD_DEFINITION
"""
"""What AppSync defines itself (its built-in scalars and auth directives)."""


def _type_directives(sdl: str) -> dict[str, list[str]]:
    return {
        d.name.value: [x.name.value for x in d.directives or ()]
        for d in parse(sdl).definitions
        if isinstance(d, ObjectTypeDefinitionNode)
    }


def test_exported_schema_translates_and_builds_on_appsync_built_ins() -> None:
    # given the committed contract
    translated = appsync_sdl_from_file(REPO_ROOT / "schema" / "schema.graphql")
    # then it declares none of AppSync's scalars or directives
    assert "scalar AWSDateTime" not in translated
    assert "directive @aws_api_key" not in translated
    # and with AppSync's built-ins it is a valid schema
    schema = build_schema(APPSYNC_PRELUDE + translated)
    assert isinstance(schema.get_type("Product"), GraphQLObjectType)
    assert schema.query_type is not None
    assert "product" in schema.query_type.fields


def test_types_reached_with_an_api_key_admit_both_modes_and_admin_types_do_not() -> None:
    translated = appsync_sdl_from_file(REPO_ROOT / "schema" / "schema.graphql")
    directives = _type_directives(translated)
    # storefront types reachable from Query.product / cart mutations
    for name in ("Product", "ProductVariant", "Category", "Cart", "CartLine", "CartCreateSuccess"):
        assert directives[name] == ["aws_api_key", "aws_cognito_user_pools"], name
    # admin-only results keep the default mode (Cognito user pools)
    assert directives["IngestJob"] == []
    assert directives["CreateProductSuccess"] == []
    # and roots keep their field-level directives only
    assert directives["Query"] == []


def test_reachability_follows_unions_and_interfaces() -> None:
    sdl = """
    directive @aws_api_key on OBJECT | FIELD_DEFINITION
    interface Node { id: ID! }
    type A implements Node { id: ID! b: B }
    type B { x: Int }
    type C { y: Int }
    type D { z: Int }
    union U = C
    type Query {
      node: Node @aws_api_key
      u: U @aws_api_key
      secret: D
    }
    """
    directives = _type_directives(appsync_sdl(sdl))
    assert directives["A"] == directives["B"] == directives["C"]
    assert directives["A"] == ["aws_api_key", "aws_cognito_user_pools"]
    assert directives["D"] == []


@pytest.mark.parametrize(
    ("sdl", "message"),
    [
        ("scalar JSON\ntype Query { a: JSON }", "custom scalar JSON"),
        ("directive @key(fields: String) on OBJECT\ntype Query { a: Int }", "directive @key"),
    ],
)
def test_what_appsync_refuses_is_named(sdl: str, message: str) -> None:
    with pytest.raises(UnsupportedSchemaError, match=message):
        appsync_sdl(sdl)
