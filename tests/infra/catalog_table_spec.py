"""Generates ``infra_cdk/catalog_table.json`` from the PynamoDB models.

``python -m tests.infra.catalog_table_spec`` rewrites the file; ``test_table_spec.py``
fails when the committed file and the models disagree. (The CDK app may not import
``datasources``, so the spec travels as JSON.)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from datasources.dynamodb.models import TableConfig, build_models
from infra_cdk.table_spec import CATALOG_TABLE_SPEC

SOURCE = "datasources/dynamodb/models.py"


def _keys(key_schema: list[dict[str, str]], types: dict[str, str]) -> dict[str, Any]:
    by_role = {k["KeyType"]: k["AttributeName"] for k in key_schema}
    keys: dict[str, Any] = {
        "partitionKey": {"name": by_role["HASH"], "type": types[by_role["HASH"]]}
    }
    if "RANGE" in by_role:
        keys["sortKey"] = {"name": by_role["RANGE"], "type": types[by_role["RANGE"]]}
    return keys


def _index(index: dict[str, Any], types: dict[str, str]) -> dict[str, Any]:
    projection = index["projection"]
    return {
        "name": index["index_name"],
        **_keys(index["key_schema"], types),
        "projection": projection["ProjectionType"],
        "nonKeyAttributes": sorted(projection.get("NonKeyAttributes", [])),
    }


def catalog_table_spec() -> dict[str, Any]:
    """The catalog table as the models declare it (PynamoDB's CreateTable schema)."""
    models = build_models(TableConfig(table_name="spec", region="us-east-1"))
    schema = models.item._get_schema()
    types = {a["AttributeName"]: a["AttributeType"] for a in schema["attribute_definitions"]}
    return {
        "_generated": f"from {SOURCE} by `python -m tests.infra.catalog_table_spec`; do not edit",
        "billingMode": models.item.Meta.billing_mode,
        **_keys(schema["key_schema"], types),
        "globalSecondaryIndexes": sorted(
            (_index(i, types) for i in schema["global_secondary_indexes"]),
            key=lambda i: i["name"],
        ),
        "localSecondaryIndexes": sorted(
            (_index(i, types) for i in schema["local_secondary_indexes"]),
            key=lambda i: i["name"],
        ),
    }


def render() -> str:
    """The JSON text of the spec, as committed."""
    return json.dumps(catalog_table_spec(), indent=2) + "\n"


def main(path: Path = CATALOG_TABLE_SPEC) -> None:
    """Rewrite the committed spec."""
    path.write_text(render(), encoding="utf-8")
    sys.stdout.write(f"wrote {path}\n")


if __name__ == "__main__":
    main()
