"""AWS scalars used by the schema, so the exported SDL also deploys to AppSync."""

from __future__ import annotations

from datetime import datetime
from typing import Any, NewType

import orjson
import strawberry
from graphql import ValueNode, value_from_ast_untyped
from strawberry.types.scalar import ScalarDefinition

AWSDateTime = NewType("AWSDateTime", datetime)
AWSURL = NewType("AWSURL", str)
AWSJSON = NewType("AWSJSON", object)


def _parse_json(value: Any) -> Any:
    # AppSync sends AWSJSON as a string holding JSON; a variable may also carry the object.
    if isinstance(value, str):
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError as error:
            raise ValueError(f"AWSJSON: not valid JSON ({error})") from error
    return value


def _parse_json_literal(node: ValueNode, variables: dict[str, Any] | None = None) -> Any:
    return _parse_json(value_from_ast_untyped(node, variables))


def _parse_datetime(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _serialize_datetime(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


SCALAR_MAP: dict[object, ScalarDefinition] = {
    AWSDateTime: strawberry.scalar(
        name="AWSDateTime",
        description="An ISO 8601 date and time in UTC (AppSync's AWSDateTime).",
        serialize=_serialize_datetime,
        parse_value=_parse_datetime,
    ),
    AWSURL: strawberry.scalar(
        name="AWSURL",
        description="A URL (AppSync's AWSURL).",
        serialize=str,
        parse_value=str,
    ),
    AWSJSON: strawberry.scalar(
        name="AWSJSON",
        description="A JSON value; as input, a JSON object or a string holding one (AppSync's "
        "AWSJSON).",
        serialize=lambda value: value,
        parse_value=_parse_json,
        parse_literal=_parse_json_literal,
    ),
}
