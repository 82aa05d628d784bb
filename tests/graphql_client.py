"""Execute operations against the real schema with a chosen identity and data sources."""

from __future__ import annotations

from typing import Any

from datasources.cache.in_process import InProcessCache
from datasources.instrumentation import CallLog, call_log
from datasources.loaders import Loaders
from datasources.ports import AssetUrls, BlobStore, Catalog, KeyValueCache
from gateway.app import schema_extensions
from gateway.settings import Settings
from resolvers.context import AuthMode, Context, DataSources, Identity, ShoppingSources
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
    ) -> None:
        self.sources = DataSources(
            catalog=catalog,
            blobs=blobs,
            asset_urls=asset_urls,
            cache=cache or InProcessCache(),
            shopping=shopping,
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
    ) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
        """(data, errors as dicts) of one operation; ``cart_token`` is what the HTTP layer
        reads from the x-cart-token header."""
        context = Context(
            request_id="test-request",
            identity=identity,
            sources=self.sources,
            loaders=Loaders.for_request(self.sources.catalog, batching=self.batching),
            cart_token=cart_token,
        )
        with call_log() as log:
            result = await _SCHEMA.execute(query, variable_values=variables, context_value=context)
        self.last_calls = log
        errors = [e.formatted for e in result.errors or []]
        return result.data, errors
