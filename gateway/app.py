"""The FastAPI application: GraphQL endpoint, local GraphiQL, health, request ids."""

from __future__ import annotations

import gc
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import structlog
from fastapi import FastAPI, Request, Response
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import HTMLResponse, JSONResponse
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import (
    AddValidationRules,
    MaxTokensLimiter,
    ParserCache,
    ValidationCache,
)
from strawberry.fastapi import GraphQLRouter
from strawberry.http import GraphQLHTTPResponse
from strawberry.types import ExecutionResult

from datasources.ports import RateLimiter
from gateway import graphiql_page
from gateway.auth import API_KEY_HEADER, AUTHORIZATION_HEADER, CART_TOKEN_HEADER
from gateway.bootstrap import Services, check_services
from gateway.context import (
    CredentialsUnverifiable,
    RejectedCredentials,
    RequestContext,
    context_getter_for,
)
from gateway.cost import CostRules, QueryCost
from gateway.errors import AppSyncErrors, describe
from gateway.http_hardening import BodySizeLimit, SecurityHeaders, graphiql_csp
from gateway.limits import DocumentLimits, document_limits_rule
from gateway.metrics import DataSourceCalls
from gateway.payment_webhooks import mount_payment_webhooks
from gateway.settings import LOCAL_API_KEY, Profile, Settings
from schema import build_schema

log = structlog.get_logger("vitrine.app")
REQUEST_ID_HEADER = "x-request-id"


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
    rules: list[Any] = [document_limits_rule(document_limits(settings))]
    if not settings.introspection:
        rules.append(NoSchemaIntrospectionCustomRule)
    rules_cost = cost_rules(settings)
    extensions: list[Any] = [
        lambda: AppSyncErrors(suggestions=suggestions),
        lambda: MaxTokensLimiter(settings.max_tokens),
        lambda: ParserCache(maxsize=size),
        lambda: AddValidationRules(rules),
        lambda: ValidationCache(maxsize=size),
        lambda: QueryCost(rules_cost, settings.max_query_cost, rate_limiter),
    ]
    if settings.profile is not Profile.PRODUCTION:
        extensions.append(DataSourceCalls)
    return extensions


class VitrineGraphQLRouter(GraphQLRouter[RequestContext, None]):
    """Strawberry's router with GraphiQL served from local assets."""

    def __init__(
        self,
        *args: Any,
        default_headers: dict[str, str],
        suggestions: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self._page = graphiql_page.render_page(default_headers)
        self._suggestions = suggestions

    @property
    def page(self) -> str:
        """The GraphiQL page's HTML."""
        return self._page

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


def create_app(settings: Settings, services: Services, *, check_on_start: bool = True) -> FastAPI:
    """The gateway app over already-built services."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if check_on_start:
            await check_services(services, settings)
        # Objects built at start-up (schema, adapters) live for the whole process: keep them out
        # of the collector's generations so full collections stay short under load.
        gc.collect()
        gc.freeze()
        log.info("gateway_ready", profile=settings.profile.value)
        yield
        await services.close()

    app = FastAPI(
        title="Vitrine",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None if settings.profile is Profile.PRODUCTION else "/openapi.json",
    )
    schema = build_schema(extensions=schema_extensions(settings, services.rate_limiter))
    app.state.schema = schema
    default_headers = (
        {API_KEY_HEADER: LOCAL_API_KEY}
        if LOCAL_API_KEY in settings.api_key_values()
        else {API_KEY_HEADER: ""}
    )
    router = VitrineGraphQLRouter(
        schema,
        context_getter=context_getter_for(settings, services.data_sources(), services.tokens),
        graphql_ide="graphiql" if settings.graphiql else None,
        allow_queries_via_get=True,
        default_headers=default_headers,
        suggestions=settings.suggestions_enabled(),
    )
    app.include_router(router, prefix="/graphql")
    mount_payment_webhooks(app, services.shopping, settings.payment_webhook_secret)
    if settings.graphiql:
        graphiql_page.mount_assets(app)

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
        structlog.contextvars.bind_contextvars(request_id=request.state.request_id)
        try:
            response = await call_next(request)
        finally:
            structlog.contextvars.unbind_contextvars("request_id")
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
    app.add_middleware(
        SecurityHeaders, graphiql_page_csp=graphiql_csp(router.page) if settings.graphiql else None
    )

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


__all__ = ["create_app"]
