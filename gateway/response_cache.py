"""The full-response cache: whole public catalog answers, tagged with the records they show.

Only answers that ``gateway.http_caching`` makes public are kept (GET, anonymous or API-key
caller, catalog root fields only, no errors), so nothing personal is ever stored; the key
also names the auth mode, so an API-key answer is never served to an anonymous caller. A
hit skips execution entirely (no data-source call, no cost charged). Entries live for the
public ``max-age`` and are purged by entity tag (gateway/cache_invalidation.py).
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import orjson
import structlog
from graphql import GraphQLError, parse, print_ast

from datasources.errors import DataSourceUnavailable
from datasources.ports import TaggedCache
from resolvers.context import AuthMode
from resolvers.entity_tags import EVERYTHING

log = structlog.get_logger("vitrine.response_cache")


@lru_cache(maxsize=512)
def normalized_document(document: str) -> str:
    """The document as graphql-core prints it (spacing, commas and comments gone)."""
    try:
        return print_ast(parse(document, no_location=True))
    except GraphQLError:
        return document


def response_key(
    document: str,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
    mode: AuthMode,
) -> str:
    """The cache key of one request: sha256 of document, operation, variables and auth mode."""
    material = orjson.dumps(
        [normalized_document(document), operation_name, variables or {}, mode.value],
        option=orjson.OPT_SORT_KEYS,
        default=repr,
    )
    return "response:" + hashlib.sha256(material).hexdigest()


@dataclass
class CacheCounts:
    """What the cache did since start-up."""

    hits: int = 0
    misses: int = 0
    stores: int = 0
    unavailable: int = 0


@dataclass
class ResponseCache:
    """Whole answers in a TaggedCache for ``ttl_seconds``; Redis trouble is a miss, logged."""

    store: TaggedCache
    ttl_seconds: float
    counts: CacheCounts = field(default_factory=CacheCounts)

    async def lookup(self, key: str) -> bytes | None:
        """The stored ``data`` JSON of ``key``, or None."""
        try:
            raw = await self.store.get(key)
        except DataSourceUnavailable as error:
            self.counts.unavailable += 1
            log.warning("response_cache_unavailable", error=str(error))
            return None
        if raw is None:
            self.counts.misses += 1
        else:
            self.counts.hits += 1
        return raw

    async def generation(self) -> int | None:
        """The store's purge generation before execution; None when it cannot be read."""
        try:
            return await self.store.generation()
        except DataSourceUnavailable as error:
            self.counts.unavailable += 1
            log.warning("response_cache_unavailable", error=str(error))
            return None

    async def remember(
        self, key: str, data_json: bytes, tags: Collection[str], generation: int
    ) -> None:
        """Keep an answer, unless a purge happened while it was computed."""
        try:
            stored = await self.store.put(
                key, data_json, self.ttl_seconds, {*tags, EVERYTHING}, generation=generation
            )
        except DataSourceUnavailable as error:
            self.counts.unavailable += 1
            log.warning("response_cache_unavailable", error=str(error))
            return
        if stored:
            self.counts.stores += 1
