"""Automatic persisted queries (Apollo's APQ protocol) and the trusted-documents allowlist.

A client may send ``extensions.persistedQuery = {"version": 1, "sha256Hash": h}`` without the
document; an unknown hash answers ``PersistedQueryNotFound`` and the client retries with the
document, which is then kept in the KeyValueCache for a while. The trusted-documents manifest
(built from client_examples/operations) maps hashes to the storefront's own documents; with
``VITRINE_TRUSTED_DOCUMENTS_ONLY`` every other document is refused.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from graphql import GraphQLError
from strawberry.http import GraphQLRequestData

from datasources.errors import DataSourceError
from datasources.ports import KeyValueCache

PROJECT_ROOT = Path(__file__).resolve().parents[1]
OPERATIONS_DIR = PROJECT_ROOT / "client_examples" / "operations"
DEFAULT_MANIFEST = PROJECT_ROOT / "client_examples" / "trusted-documents.json"
APQ_VERSION = 1
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_KEY_PREFIX = "apq:"


def document_hash(document: str) -> str:
    """The SHA-256 of a document's exact text, as lowercase hex (what APQ clients send)."""
    return hashlib.sha256(document.encode()).hexdigest()


def build_manifest(operations_dir: Path = OPERATIONS_DIR) -> dict[str, str]:
    """``{sha256: document}`` for every ``*.graphql`` file under ``operations_dir``."""
    documents = (path.read_text() for path in sorted(operations_dir.glob("*.graphql")))
    return {document_hash(text): text for text in documents}


def render_manifest(manifest: Mapping[str, str]) -> str:
    """The manifest file's text: sorted keys, one trailing newline (stable diffs)."""
    return json.dumps(dict(manifest), indent=2, sort_keys=True) + "\n"


def load_manifest(path: Path) -> dict[str, str]:
    """Read a manifest written by :func:`render_manifest`; ValueError when it is not one."""
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise ValueError(f"cannot read the trusted-documents manifest {path}: {error}") from error
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and document_hash(v) == k for k, v in data.items()
    ):
        raise ValueError(f"{path} is not a manifest of sha256 -> document")
    return data


class PersistedQueryError(Exception):
    """A persisted-query or trusted-document refusal, answered as one GraphQL error."""

    error_type = "PersistedQueryError"
    code = "PERSISTED_QUERY_ERROR"

    def graphql_error(self) -> GraphQLError:
        """The error as the client sees it."""
        return GraphQLError(str(self), extensions={"errorType": self.error_type, "code": self.code})


class PersistedQueryNotFound(PersistedQueryError):
    """The hash is not known: the client should send the document with it (Apollo's flow)."""

    error_type = "PersistedQueryNotFound"
    code = "PERSISTED_QUERY_NOT_FOUND"

    def __init__(self) -> None:
        super().__init__("PersistedQueryNotFound")


class PersistedQueryHashMismatch(PersistedQueryError):
    """The document sent does not hash to the hash sent with it."""

    error_type = "PersistedQueryHashMismatch"
    code = "PERSISTED_QUERY_HASH_MISMATCH"


class PersistedQueryInvalid(PersistedQueryError):
    """``extensions.persistedQuery`` is malformed or of a version this gateway does not speak."""

    error_type = "PersistedQueryInvalid"
    code = "PERSISTED_QUERY_INVALID"


class DocumentNotTrusted(PersistedQueryError):
    """Only documents on the trusted-documents list may run here."""

    error_type = "DocumentNotTrusted"
    code = "DOCUMENT_NOT_TRUSTED"


@dataclasses.dataclass(frozen=True)
class PersistedQueries:
    """Turns a request that names its document by hash into one that carries it."""

    cache: KeyValueCache
    ttl_seconds: float
    trusted: Mapping[str, str]
    trusted_only: bool = False

    async def resolve(self, request: GraphQLRequestData) -> GraphQLRequestData:
        """``request`` with its document filled in and checked; PersistedQueryError if not."""
        requested = self._requested_hash(request.extensions)
        if requested is None:
            if request.query is not None and self.trusted_only:
                self._check_trusted(document_hash(request.query))
            return request
        if request.query is not None:
            actual = document_hash(request.query)
            if actual != requested:
                raise PersistedQueryHashMismatch(
                    f"The document's sha256 is {actual}, not the sha256Hash sent ({requested})."
                )
            if self.trusted_only:
                self._check_trusted(actual)
            return request
        document = self.trusted.get(requested)
        if document is None and not self.trusted_only:
            document = await self._load(requested)
        if document is None:
            if self.trusted_only:
                raise DocumentNotTrusted(
                    f"No trusted document has the sha256 {requested}; this endpoint runs "
                    "only the documents of the trusted-documents manifest."
                )
            raise PersistedQueryNotFound()
        return dataclasses.replace(request, query=document)

    async def remember(self, request: GraphQLRequestData) -> None:
        """Keep a document sent with its hash, once it has run (so junk is never stored)."""
        if self.trusted_only or request.query is None:
            return
        digest = document_hash(request.query)
        if digest in self.trusted or self._requested_hash(request.extensions) != digest:
            return
        try:
            await self.cache.set(_KEY_PREFIX + digest, request.query.encode(), self.ttl_seconds)
        except DataSourceError:
            return

    def _check_trusted(self, digest: str) -> None:
        if digest not in self.trusted:
            raise DocumentNotTrusted(
                "This endpoint runs only the documents of the trusted-documents manifest; "
                f"the document sent (sha256 {digest}) is not one of them."
            )

    @staticmethod
    def _requested_hash(extensions: Mapping[str, Any] | None) -> str | None:
        if not extensions or "persistedQuery" not in extensions:
            return None
        persisted = extensions["persistedQuery"]
        if not isinstance(persisted, Mapping):
            raise PersistedQueryInvalid("extensions.persistedQuery must be an object.")
        if persisted.get("version") != APQ_VERSION:
            raise PersistedQueryInvalid(
                f"Unsupported persisted query version {persisted.get('version')!r}; "
                f"only version {APQ_VERSION} is supported."
            )
        digest = persisted.get("sha256Hash")
        if not isinstance(digest, str) or not _SHA256.match(digest):
            raise PersistedQueryInvalid(
                "extensions.persistedQuery.sha256Hash must be 64 lowercase hex digits."
            )
        return digest

    async def _load(self, digest: str) -> str | None:
        try:
            stored = await self.cache.get(_KEY_PREFIX + digest)
        except DataSourceError:
            return None  # the client sends the document again; nothing is lost
        return None if stored is None else stored.decode()
