"""The exported SDL (``schema/schema.graphql``) as AWS AppSync accepts it.

The exported contract declares AppSync's own scalars (``AWSDateTime``, ``AWSURL``) and auth
directives so that it is a complete schema for every other tool; AppSync defines those itself
and refuses a schema that declares them again. It also puts auth directives on root fields
only, while AppSync checks every object type a caller reaches: a type without a directive is
open to the default mode (Cognito user pools) only, so an API-key caller of ``Query.product``
could not read ``Product``. :func:`appsync_sdl` therefore

1. drops the declarations of AppSync's built-in scalars and directives;
2. marks every object type reachable from a field that admits API keys with
   ``@aws_api_key @aws_cognito_user_pools`` (both: a type-level directive replaces the
   default mode for that type);
3. refuses anything else AppSync would not accept: custom scalars and other directives.

This reads the SDL with graphql-core, a library (not one of the project's runtime
packages, which ``infra_cdk`` may not import).
"""

from __future__ import annotations

from collections import deque
from pathlib import Path

from graphql import (
    ConstDirectiveNode,
    DirectiveDefinitionNode,
    DocumentNode,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    NameNode,
    ObjectTypeDefinitionNode,
    ScalarTypeDefinitionNode,
    build_ast_schema,
    get_named_type,
    parse,
    print_ast,
)

APPSYNC_SCALARS = frozenset(
    {
        "AWSDate",
        "AWSTime",
        "AWSDateTime",
        "AWSTimestamp",
        "AWSEmail",
        "AWSJSON",
        "AWSURL",
        "AWSPhone",
        "AWSIPAddress",
    }
)
"""Scalars AppSync defines (a schema may use them, not declare them)."""
APPSYNC_DIRECTIVES = frozenset(
    {
        "aws_api_key",
        "aws_cognito_user_pools",
        "aws_iam",
        "aws_oidc",
        "aws_lambda",
        "aws_subscribe",
        "aws_auth",
        "deprecated",
    }
)
"""Directives AppSync defines."""
API_KEY = "aws_api_key"
USER_POOLS = "aws_cognito_user_pools"


class UnsupportedSchemaError(ValueError):
    """The SDL uses something AppSync does not accept."""


def _directive(name: str) -> ConstDirectiveNode:
    return ConstDirectiveNode(name=NameNode(value=name), arguments=())


def api_key_types(schema: GraphQLSchema, document: DocumentNode) -> frozenset[str]:
    """Object types (roots excluded) reachable from a root field marked ``@aws_api_key``."""
    roots = {
        t.name for t in (schema.query_type, schema.mutation_type, schema.subscription_type) if t
    }
    start = []
    for definition in document.definitions:
        if isinstance(definition, ObjectTypeDefinitionNode) and definition.name.value in roots:
            root = schema.get_type(definition.name.value)
            assert isinstance(root, GraphQLObjectType)
            for field in definition.fields or ():
                if any(d.name.value == API_KEY for d in field.directives or ()):
                    start.append(get_named_type(root.fields[field.name.value].type))
    found: set[str] = set()
    queue = deque(start)
    while queue:
        named = queue.popleft()
        if isinstance(named, GraphQLUnionType | GraphQLInterfaceType):
            queue.extend(schema.get_possible_types(named))
            continue
        if not isinstance(named, GraphQLObjectType) or named.name in found | roots:
            continue
        found.add(named.name)
        queue.extend(get_named_type(field.type) for field in named.fields.values())
    return frozenset(found)


def appsync_sdl(sdl: str) -> str:
    """``sdl`` translated for AppSync (see the module docstring); UnsupportedSchemaError
    names what AppSync would refuse."""
    document = parse(sdl)
    problems = []
    for definition in document.definitions:
        name = getattr(definition, "name", None)
        if (
            isinstance(definition, ScalarTypeDefinitionNode)
            and name is not None
            and name.value not in APPSYNC_SCALARS
        ):
            problems.append(f"custom scalar {name.value}")
        if (
            isinstance(definition, DirectiveDefinitionNode)
            and name is not None
            and name.value not in APPSYNC_DIRECTIVES
        ):
            problems.append(f"directive @{name.value}")
    if problems:
        raise UnsupportedSchemaError("AppSync does not accept: " + ", ".join(sorted(problems)))
    schema = build_ast_schema(document)
    open_to_api_keys = api_key_types(schema, document)
    kept = []
    for definition in document.definitions:
        if isinstance(definition, ScalarTypeDefinitionNode | DirectiveDefinitionNode):
            continue
        if (
            isinstance(definition, ObjectTypeDefinitionNode)
            and definition.name.value in open_to_api_keys
        ):
            own = {d.name.value for d in definition.directives or ()}
            added = tuple(_directive(n) for n in (API_KEY, USER_POOLS) if n not in own)
            definition = ObjectTypeDefinitionNode(
                name=definition.name,
                description=definition.description,
                interfaces=definition.interfaces,
                directives=(*(definition.directives or ()), *added),
                fields=definition.fields,
            )
        kept.append(definition)
    return print_ast(DocumentNode(definitions=tuple(kept))) + "\n"


def appsync_sdl_from_file(path: Path) -> str:
    """:func:`appsync_sdl` of the SDL file at ``path``."""
    return appsync_sdl(path.read_text(encoding="utf-8"))
