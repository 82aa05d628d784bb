"""AWS scalars used by the schema, so the exported SDL also deploys to AppSync."""

from __future__ import annotations

from datetime import datetime
from typing import NewType

import strawberry
from strawberry.types.scalar import ScalarDefinition

AWSDateTime = NewType("AWSDateTime", datetime)
AWSURL = NewType("AWSURL", str)


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
}
