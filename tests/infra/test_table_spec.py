"""The committed catalog table spec is what the PynamoDB models declare, and the Data stack
builds the table from it."""

from __future__ import annotations

from typing import Any

from infra_cdk.table_spec import CATALOG_TABLE_SPEC, load_catalog_table_spec
from tests.infra.catalog_table_spec import catalog_table_spec, render


def test_committed_spec_equals_the_models() -> None:
    # given the JSON the CDK app reads and the spec the models produce now
    committed = CATALOG_TABLE_SPEC.read_text(encoding="utf-8")
    # then they are identical (regenerate with `python -m tests.infra.catalog_table_spec`)
    assert committed == render()


def test_spec_has_the_single_table_keys_and_the_by_kind_index() -> None:
    spec = load_catalog_table_spec()
    assert (spec.partition_key.name, spec.partition_key.type) == ("pk", "S")
    assert spec.sort_key is not None
    assert (spec.sort_key.name, spec.sort_key.type) == ("sk", "S")
    assert spec.billing_mode == "PAY_PER_REQUEST"
    [by_kind] = spec.global_indexes
    assert by_kind.name == "by_kind"
    assert by_kind.partition_key.name == "gsi1pk"
    assert by_kind.sort_key is not None
    assert by_kind.sort_key.name == "gsi1sk"
    assert by_kind.projection == "ALL"
    assert spec.local_indexes == ()


def test_synthesized_table_matches_the_spec(synth: Any) -> None:
    # given the spec generated from the models
    spec: dict[str, Any] = catalog_table_spec()
    # when the Data stack is synthesized
    table = synth.only("Data", "AWS::DynamoDB::Table")
    # then its keys, attribute types and GSIs are the models'
    assert table["KeySchema"] == [
        {"AttributeName": spec["partitionKey"]["name"], "KeyType": "HASH"},
        {"AttributeName": spec["sortKey"]["name"], "KeyType": "RANGE"},
    ]
    assert sorted(table["AttributeDefinitions"], key=lambda a: a["AttributeName"]) == [
        {"AttributeName": name, "AttributeType": "S"}
        for name in sorted(["pk", "sk", "gsi1pk", "gsi1sk"])
    ]
    assert table["GlobalSecondaryIndexes"] == [
        {
            "IndexName": index["name"],
            "KeySchema": [
                {"AttributeName": index["partitionKey"]["name"], "KeyType": "HASH"},
                {"AttributeName": index["sortKey"]["name"], "KeyType": "RANGE"},
            ],
            "Projection": {"ProjectionType": index["projection"]},
        }
        for index in spec["globalSecondaryIndexes"]
    ]
    assert table["BillingMode"] == spec["billingMode"]
