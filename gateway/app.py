"""The FastAPI application: GraphQL endpoint, local GraphiQL, health, request ids."""

from __future__ import annotations

import asyncio
import gc
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import orjson
import structlog
from cross_web import AsyncHTTPRequestAdapter, HTTPException
from fastapi import FastAPI, Request, Response, WebSocket
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.routing import APIWebSocketRoute
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import (
    AddValidationRules,
    MaxTokensLimiter,
    ParserCache,
)
from strawberry.fastapi import GraphQLRouter
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL
from strawberry.types import ExecutionResult
from strawberry.types.unset import UNSET

from datasources.ports import KeyValueCache, RateLimiter
from gateway import graphiql_page, storefront_page
from gateway.auth import (
    API_KEY_HEADER,
    AUTHORIZATION_HEADER,
    CART_TOKEN_HEADER,
    cart_token,
    identify,
)
from gateway.background import local_ingest_worker
from gateway.bootstrap import Services, check_services
from gateway.cache_invalidation import cache_invalidation
from gateway.cognito import SigningKeysUnavailable
from gateway.consumers import api_process_consumers
from gateway.context import (
    CredentialsUnverifiable,
    RejectedCredentials,
    RequestContext,
    context_getter_for,
)
from gateway.cost import CostRules, QueryCost
from gateway.emf import EmfMetrics, EmfWriter
from gateway.errors import AppSyncErrors, describe
from gateway.http_caching import (
    VARY,
    CacheRules,
    Scope,
    entity_tag,
    etag_matches,
    response_scope,
)
from gateway.http_hardening import BodySizeLimit, SecurityHeaders, graphiql_csp
from gateway.limits import DocumentLimits, LimitsFirstValidationCache, document_limits_rule
from gateway.metrics import DataSourceCalls
from gateway.operation_kind import is_query, request_timeout
from gateway.origin_verify import OriginVerify
from gateway.payment_webhooks import CallbackReader, mount_payment_webhooks, vitrine_signed_reader
from gateway.persisted_queries import (
    DEFAULT_MANIFEST,
    PersistedQueries,
    PersistedQueryError,
    load_manifest,
)
from gateway.readiness import check_readiness, dependencies
from gateway.response_cache import ResponseCache, response_key
from gateway.settings import LOCAL_API_KEY, PaymentProviderName, Profile, Settings
from gateway.sse import ServerSentEvents, mount_event_streams, wants_event_stream
from gateway.tracing import TRACE_HEADER, current_trace_id
from gateway.websockets import (
    TOO_MANY_CONNECTIONS_CLOSE_CODE,
    ClosingSafeWebSocketAdapter,
    ConnectionLimiter,
    Identify,
    LegacyGraphQLWSHandler,
    credential_headers,
    identity_key,
    rejection,
)
from resolvers.errors import Unauthorized
from schema import build_schema

log = structlog.get_logger("vitrine.app")
REQUEST_ID_HEADER = "x-request-id"
RESPONSE_CACHE_HEADER = "x-vitrine-cache"
"""On public answers: ``hit`` when served from the full-response cache, else ``miss``."""


def document_limits(settings: Settings) -> DocumentLimits:
    """The validation-time limits of these settings."""
    return DocumentLimits(
        max_depth=settings.max_depth,
        max_aliases=settings.max_aliases,
        max_fields=settings.max_fields,
        max_directives=settings.max_directives,
        max_tokens=settings.max_tokens,
    )


def cost_rules(settings: Settings) -> CostRules:
    """The query cost rules of these settings."""
    return CostRules(list_size=settings.cost_list_size)


def schema_extensions(settings: Settings, rate_limiter: RateLimiter | None = None) -> list[Any]:
    """The schema extensions for these settings: error shaping, bounded parser/validation
    caches, document limits, query cost and the rate limit charged with it."""
    size = settings.query_cache_size
    suggestions = settings.suggestions_enabled()
    limits = document_limits(settings)
    rules: list[Any] = [document_limits_rule(limits)]
    if not settings.introspection:
        rules.append(NoSchemaIntrospectionCustomRule)
    rules_cost = cost_rules(settings)
    extensions: list[Any] = []
    if settings.metrics:
        # First, so that it exits last and sees the errors in AppSync's shape.
        writer = EmfWriter(settings.metrics_namespace, settings.metrics_service)
        extensions.append(lambda: EmfMetrics(writer))
    extensions += [
        lambda: AppSyncErrors(suggestions=suggestions),
        lambda: MaxTokensLimiter(settings.max_tokens),
        lambda: ParserCache(maxsize=size),
        lambda: AddValidationRules(rules),
        lambda: LimitsFirstValidationCache(limits, maxsize=size),
        lambda: QueryCost(rules_cost, settings.max_query_cost, rate_limiter),
    ]
    if settings.profile is not Profile.PRODUCTION:
        extensions.append(DataSourceCalls)
    return extensions


