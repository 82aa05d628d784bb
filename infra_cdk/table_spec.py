"""The catalog table's key schema and indexes, as generated from the PynamoDB models.

``catalog_table.json`` is written from ``datasources.dynamodb.models`` and compared with
them by ``tests/infra/test_table_spec.py``; the CDK app reads it here so the keys and GSIs
are declared once, in the models.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CATALOG_TABLE_SPEC = Path(__file__).with_name("catalog_table.json")


@dataclass(frozen=True)
class KeyAttribute:
    """A key attribute: its name and DynamoDB scalar type (S, N or B)."""

    name: str
    type: str


@dataclass(frozen=True)
class IndexSpec:
    """A secondary index."""

    name: str
    partition_key: KeyAttribute
    sort_key: KeyAttribute | None
    projection: str
    non_key_attributes: tuple[str, ...] = ()


@dataclass(frozen=True)
class TableSpec:
    """A table's keys, indexes and billing mode."""

    partition_key: KeyAttribute
    sort_key: KeyAttribute | None
    billing_mode: str
    global_indexes: tuple[IndexSpec, ...]
    local_indexes: tuple[IndexSpec, ...]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TableSpec:
        """Parse the JSON written by the generator."""
        return cls(
            partition_key=_key(data["partitionKey"]),
            sort_key=_optional_key(data.get("sortKey")),
            billing_mode=data["billingMode"],
            global_indexes=tuple(_index(i) for i in data.get("globalSecondaryIndexes", [])),
            local_indexes=tuple(_index(i) for i in data.get("localSecondaryIndexes", [])),
        )


def _key(data: dict[str, str]) -> KeyAttribute:
    return KeyAttribute(name=data["name"], type=data["type"])


def _optional_key(data: dict[str, str] | None) -> KeyAttribute | None:
    return None if data is None else _key(data)


def _index(data: dict[str, Any]) -> IndexSpec:
    return IndexSpec(
        name=data["name"],
        partition_key=_key(data["partitionKey"]),
        sort_key=_optional_key(data.get("sortKey")),
        projection=data["projection"],
        non_key_attributes=tuple(data.get("nonKeyAttributes", [])),
    )


def load_catalog_table_spec(path: Path = CATALOG_TABLE_SPEC) -> TableSpec:
    """The catalog table's spec from the committed JSON."""
    return TableSpec.from_json(json.loads(path.read_text(encoding="utf-8")))
