"""CloudWatch embedded metric format documents, checked against the EMF specification."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from gateway.emf import EmfWriter, Metric, OperationRecord, emf_document


def test_documents_follow_the_emf_specification() -> None:
    # given a writer that keeps its lines, at a fixed time
    lines: list[str] = []
    writer = EmfWriter("Vitrine", "gateway", write=lines.append, clock=lambda: 1_700_000_000.25)
    # when an operation with two error types and one data-source operation is written
    writer.operation(
        OperationRecord(
            operation="mutation.cartAddLine",
            latency_ms=12.34567,
            error_types=Counter({"Unauthorized": 2, "BadUserInput": 1}),
            data_source_calls={"postgres.CartLoad": 3},
            operation_name="AddToCart",
            request_id="req-1",
            trace_id=None,
        )
    )
    # then every line is one JSON document whose metrics and dimensions are at the root
    documents = [json.loads(line) for line in lines]
    assert len(documents) == 4
    for document in documents:
        meta = document["_aws"]
        assert meta["Timestamp"] == 1_700_000_000_250
        [directive] = meta["CloudWatchMetrics"]
        assert directive["Namespace"] == "Vitrine"
        for dimension_set in directive["Dimensions"]:
            assert all(isinstance(document[name], str) for name in dimension_set)
        for metric in directive["Metrics"]:
            assert isinstance(document[metric["Name"]], int | float)
            assert metric["Unit"] in {"Count", "Milliseconds"}
        assert "traceId" not in document  # absent, not null
        assert document["requestId"] == "req-1"
    operation, bad_input, unauthorized, postgres = documents
    assert operation["Latency"] == 12.346
    assert operation["Errors"] == 3
    assert operation["DataSourceCalls"] == 3
    assert (bad_input["ErrorType"], bad_input["Errors"]) == ("BadUserInput", 1)
    assert (unauthorized["ErrorType"], unauthorized["Errors"]) == ("Unauthorized", 2)
    assert (postgres["DataSource"], postgres["DataSourceCalls"]) == ("postgres.CartLoad", 3)
    assert postgres["Operation"] == "mutation.cartAddLine"


def test_a_dimension_set_must_name_defined_dimensions() -> None:
    with pytest.raises(ValueError, match=r"undefined dimensions \['Operation'\]"):
        emf_document(
            "Vitrine",
            {"Service": "gateway"},
            [["Service", "Operation"]],
            [Metric("Requests", 1, "Count")],
            {},
            0,
        )


def test_long_client_values_are_cut() -> None:
    lines: list[str] = []
    writer = EmfWriter("Vitrine", "gateway", write=lines.append)
    writer.operation(OperationRecord("query.products", 1.0, operation_name="A" * 1000))
    assert json.loads(lines[0])["operationName"] == "A" * 128