class VitrineGraphQLRouter(GraphQLRouter[RequestContext, None]):
    """Strawberry's router with GraphiQL served from local assets, persisted queries, a
    per-operation timeout, HTTP caching headers (ETag, 304) on GET, subscription
    WebSockets (graphql-transport-ws and graphql-ws) authenticated at ``connection_init``
    with a per-identity connection limit, and a POST that accepts only
    ``text/event-stream`` handed to the Server-Sent Events transport (gateway/sse.py)."""

    websocket_adapter_class = ClosingSafeWebSocketAdapter
    graphql_ws_handler_class = LegacyGraphQLWSHandler

    def __init__(
        self,
        *args: Any,
        default_headers: dict[str, str],
        suggestions: bool = True,
        persisted: PersistedQueries | None = None,
        timeout_seconds: float | None = None,
        max_tokens: int = 5000,
        cache_rules: CacheRules | None = None,
        response_cache: ResponseCache | None = None,
        ws_identify: Identify | None = None,
        ws_limiter: ConnectionLimiter | None = None,
        event_streams: ServerSentEvents | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self._event_streams = event_streams
        self._ws_identify = ws_identify
        self._ws_limiter = ws_limiter
        self._page = graphiql_page.render_page(default_headers)
        self._suggestions = suggestions
        self._persisted = persisted
        self._timeout_seconds = timeout_seconds
        self._max_tokens = max_tokens
        self._cache_rules = cache_rules or CacheRules(0, 0)
        self._response_cache = response_cache

    @property
    def page(self) -> str:
        """The GraphiQL page's HTML."""
        return self._page

    def should_render_graphql_ide(self, request: Any) -> bool:
        """GraphiQL for a browser's plain GET, never for a persisted query sent by hash."""
        return request.query_params.get("extensions") is None and bool(
            super().should_render_graphql_ide(request)
        )

    async def render_graphql_ide(self, request: Request) -> HTMLResponse:
        """The local GraphiQL page."""
        return HTMLResponse(self._page)

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        """Describe errors that never reached execution (syntax errors) the same way."""
        if result.errors:
            request_id = getattr(request.state, "request_id", None)
            result.errors = [
                describe(error, request_id, suggestions=self._suggestions)
                for error in result.errors
            ]
        return await super().process_result(request, result)

    async def execute_single(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: Response,
        context: RequestContext,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        """Fill in persisted documents, run under the timeout, and note the cache scope."""
        request.state.cache_scope = Scope.PRIVATE
        if self._persisted is not None:
            try:
                request_data = await self._persisted.resolve(request_data)
            except PersistedQueryError as error:
                return ExecutionResult(data=None, errors=[error.graphql_error()])
        cache_key = self._response_cache_key(request, context, request_data)
        generation: int | None = None
        if cache_key is not None and self._response_cache is not None:
            hit = await self._response_cache.lookup(cache_key)
            if hit is not None:
                request.state.cache_scope = Scope.PUBLIC
                request.state.etag = entity_tag(hit)
                request.state.response_cache = "hit"
                return ExecutionResult(data=orjson.loads(hit), errors=None)
            generation = await self._response_cache.generation()
        limit = self._timeout_seconds if is_query(request_data, self._max_tokens) else None
        try:
            async with asyncio.timeout(limit):
                result = await super().execute_single(
                    request, request_adapter, sub_response, context, root_value, request_data
                )
        except TimeoutError:
            log.warning("request_timeout", seconds=self._timeout_seconds)
            timeout = request_timeout(self._timeout_seconds)
            return ExecutionResult(data=None, errors=[timeout.graphql_error()])
        except HTTPException as error:
            if isinstance(error.__cause__, InvalidOperationTypeError):
                # GraphQL over HTTP: a mutation over GET is 405 Method Not Allowed.
                raise HTTPException(405, error.reason) from error
            raise
        if self._persisted is not None and result.data is not None:
            await self._persisted.remember(request_data)
        if request_data.query is not None:
            request.state.cache_scope = response_scope(
                context.identity,
                request_data.query,
                request_data.operation_name,
                has_errors=bool(result.errors),
            )
            if request.state.cache_scope is Scope.PUBLIC:
                # The data alone: extensions (cost, throttle status) change on every request.
                data_json = orjson.dumps(result.data)
                request.state.etag = entity_tag(data_json)
                if cache_key is not None and generation is not None and self._response_cache:
                    await self._response_cache.remember(
                        cache_key, data_json, context.entities.tags, generation
                    )
        return result

    def _response_cache_key(
        self, request: Request, context: RequestContext, request_data: GraphQLRequestData
    ) -> str | None:
        """The response cache key of a GET that would be public if it has no errors."""
        if self._response_cache is None or request.method != "GET" or request_data.query is None:
            return None
        scope = response_scope(
            context.identity, request_data.query, request_data.operation_name, has_errors=False
        )
        if scope is not Scope.PUBLIC:
            return None
        return response_key(
            request_data.query,
            request_data.operation_name,
            request_data.variables,
            context.identity.mode,
        )

    async def on_ws_connect(self, context: RequestContext) -> Any:
        """Authenticate a subscription WebSocket from its ``connection_init`` payload (or its
        upgrade headers) and count it against the caller's connection limit."""
        websocket = context.request
        assert isinstance(websocket, WebSocket)
        headers = credential_headers(context.connection_params, websocket.headers)
        if self._ws_identify is None:
            raise rejection(
                "Subscriptions are not enabled", "ServiceUnavailable", "SERVICE_UNAVAILABLE"
            )
        try:
            identity = await self._ws_identify(headers)
        except Unauthorized as error:
            raise rejection(str(error), error.error_type, error.code) from error
        except SigningKeysUnavailable as error:
            raise rejection(str(error), "ServiceUnavailable", "SERVICE_UNAVAILABLE") from error
        key = identity_key(identity)
        if self._ws_limiter is not None:
            if not self._ws_limiter.acquire(key):
                message = (
                    f"Too many open subscription connections for this caller "
                    f"(at most {self._ws_limiter.limit})"
                )
                log.warning("ws_connection_limit", identity=key, limit=self._ws_limiter.limit)
                if (
                    await self.pick_websocket_subprotocol(websocket)
                    == GRAPHQL_TRANSPORT_WS_PROTOCOL
                ):
                    await websocket.close(code=TOO_MANY_CONNECTIONS_CLOSE_CODE, reason=message)
                raise rejection(message, "TooManyConnections", "TOO_MANY_CONNECTIONS")
            context.connection_slot = key
        context.identity = identity
        context.cart_token = cart_token(headers)
        return UNSET

    async def run(self, request: Any, context: Any = UNSET, root_value: Any = UNSET) -> Any:
        """Add Cache-Control, Vary and ETag to GraphQL responses; 304 when the ETag matches.
        A WebSocket gives its connection slot back when it closes."""
        if isinstance(request, WebSocket):
            try:
                return await super().run(request, context, root_value)
            finally:
                slot = getattr(context, "connection_slot", None)
                if slot is not None and self._ws_limiter is not None:
                    self._ws_limiter.release(slot)
        if (
            self._event_streams is not None
            and isinstance(request, Request)
            and request.method == "POST"
            and wants_event_stream(request.headers.get("accept"))
        ):
            return await self._event_streams.handle(request, context)
        response = await super().run(request, context, root_value)
        if not isinstance(request, Request) or request.scope["type"] != "http":
            return response
        if type(response) is not Response or response.status_code != 200:
            return response
        scope = getattr(request.state, "cache_scope", Scope.PRIVATE)
        if request.method != "GET":
            scope = Scope.PRIVATE
        response.headers["cache-control"] = self._cache_rules.cache_control(scope)
        response.headers["vary"] = VARY
        if scope is Scope.PRIVATE:
            return response
        etag = request.state.etag
        response.headers["etag"] = etag
        if self._response_cache is not None:
            response.headers[RESPONSE_CACHE_HEADER] = getattr(
                request.state, "response_cache", "miss"
            )
        if etag_matches(request.headers.get("if-none-match"), etag):
            return Response(status_code=304, headers=dict(response.headers))
        return response


def _refused(status: int, message: str, error_type: str, code: str) -> JSONResponse:
    return JSONResponse(
        status_code=status,
        content={
            "data": None,
            "errors": [{"message": message, "extensions": {"errorType": error_type, "code": code}}],
        },
    )


def _unauthorized(message: str) -> JSONResponse:
    return _refused(401, message, "UnauthorizedException", "UNAUTHENTICATED")


def persisted_queries(settings: Settings, cache: KeyValueCache) -> PersistedQueries | None:
    """APQ and trusted documents of these settings; None when both are off."""
    if not settings.persisted_queries and not settings.trusted_documents_only:
        return None
    return PersistedQueries(
        cache=cache,
        ttl_seconds=float(settings.persisted_query_ttl_seconds),
        trusted=load_manifest(settings.trusted_documents_manifest or DEFAULT_MANIFEST),
        trusted_only=settings.trusted_documents_only,
    )


def webhook_readers(settings: Settings) -> dict[str, CallbackReader]:
    """Who may call ``/webhooks/payments/<provider>``: Stripe's signed events when the
    provider is Stripe with STRIPE_WEBHOOK_SECRET, and Vitrine-signed callbacks for the
    configured provider with VITRINE_PAYMENT_WEBHOOK_SECRET."""
    readers: dict[str, CallbackReader] = {}
    if settings.payment_webhook_secret is not None:
        readers[settings.payment_provider.value] = vitrine_signed_reader(
            settings.payment_webhook_secret
        )
    if (
        settings.payment_provider is PaymentProviderName.STRIPE
        and settings.stripe_webhook_secret is not None
    ):
        from gateway.stripe_webhooks import stripe_reader

        readers["stripe"] = stripe_reader(settings.stripe_webhook_secret)
    return readers


WEBSOCKET_ALIAS_PATH = "/graphql/ws"
"""The same WebSocket endpoint as ``/graphql``, on a path of its own: a CDN routes by path
and cannot tell an upgrade from a POST, so on AWS CloudFront sends ``/graphql/ws`` to the
long-lived subscriptions service and ``/graphql`` to Lambda."""


def mount_websocket_alias(app: FastAPI, router: GraphQLRouter[Any, Any]) -> None:
    """Serve the router's WebSocket endpoint at ``WEBSOCKET_ALIAS_PATH`` too."""
    [endpoint] = [route.endpoint for route in router.routes if isinstance(route, APIWebSocketRoute)]
    app.add_api_websocket_route(WEBSOCKET_ALIAS_PATH, endpoint)


def create_app(settings: Settings, services: Services, *, check_on_start: bool = True) -> FastAPI:
    """The gateway app over already-built services."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if check_on_start:
            await check_services(services, settings)
        # Objects built at start-up (schema, adapters) live for the whole process: keep them out
        # of the collector's generations so full collections stay short under load.
        services.events.listen()
        gc.collect()
        gc.freeze()
        log.info("gateway_ready", profile=settings.profile.value)
        try:
            async with (
                api_process_consumers(settings, services),
                cache_invalidation(
                    services.events,
                    services.responses,
                    services.cdn,
                    settings.cdn_invalidation_paths,
                    settings.cdn_invalidation_interval_seconds,
                ) as invalidation,
                local_ingest_worker(settings, services),
            ):
                app.state.cache_invalidation = invalidation
                yield
        finally:
            await services.close()

    app = FastAPI(
        title="Vitrine",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None if settings.profile is Profile.PRODUCTION else "/openapi.json",
    )
    schema = build_schema(extensions=schema_extensions(settings, services.rate_limiter))
    api_keys = settings.api_key_values()
    app.state.schema = schema
    default_headers = (
        {API_KEY_HEADER: LOCAL_API_KEY}
        if LOCAL_API_KEY in settings.api_key_values()
        else {API_KEY_HEADER: ""}
    )
    response_cache = (
        None
        if services.responses is None
        else ResponseCache(services.responses, float(settings.http_cache_max_age_seconds))
    )
    get_context = context_getter_for(settings, services.data_sources(), services.tokens)
    persisted = persisted_queries(settings, services.cache)
    limiter = ConnectionLimiter(settings.ws_max_connections_per_identity)
    event_streams = ServerSentEvents(
        schema,
        limiter=limiter,
        persisted=persisted,
        keep_alive_seconds=settings.sse_keep_alive_seconds,
        send_timeout_seconds=settings.sse_send_timeout_seconds,
        timeout_seconds=settings.request_timeout_seconds,
        max_tokens=settings.max_tokens,
        suggestions=settings.suggestions_enabled(),
    )
    router = VitrineGraphQLRouter(
        schema,
        context_getter=get_context,
        graphql_ide="graphiql" if settings.graphiql else None,
        allow_queries_via_get=True,
        default_headers=default_headers,
        suggestions=settings.suggestions_enabled(),
        persisted=persisted,
        timeout_seconds=settings.request_timeout_seconds,
        max_tokens=settings.max_tokens,
        cache_rules=CacheRules(
            settings.http_cache_max_age_seconds,
            settings.http_cache_stale_while_revalidate_seconds,
        ),
        response_cache=response_cache,
        subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL),
        keep_alive=True,
        keep_alive_interval=settings.ws_keep_alive_seconds,
        connection_init_wait_timeout=timedelta(seconds=settings.ws_connection_init_timeout_seconds),
        ws_identify=lambda headers: identify(headers, api_keys, services.tokens),
        ws_limiter=limiter,
        event_streams=event_streams,
    )
    app.state.response_cache = response_cache
    app.state.ws_limiter = limiter
    mount_event_streams(app, event_streams, get_context)
    app.include_router(router, prefix="/graphql")
    mount_websocket_alias(app, router)
    mount_payment_webhooks(app, services.shopping, webhook_readers(settings), services.events)
    if settings.graphiql:
        graphiql_page.mount_assets(app)
    storefront = settings.storefront_enabled()
    if storefront:
        storefront_page.mount(app, settings)

    @app.exception_handler(RejectedCredentials)
    async def rejected(request: Request, error: RejectedCredentials) -> JSONResponse:
        return _unauthorized(str(error))

    @app.exception_handler(CredentialsUnverifiable)
    async def unverifiable(request: Request, error: CredentialsUnverifiable) -> JSONResponse:
        log.warning("credentials_unverifiable", error=str(error))
        return _refused(503, str(error), "ServiceUnavailable", "SERVICE_UNAVAILABLE")

    @app.middleware("http")
    async def request_id(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        rid = request.headers.get(REQUEST_ID_HEADER) or uuid.uuid4().hex
        request.state.request_id = rid[:64]
        bound: dict[str, str] = {"request_id": request.state.request_id}
        trace_id = current_trace_id(request.headers.get(TRACE_HEADER))
        if trace_id is not None:
            bound["trace_id"] = trace_id
        structlog.contextvars.bind_contextvars(**bound)
        try:
            response = await call_next(request)
        finally:
            structlog.contextvars.unbind_contextvars("request_id", "trace_id")
        response.headers[REQUEST_ID_HEADER] = request.state.request_id
        return response

    # Outermost last: security headers on every response (413s and preflights included).
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=[
                "content-type",
                API_KEY_HEADER,
                AUTHORIZATION_HEADER,
                CART_TOKEN_HEADER,
                REQUEST_ID_HEADER,
            ],
            expose_headers=[REQUEST_ID_HEADER, "retry-after"],
            max_age=600,
        )
    if settings.origin_verify_secret is not None:
        app.add_middleware(OriginVerify, secret=settings.origin_verify_secret.get_secret_value())
    app.add_middleware(
        SecurityHeaders,
        graphiql_page_csp=graphiql_csp(router.page) if settings.graphiql else None,
        storefront_csp=storefront_page.storefront_csp(settings) if storefront else None,
    )

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    checked = dependencies(services)

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> JSONResponse:
        readiness = await check_readiness(checked, settings.readiness_timeout_seconds)
        return JSONResponse(
            readiness.body(),
            status_code=200 if readiness.ready else 503,
            headers={"cache-control": "no-store"},
        )

    return app


__all__ = ["create_app"]
