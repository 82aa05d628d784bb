"""The resolver map: how every field of every object type is resolved, and who may call it.

Like the AppSync console's resolver list: a field is a ``pipeline`` (a :class:`Pipeline`
extension of resolver functions over named data sources), ``computed`` (a plain strawberry
resolver such as a global ID) or ``source`` (an attribute of the parent record).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import graphql
import strawberry
from graphql import (
    ConstDirectiveNode,
    GraphQLObjectType,
    ObjectTypeDefinitionNode,
    get_named_type,
    is_composite_type,
    print_ast,
)
from strawberry.types.field import StrawberryField

from gateway.contract import SCHEMA_DIR
from resolvers.kit import DataSource, Pipeline, data_sources_of, step_name
from schema import build_schema

RESOLVER_MAP_PATH = SCHEMA_DIR.parent / "docs" / "resolver-map.md"
RESOLVER_MAP_JSON_PATH = SCHEMA_DIR / "resolver-map.json"
"""The fields with resolvers, as data: the CDK app attaches AppSync resolvers from it
(``infra_cdk`` may not import the schema's code)."""
AUTH_DIRECTIVE_PREFIX = "aws_"
_NONE = "—"


class ResolverKind(StrEnum):
    """How a field gets its value."""

    PIPELINE = "pipeline"
    COMPUTED = "computed"
    SOURCE = "source"


@dataclass(frozen=True)
class PipelineStep:
    """One resolver function of a pipeline and the data sources it declared."""

    name: str
    data_sources: tuple[DataSource, ...]


@dataclass(frozen=True)
class ResolverMapRow:
    """How one field is resolved."""

    type_name: str
    field_name: str
    kind: ResolverKind
    resolver: str
    steps: tuple[PipelineStep, ...]
    data_sources: tuple[DataSource, ...]
    auth: tuple[str, ...]
    arguments: tuple[str, ...]
    is_root: bool
    returns_object: bool
    cache_ttl_seconds: float | None = None

    @property
    def coordinate(self) -> str:
        """``Type.field``."""
        return f"{self.type_name}.{self.field_name}"


def resolver_map(schema: strawberry.Schema | None = None) -> list[ResolverMapRow]:
    """One row per field of every object type: root types first, then by type name."""
    schema = build_schema() if schema is None else schema
    gql = schema._schema
    roots = [t for t in (gql.query_type, gql.mutation_type, gql.subscription_type) if t]
    others = sorted(
        (
            t
            for name, t in gql.type_map.items()
            if isinstance(t, GraphQLObjectType) and not name.startswith("__") and t not in roots
        ),
        key=lambda t: t.name,
    )
    auth = _auth_directives(schema.as_str())
    root_names = {t.name for t in roots}
    return [
        _row(object_type, field_name, auth, is_root=object_type.name in root_names)
        for object_type in (*roots, *others)
        for field_name in object_type.fields
    ]


def unmapped_fields(rows: list[ResolverMapRow]) -> list[str]:
    """Fields that need a pipeline but have none: root fields and fields with arguments."""
    return [
        row.coordinate
        for row in rows
        if (row.is_root or row.arguments) and row.kind is not ResolverKind.PIPELINE
    ]


def render_markdown(rows: list[ResolverMapRow]) -> str:
    """The resolver map as the Markdown page ``docs/resolver-map.md``."""
    lines = [
        "# Resolver map",
        "",
        "Generated from the schema by `gateway.resolver_map` (`make schema`); do not edit.",
        "",
        "Every field of every object type and how it is resolved:",
        "",
        "- **pipeline**: a `Pipeline` of resolver functions run in order (AppSync pipeline",
        "  resolver); the data sources are those the functions declare with `@uses`.",
        "- **computed**: a plain resolver with no I/O, such as a global ID.",
        "- **source**: the attribute of the parent record (AppSync's `$ctx.source`).",
        "",
        f"Auth lists the field's AppSync auth directives; {_NONE} means the field is reached",
        "only through a root field that checks them.",
        "",
        "| Type.field | Kind | Resolver | Data sources | Auth |",
        "|---|---|---|---|---|",
    ]
    lines.extend(
        "| "
        + " | ".join(
            _cell(text)
            for text in (
                f"`{row.coordinate}`",
                row.kind.value,
                _resolver_cell(row),
                ", ".join(row.data_sources) or _NONE,
                " ".join(f"`{d}`" for d in row.auth) or _NONE,
            )
        )
        + " |"
        for row in rows
    )
    return "\n".join(lines) + "\n"


def render_json(rows: list[ResolverMapRow]) -> str:
    """The fields that have a pipeline (AppSync resolvers: each is a direct Lambda
    resolver on AWS), with their data sources and resolver-cache TTL, as JSON."""
    document = {
        "generatedBy": "vitrine schema export",
        "resolvers": [
            {
                "typeName": row.type_name,
                "fieldName": row.field_name,
                "dataSources": list(row.data_sources),
                "auth": list(row.auth),
                "cacheTtlSeconds": row.cache_ttl_seconds,
            }
            for row in rows
            if row.kind is ResolverKind.PIPELINE
        ],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def write_resolver_map_json(path: Path = RESOLVER_MAP_JSON_PATH) -> Path:
    """Write :func:`render_json` of the current schema to ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_json(resolver_map()), encoding="utf-8")
    return path


def write_resolver_map(path: Path = RESOLVER_MAP_PATH) -> Path:
    """Write the rendered resolver map of the current schema to ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_markdown(resolver_map()), encoding="utf-8")
    return path


def _row(
    object_type: GraphQLObjectType,
    field_name: str,
    auth: dict[tuple[str, str], tuple[str, ...]],
    *,
    is_root: bool,
) -> ResolverMapRow:
    gql_field = object_type.fields[field_name]
    definition: StrawberryField = gql_field.extensions["strawberry-definition"]
    pipeline = next((e for e in definition.extensions if isinstance(e, Pipeline)), None)
    common: dict[str, Any] = {
        "type_name": object_type.name,
        "field_name": field_name,
        "auth": auth.get((object_type.name, field_name), ()),
        "arguments": tuple(gql_field.args),
        "is_root": is_root,
        "returns_object": is_composite_type(get_named_type(gql_field.type)),
    }
    if pipeline is not None:
        steps = tuple(PipelineStep(step_name(s), data_sources_of(s)) for s in pipeline.steps)
        return ResolverMapRow(
            kind=ResolverKind.PIPELINE,
            resolver=" → ".join(step.name for step in steps),
            steps=steps,
            data_sources=pipeline.data_sources,
            cache_ttl_seconds=None if pipeline.cache is None else pipeline.cache.ttl_seconds,
            **common,
        )
    if definition.base_resolver is not None:
        function = definition.base_resolver.wrapped_func
        return ResolverMapRow(
            kind=ResolverKind.COMPUTED,
            resolver=f"{function.__module__}.{definition.base_resolver.name}",
            steps=(),
            data_sources=(),
            **common,
        )
    return ResolverMapRow(
        kind=ResolverKind.SOURCE,
        resolver=f"source.{definition.python_name}",
        steps=(),
        data_sources=(),
        **common,
    )


def _auth_directives(sdl: str) -> dict[tuple[str, str], tuple[str, ...]]:
    """Auth directives per (type, field) as printed in the SDL; a field without its own
    gets its type's (AppSync semantics)."""
    found: dict[tuple[str, str], tuple[str, ...]] = {}
    for definition in graphql.parse(sdl).definitions:
        if not isinstance(definition, ObjectTypeDefinitionNode):
            continue
        type_auth = _printed_auth(definition.directives)
        for field in definition.fields or ():
            found[(definition.name.value, field.name.value)] = (
                _printed_auth(field.directives) or type_auth
            )
    return found


def _printed_auth(directives: Iterable[ConstDirectiveNode] | None) -> tuple[str, ...]:
    return tuple(
        print_ast(d) for d in directives or () if d.name.value.startswith(AUTH_DIRECTIVE_PREFIX)
    )


def _resolver_cell(row: ResolverMapRow) -> str:
    if row.kind is ResolverKind.PIPELINE:
        text = " → ".join(f"`{step.name}`" for step in row.steps)
        if row.cache_ttl_seconds is not None:
            text += f" (cached {row.cache_ttl_seconds:g} s)"
        return text
    return f"`{row.resolver}`"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")
