"""Automatic persisted queries and trusted documents over HTTP, POST and GET."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.bootstrap import Services
from gateway.persisted_queries import document_hash
from gateway.settings import Settings
from tests.api.conftest import API_KEY
from tests.api.test_limits import client_for, with_settings

pytestmark = pytest.mark.integration

OPERATIONS = Path(__file__).parents[2] / "client_examples" / "operations"
DOCUMENT = "query Count { products(first: 2) { totalCount } }"


def apq(digest: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": digest}}


async def test_apq_round_trip_over_post(http: httpx.AsyncClient) -> None:
    # given a document the gateway has never seen
    digest = document_hash(DOCUMENT + " # post")
    document = DOCUMENT + " # post"
    # when the client sends only its hash
    missing = (
        await http.post("/graphql", json={"extensions": apq(digest)}, headers=API_KEY)
    ).json()
    # then it is told PersistedQueryNotFound, as Apollo clients expect
    assert missing["data"] is None
    assert missing["errors"] == [
        {
            "message": "PersistedQueryNotFound",
            "extensions": {
                "errorType": "PersistedQueryNotFound",
                "code": "PERSISTED_QUERY_NOT_FOUND",
            },
        }
    ]
    # when it sends the document with the hash, and then the hash alone
    full = await http.post(
        "/graphql", json={"query": document, "extensions": apq(digest)}, headers=API_KEY
    )
    again = await http.post("/graphql", json={"extensions": apq(digest)}, headers=API_KEY)
    # then both answer the same data
    assert "errors" not in full.json()
    assert "errors" not in again.json()
    assert again.json()["data"] == full.json()["data"] == {"products": {"totalCount": 30}}


async def test_apq_round_trip_over_get(http: httpx.AsyncClient) -> None:
    document = DOCUMENT + " # get"
    digest = document_hash(document)
    params = {"extensions": json.dumps(apq(digest))}
    missing = (await http.get("/graphql", params=params, headers=API_KEY)).json()
    assert missing["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    registered = await http.get("/graphql", params={**params, "query": document}, headers=API_KEY)
    assert "errors" not in registered.json()
    again = (await http.get("/graphql", params=params, headers=API_KEY)).json()
    assert "errors" not in again
    assert again["data"] == {"products": {"totalCount": 30}}


async def test_hash_mismatch_is_a_typed_error(http: httpx.AsyncClient) -> None:
    body = (
        await http.post(
            "/graphql",
            json={"query": DOCUMENT, "extensions": apq(document_hash("{ __typename }"))},
            headers=API_KEY,
        )
    ).json()
    assert body["data"] is None
    assert len(body["errors"]) == 1
    assert body["errors"][0]["extensions"] == {
        "errorType": "PersistedQueryHashMismatch",
        "code": "PERSISTED_QUERY_HASH_MISMATCH",
    }


async def test_invalid_document_is_never_registered(http: httpx.AsyncClient) -> None:
    # given a document that does not validate, sent with its hash
    document = "{ noSuchField }"
    digest = document_hash(document)
    sent = (
        await http.post(
            "/graphql", json={"query": document, "extensions": apq(digest)}, headers=API_KEY
        )
    ).json()
    assert sent["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    # when the hash alone is sent, then it was not kept
    body = (await http.post("/graphql", json={"extensions": apq(digest)}, headers=API_KEY)).json()
    assert body["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


async def test_trusted_documents_only_refuses_other_documents(
    api_services: tuple[Settings, Services],
) -> None:
    # given a gateway that runs only the storefront's trusted documents
    base, services = api_services
    settings = with_settings(base, VITRINE_TRUSTED_DOCUMENTS_ONLY=True)
    page = (OPERATIONS / "ProductPage.graphql").read_text()
    async with client_for(settings, services) as http:
        # when an ad-hoc document is sent
        refused = (await http.post("/graphql", json={"query": DOCUMENT}, headers=API_KEY)).json()
        # and a trusted one is sent by hash alone, over GET
        trusted = await http.get(
            "/graphql",
            params={
                "extensions": json.dumps(apq(document_hash(page))),
                "variables": json.dumps({"slug": "product-004"}),
            },
            headers=API_KEY,
        )
    # then the first is refused by name and the second runs
    assert refused["data"] is None
    assert len(refused["errors"]) == 1
    assert refused["errors"][0]["extensions"] == {
        "errorType": "DocumentNotTrusted",
        "code": "DOCUMENT_NOT_TRUSTED",
    }
    assert "not one of them" in refused["errors"][0]["message"]
    assert "errors" not in trusted.json()
    assert trusted.json()["data"]["product"]["name"] == "Product 004"
