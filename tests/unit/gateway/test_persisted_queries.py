"""APQ and trusted documents: the hash protocol and its typed refusals, on the in-process cache."""

from __future__ import annotations

import pytest
from strawberry.http import GraphQLRequestData

from datasources.cache.in_process import InProcessCache
from gateway.persisted_queries import (
    DocumentNotTrusted,
    PersistedQueries,
    PersistedQueryHashMismatch,
    PersistedQueryInvalid,
    PersistedQueryNotFound,
    document_hash,
)

DOCUMENT = "{ products { totalCount } }"
TRUSTED = "query Trusted { categories { name } }"


def request(query: str | None, digest: str | None, version: object = 1) -> GraphQLRequestData:
    extensions = (
        None if digest is None else {"persistedQuery": {"version": version, "sha256Hash": digest}}
    )
    return GraphQLRequestData(
        query=query, variables=None, operation_name=None, extensions=extensions
    )


def persisted(*, trusted_only: bool = False) -> PersistedQueries:
    return PersistedQueries(
        cache=InProcessCache(),
        ttl_seconds=60,
        trusted={document_hash(TRUSTED): TRUSTED},
        trusted_only=trusted_only,
    )


async def test_unknown_hash_is_not_found_then_registered_then_served() -> None:
    # given a gateway that has never seen the document
    queries = persisted()
    digest = document_hash(DOCUMENT)
    # when the client sends only the hash, then it is told to send the document
    with pytest.raises(PersistedQueryNotFound) as missing:
        await queries.resolve(request(None, digest))
    error = missing.value.graphql_error()
    assert error.message == "PersistedQueryNotFound"
    assert error.extensions == {
        "errorType": "PersistedQueryNotFound",
        "code": "PERSISTED_QUERY_NOT_FOUND",
    }
    # when it sends hash and document and the operation runs
    full = await queries.resolve(request(DOCUMENT, digest))
    await queries.remember(full)
    # then the hash alone is enough from now on
    assert (await queries.resolve(request(None, digest))).query == DOCUMENT


async def test_document_that_does_not_match_its_hash_is_refused() -> None:
    queries = persisted()
    with pytest.raises(PersistedQueryHashMismatch, match="not the sha256Hash sent"):
        await queries.resolve(request(DOCUMENT, document_hash("{ other }")))


@pytest.mark.parametrize(
    ("version", "digest", "message"),
    [
        (2, "a" * 64, "Unsupported persisted query version 2"),
        (1, "not-a-hash", "64 lowercase hex digits"),
    ],
)
async def test_malformed_persisted_query_extension_is_refused(
    version: object, digest: str, message: str
) -> None:
    with pytest.raises(PersistedQueryInvalid, match=message) as refused:
        await persisted().resolve(request(None, digest, version))
    assert refused.value.graphql_error().extensions == {
        "errorType": "PersistedQueryInvalid",
        "code": "PERSISTED_QUERY_INVALID",
    }


async def test_trusted_document_is_served_by_hash_without_registration() -> None:
    resolved = await persisted().resolve(request(None, document_hash(TRUSTED)))
    assert resolved.query == TRUSTED


async def test_trusted_only_refuses_any_other_document_sent_or_hashed() -> None:
    # given the production allowlist mode
    queries = persisted(trusted_only=True)
    # when a document not on the list is sent, by text or by hash, then both are refused
    with pytest.raises(DocumentNotTrusted, match="not one of them"):
        await queries.resolve(request(DOCUMENT, None))
    with pytest.raises(DocumentNotTrusted, match="No trusted document has the sha256"):
        await queries.resolve(request(None, document_hash(DOCUMENT)))
    # and nothing is remembered for later
    await queries.remember(request(DOCUMENT, document_hash(DOCUMENT)))
    with pytest.raises(DocumentNotTrusted):
        await queries.resolve(request(None, document_hash(DOCUMENT)))
    # while the trusted document runs, by text or by hash
    assert (await queries.resolve(request(TRUSTED, None))).query == TRUSTED
    assert (await queries.resolve(request(None, document_hash(TRUSTED)))).query == TRUSTED
