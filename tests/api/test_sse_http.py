"""Queries over Server-Sent Events (POST /graphql/stream) keep the HTTP endpoint's rules:
trusted documents, automatic persisted queries and the request timeout (each one answered
as a `next` event with the typed error, then `complete`)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import httpx
import pytest
from httpx_sse import aconnect_sse

from gateway.bootstrap import Services
from gateway.persisted_queries import document_hash
from gateway.settings import Settings
from tests.api.conftest import API_KEY
from tests.api.test_limits import client_for, with_settings
from tests.api.test_request_timeout import StalledCatalog

pytestmark = pytest.mark.integration

OPERATIONS = Path(__file__).parents[2] / "client_examples" / "operations"
DOCUMENT = "query Count { products(first: 2) { totalCount } }"


async def _stream(http: httpx.AsyncClient, body: dict[str, Any]) -> list[tuple[str, Any]]:
    """The (event, data) pairs of the event stream answering ``body``."""
    async with aconnect_sse(http, "POST", "/graphql/stream", json=body, headers=API_KEY) as source:
        assert source.response.status_code == 200
        return [(m.event, m.json() if m.data else None) async for m in source.aiter_sse()]


def _apq(digest: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": digest}}


async def test_trusted_documents_only_holds_on_event_streams(
    api_services: tuple[Settings, Services],
) -> None:
    # given a gateway that runs only the storefront's trusted documents
    base, services = api_services
    settings = with_settings(base, VITRINE_TRUSTED_DOCUMENTS_ONLY=True)
    page = (OPERATIONS / "ProductPage.graphql").read_text()
    async with client_for(settings, services) as http:
        # when an ad-hoc document and a trusted one (by hash alone) are sent as streams
        refused = await _stream(http, {"query": DOCUMENT})
        trusted = await _stream(
            http, {"extensions": _apq(document_hash(page)), "variables": {"slug": "product-004"}}
        )
    # then the first is refused by name in its `next`, and the second runs
    [(event, body), complete] = refused
    assert (event, complete) == ("next", ("complete", None))
    assert body["data"] is None
    assert [e["extensions"] for e in body["errors"]] == [
        {"errorType": "DocumentNotTrusted", "code": "DOCUMENT_NOT_TRUSTED"}
    ]
    [(event, body), complete] = trusted
    assert (event, complete) == ("next", ("complete", None))
    assert "errors" not in body
    assert body["data"]["product"]["name"] == "Product 004"


async def test_automatic_persisted_queries_over_event_streams(http: httpx.AsyncClient) -> None:
    # given a document the gateway has never seen
    document = DOCUMENT + " # sse"
    digest = document_hash(document)
    # when the client sends its hash alone, then the document with it, then the hash again
    missing = await _stream(http, {"extensions": _apq(digest)})
    full = await _stream(http, {"query": document, "extensions": _apq(digest)})
    again = await _stream(http, {"extensions": _apq(digest)})
    # then the first is PersistedQueryNotFound and the others answer the data
    [(_, not_found), _] = missing
    assert [e["extensions"]["code"] for e in not_found["errors"]] == ["PERSISTED_QUERY_NOT_FOUND"]
    [(_, first), _] = full
    [(_, second), _] = again
    assert first["data"] == second["data"] == {"products": {"totalCount": 30}}


async def test_a_query_over_an_event_stream_is_cut_off_at_the_request_timeout(
    api_services: tuple[Settings, Services],
) -> None:
    # given a gateway with a short timeout whose catalog stalls on slug lookups
    base, services = api_services
    stalled = StalledCatalog(services.catalog)
    settings = with_settings(
        base, VITRINE_REQUEST_TIMEOUT_SECONDS=0.2, VITRINE_RESOLVER_CACHE=False
    )
    slow = dataclasses.replace(services, catalog=stalled)  # type: ignore[arg-type]
    async with client_for(settings, slow) as http:
        # when a query waits on such a lookup
        received = await _stream(http, {"query": '{ product(slug: "product-001") { id } }'})
    # then its `next` is the typed timeout error, and the lookup was cancelled
    assert received == [
        (
            "next",
            {
                "data": None,
                "errors": [
                    {
                        "message": "The operation ran longer than the limit of 0.2 seconds "
                        "and was cancelled.",
                        "extensions": {"errorType": "RequestTimeout", "code": "REQUEST_TIMEOUT"},
                    }
                ],
            },
        ),
        ("complete", None),
    ]
    assert (stalled.started, stalled.cancelled) == (1, 1)
