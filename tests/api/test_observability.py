"""Metrics (CloudWatch EMF lines), trace ids and readiness, through the app on moto."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from gateway.app import create_app
from gateway.bootstrap import Services, build_services
from gateway.settings import Settings
from tests.api.conftest import API_KEY

pytestmark = pytest.mark.integration

LISTING = "query Listing { products(first: 6) { nodes { name variants { sku availability } } } }"
TRACE = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"


def emf_lines(text: str) -> list[dict[str, Any]]:
    """The EMF documents among captured stdout lines."""
    documents = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    return [d for d in documents if "_aws" in d]


@pytest.fixture
async def metered(api_services: tuple[Settings, Services]) -> AsyncIterator[httpx.AsyncClient]:
    settings, services = api_services
    app = create_app(settings.model_copy(update={"metrics": True}), services)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
            yield client


async def test_a_listing_writes_its_metrics_with_data_source_calls(
    metered: httpx.AsyncClient, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    # when a storefront lists products with a trace header
    response = await metered.post(
        "/graphql",
        json={"query": LISTING},
        headers={**API_KEY, "x-amzn-trace-id": TRACE, "x-request-id": "req-emf-1"},
    )
    # then the answer is unchanged
    body = response.json()
    assert body.get("errors") is None
    assert len(body["data"]["products"]["nodes"]) == 6
    # and stdout holds one operation document and one per data-source operation
    [operation, *per_source] = emf_lines(capsys.readouterr().out)
    directive = operation["_aws"]["CloudWatchMetrics"][0]
    assert directive["Namespace"] == "Vitrine"
    assert directive["Dimensions"] == [["Service", "Operation"], ["Service"]]
    assert [m["Name"] for m in directive["Metrics"]] == [
        "Requests",
        "Latency",
        "Errors",
        "DataSourceCalls",
    ]
    assert operation["Service"] == "gateway"
    assert operation["Operation"] == "query.products"
    assert operation["operationName"] == "Listing"
    assert operation["Requests"] == 1
    assert operation["Errors"] == 0
    assert operation["Latency"] > 0
    assert operation["traceId"] == "1-5759e988-bd862e3fe1be46a994272793"
    assert operation["requestId"] == "req-emf-1"
    calls = {d["DataSource"]: d["DataSourceCalls"] for d in per_source}
    assert calls == {"dynamodb.BatchGetItem": 1, "dynamodb.Query": 1}
    assert operation["DataSourceCalls"] == 2
    assert all(d["Operation"] == "query.products" for d in per_source)
    assert all(
        d["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["Service", "Operation", "DataSource"]]
        for d in per_source
    )


async def test_errors_are_counted_by_error_type(
    metered: httpx.AsyncClient, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    # when a document asks for a field the schema does not have
    response = await metered.post("/graphql", json={"query": "query Bad { nope }"}, headers=API_KEY)
    # then the client gets the validation error
    errors = response.json()["errors"]
    assert [e["extensions"]["errorType"] for e in errors] == ["ValidationError"]
    # and the metrics count it under its errorType, with the operation marked invalid
    [operation, by_type] = emf_lines(capsys.readouterr().out)
    assert operation["Operation"] == "invalid"
    assert operation["Errors"] == 1
    assert operation["DataSourceCalls"] == 0
    assert by_type["ErrorType"] == "ValidationError"
    assert by_type["Errors"] == 1
    assert by_type["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["Service", "ErrorType"]]


async def test_metrics_are_off_by_default(
    http: httpx.AsyncClient, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    response = await http.post("/graphql", json={"query": LISTING}, headers=API_KEY)
    assert response.json().get("errors") is None
    assert emf_lines(capsys.readouterr().out) == []


async def test_readyz_reports_every_configured_dependency(http: httpx.AsyncClient) -> None:
    # when the orchestrator asks whether the gateway is ready
    response = await http.get("/readyz")
    # then every dependency of the local stack answered
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert response.json() == {
        "status": "ready",
        "failed": [],
        "dependencies": {
            "cache": "ok",
            "dynamodb": "ok",
            "rate_limiter": "ok",
            "s3": "ok",
            "sqs": "ok",
        },
    }


async def test_readyz_names_the_dependency_that_is_down(
    api_services: tuple[Settings, Services],
) -> None:
    # given a gateway whose table and queue do not exist (the bucket does)
    settings, _ = api_services
    broken = settings.model_copy(
        update={"catalog_table": "missing-table-readyz", "render_queue": "missing-queue-readyz"}
    )
    services = build_services(broken)
    app = create_app(broken, services, check_on_start=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
        # when
        response = await client.get("/readyz")
    await services.close()
    # then it is not ready, and says which dependencies failed and nothing more
    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "failed": ["dynamodb", "sqs"],
        "dependencies": {
            "cache": "ok",
            "dynamodb": "unavailable",
            "rate_limiter": "ok",
            "s3": "ok",
            "sqs": "unavailable",
        },
    }
