"""X-Ray trace ids from headers and the Lambda runtime, for logs and metrics."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from gateway.lambda_appsync import invocation_log_context
from gateway.tracing import LAMBDA_TRACE_ENV, current_trace_id, trace_id_from

ROOT = "1-5759e988-bd862e3fe1be46a994272793"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (f"Root={ROOT};Parent=53995c3f42cd8ad8;Sampled=1", ROOT),
        (f"Sampled=1;Root={ROOT}", ROOT),
        (f"Self=1-67891234-12456789abcdef012345678;Root={ROOT}", ROOT),
        ("Self=1-67891234-12456789abcdef0123456789", "1-67891234-12456789abcdef0123456789"),
        ("Root=not-a-trace;Sampled=1", None),
        ("Root=1-5759e988-bd862e3fe1be46a994272793<script>", None),
        ("", None),
        (None, None),
        (f"Root={ROOT};" + "x" * 300, None),
    ],
)
def test_trace_id_from_header(header: str | None, expected: str | None) -> None:
    assert trace_id_from(header) == expected


def test_header_wins_over_the_lambda_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    other = "1-00000000-000000000000000000000001"
    monkeypatch.setenv(LAMBDA_TRACE_ENV, f"Root={other};Parent=1;Sampled=0")
    assert current_trace_id(f"Root={ROOT}") == ROOT
    assert current_trace_id(None) == other
    assert current_trace_id("garbage") == other


def test_no_trace_anywhere(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(LAMBDA_TRACE_ENV, raising=False)
    assert current_trace_id(None) is None


def test_appsync_invocation_binds_request_and_trace_ids(monkeypatch: pytest.MonkeyPatch) -> None:
    # given a Lambda invocation with a trace (the runtime sets the variable per invocation)
    monkeypatch.setenv(LAMBDA_TRACE_ENV, f"Root={ROOT};Parent=53995c3f42cd8ad8;Sampled=1")
    context = SimpleNamespace(aws_request_id="c6af9ac6-7b61-11e6-9a41-93e812345678")
    # then both ids go into the log context
    assert invocation_log_context(context) == {
        "lambda_request_id": "c6af9ac6-7b61-11e6-9a41-93e812345678",
        "trace_id": ROOT,
    }
    # and without them nothing is bound
    monkeypatch.delenv(LAMBDA_TRACE_ENV)
    assert invocation_log_context(SimpleNamespace()) == {}
