"""Execute operations against the real schema with a chosen identity and data sources."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import aclosing
from typing import Any

from datasources.cache.in_process import InProcessCache
from datasources.instrumentation import CallLog, call_log
from datasources.ports import AssetUrls, BlobStore, Catalog, KeyValueCache, ProductSearch
from gateway.app import schema_extensions
from gateway.settings import Settings
from resolvers.context import (
    AnalyticsSources,
    AuthMode,
    Context,
    DataSources,
    Identity,
    ShoppingSources,
)
from schema import build_schema

API_KEY_CALLER = Identity(mode=AuthMode.API_KEY, subject="api-key:test")
ADMIN = Identity(
    mode=AuthMode.AMAZON_COGNITO_USER_POOLS,
    subject="admin-sub",
    username="admin",
    groups=frozenset({"admin"}),
)
SHOPPER = Identity(
    mode=AuthMode.AMAZON_COGNITO_USER_POOLS, subject="shopper-sub", username="shopper"
)
ANONYMOUS = Identity.anonymous()

_SCHEMA = build_schema(extensions=schema_extensions(Settings(VITRINE_PROFILE="test")))


class SchemaClient:
    """Runs operations through the full schema (extensions included), counting calls."""

    def __init__(
        self,
        catalog: Catalog,
        blobs: BlobStore,
        asset_urls: AssetUrls,
        cache: KeyValueCache | None = None,
        *,
        batching: bool = True,
        shopping: ShoppingSources | None = None,
        search: ProductSearch | None = None,
        analytics: AnalyticsSources | None = None,
    ) -> None:
        self.sources = DataSources(
            catalog=catalog,
            blobs=blobs,
            asset_urls=asset_urls,
            cache=cache or InProcessCache(),
            shopping=shopping,
            search=search,
            analytics=analytics,
        )
        self.batching = batching
        self.last_calls = CallLog()

    async def execute(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        identity: Identity = API_KEY_CALLER,
        *,
        cart_token: str | None = None,
        client_ip: str | None = None,
    ) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
        """(data, errors as dicts) of one operation; ``cart_token`` is what the HTTP layer
        reads from the x-cart-token header."""
        context = Context(
            request_id="test-request",
            identity=identity,
            sources=self.sources,
            loaders=self.sources.new_loaders(batching=self.batching),
            cart_token=cart_token,
            client_ip=client_ip,
        )
        with call_log() as log:
            result = await _SCHEMA.execute(query, variable_values=variables, context_value=context)
        self.last_calls = log
        errors: list[dict[str, Any]] = [dict(e.formatted) for e in result.errors or []]
        return result.data, errors

    async def subscribe(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        identity: Identity = API_KEY_CALLER,
        *,
        cart_token: str | None = None,
    ) -> AsyncGenerator[tuple[dict[str, Any] | None, list[dict[str, Any]]], None]:
        """Each (data, errors) of a subscription, as the WebSocket transports send them."""
        context = Context(
            request_id="test-subscription",
            identity=identity,
            sources=self.sources,
            loaders=self.sources.new_loaders(batching=self.batching),
            cart_token=cart_token,
        )
        stream = await _SCHEMA.subscribe(query, variable_values=variables, context_value=context)
        if not hasattr(stream, "__aiter__"):
            yield stream.data, [dict(e.formatted) for e in stream.errors or []]
            return
        async with aclosing(stream):
            async for result in stream:
                yield result.data, [dict(e.formatted) for e in result.errors or []]
