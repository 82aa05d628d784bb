"""AWS AppSync direct Lambda resolver: runs the schema's own pipelines for AppSync events.

AppSync (``api_mode=appsync``) validates the operation, checks its auth directives and calls
this function for every field that has a resolver in the resolver map, with the field's
arguments, the caller's identity, the parent object (``source``), ``info`` and the stash, or
with a list of such events when the data source batches (``BatchInvoke``). For each event the
handler

1. finds ``info.parentTypeName.info.fieldName`` in the strawberry schema and its
   :class:`~resolvers.kit.Pipeline` extension;
2. checks the field's permission classes again (defence in depth: the same rules as the HTTP
   gateway, so a shopper's token on an admin mutation is ``Forbidden`` here too);
3. coerces the GraphQL arguments against the field's argument types and calls the field's
   request-mapping function with them, exactly as strawberry does;
4. runs the pipeline's functions with a :class:`~resolvers.kit.Run` whose context holds the
   identity and loaders shared by the whole invocation, so the items of one ``BatchInvoke``
   batch their data-source calls;
5. serializes the result the way the schema shapes it: camelCase fields, global IDs,
   ``__typename`` (AppSync needs it for interfaces and unions), and under ``__record`` the
   record itself so that child fields get it back as ``source``.

A single ``Invoke`` that fails raises an exception named after the AppSync ``errorType``
(Lambda reports the class name as ``errorType``); a ``BatchInvoke`` answers every item, with
``{"data": null, "errorType", "errorMessage", "errorInfo"}`` for the items that failed.
"""

from __future__ import annotations

import asyncio
import dataclasses
import enum
import importlib
import inspect
import json
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import cache
from typing import Any, cast

import orjson
import strawberry
import structlog
from graphql import (
    GraphQLAbstractType,
    GraphQLEnumType,
    GraphQLError,
    GraphQLField,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    GraphQLSchema,
    Undefined,
    coerce_input_value,
    is_abstract_type,
)
from graphql.utilities import validate_input_value
from strawberry.permission import PermissionExtension
from strawberry.types.arguments import convert_arguments
from strawberry.types.field import StrawberryField

from datasources.errors import DataSourceError
from gateway.auth import cart_token
from gateway.tracing import current_trace_id
from resolvers.context import AuthMode, Context, DataSources, Identity
from resolvers.errors import BadUserInput, Forbidden, ResolverError, Unauthorized
from resolvers.kit import Pipeline, Run, RunInfo

log = structlog.get_logger("vitrine.appsync")

TYPENAME = "__typename"
RECORD_KEY = "__record"
"""Where a serialized object carries its record, for the resolvers of its child fields."""
_RECORD_MODULES = ("datasources.", "resolvers.")
"""Only classes from these packages are rebuilt from ``__record``."""
INTERNAL_MESSAGE = "Internal server error"


class AppSyncFailure(Exception):
    """A field that could not be resolved, in AppSync's error shape."""

    def __init__(
        self, error_type: str, message: str, info: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.message = message
        self.info = dict(info or {})

    def as_item(self) -> dict[str, Any]:
        """A ``BatchInvoke`` item reporting this error."""
        return {
            "data": None,
            "errorType": self.error_type,
            "errorMessage": self.message,
            "errorInfo": self.info or None,
        }

    def as_raisable(self) -> Exception:
        """An exception whose class name is the ``errorType`` (what Lambda reports)."""
        return _error_class(self.error_type)(self.message)


@cache
def _error_class(error_type: str) -> type[Exception]:
    name = error_type if error_type.isidentifier() else "ResolverError"
    return type(name, (Exception,), {"__module__": __name__})


# -- identities ---------------------------------------------------------------------------


def identity_from_event(identity: Mapping[str, Any] | None) -> Identity:
    """AppSync's ``identity`` as the resolvers' :class:`Identity`.

    ``null`` is an API-key call (AppSync checked the key). A Cognito user pool identity
    carries ``sub``, ``claims`` and a ``cognito-idp`` issuer. An IAM identity carries
    ``accountId``/``userArn``; ``resolvers.context.AuthMode`` has no IAM mode yet, so IAM
    callers get API-key (public read) rights and never admin ones. Other modes (OIDC,
    Lambda authorizers) are not configured for Vitrine and are refused.
    """
    if identity is None:
        return Identity(mode=AuthMode.API_KEY, subject="api-key:appsync")
    claims = dict(identity.get("claims") or {})
    issuer = str(identity.get("issuer") or claims.get("iss") or "")
    if "sub" in identity and "cognito-idp." in issuer:
        groups = identity.get("groups") or claims.get("cognito:groups") or []
        return Identity(
            mode=AuthMode.AMAZON_COGNITO_USER_POOLS,
            subject=str(identity["sub"]),
            username=identity.get("username") or claims.get("cognito:username"),
            groups=frozenset(str(g) for g in groups),
            claims=claims,
        )
    if "userArn" in identity or "accountId" in identity:
        return Identity(
            mode=AuthMode.API_KEY,
            subject=str(identity.get("userArn") or identity.get("accountId")),
            username=identity.get("username"),
            claims={k: v for k, v in identity.items() if k != "sourceIp"},
        )
    raise Unauthorized("This authorization mode is not accepted by the Vitrine resolvers")


def _identity_key(identity: Mapping[str, Any] | None) -> str:
    return json.dumps(identity, sort_keys=True, default=str)


# -- the record codec ---------------------------------------------------------------------


def encode_record(value: Any) -> Any:
    """A JSON-able form of a record (dataclasses, enums, datetimes, tuples) that
    :func:`decode_record` turns back into the same value."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            "__dataclass__": _class_path(type(value)),
            **{f.name: encode_record(getattr(value, f.name)) for f in dataclasses.fields(value)},
        }
    if isinstance(value, enum.Enum):
        return {"__enum__": _class_path(type(value)), "value": encode_record(value.value)}
    if isinstance(value, datetime):
        return {"__datetime__": value.isoformat()}
    if isinstance(value, tuple):
        return {"__tuple__": [encode_record(v) for v in value]}
    if isinstance(value, list):
        return [encode_record(v) for v in value]
    if isinstance(value, dict):
        return {str(k): encode_record(v) for k, v in value.items()}
    return value


def decode_record(value: Any) -> Any:
    """The value :func:`encode_record` encoded; classes only from Vitrine's own packages."""
    if isinstance(value, list):
        return [decode_record(v) for v in value]
    if not isinstance(value, dict):
        return value
    if "__dataclass__" in value:
        cls = _class_at(value["__dataclass__"])
        fields = {k: decode_record(v) for k, v in value.items() if k != "__dataclass__"}
        return cls(**fields)
    if "__enum__" in value:
        return _class_at(value["__enum__"])(decode_record(value["value"]))
    if "__datetime__" in value:
        return datetime.fromisoformat(value["__datetime__"])
    if "__tuple__" in value:
        return tuple(decode_record(v) for v in value["__tuple__"])
    return {k: decode_record(v) for k, v in value.items()}


def _class_path(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


@cache
def _class_at(path: str) -> Any:
    module_name, _, qualname = path.partition(":")
    if not module_name.startswith(_RECORD_MODULES) or not qualname.isidentifier():
        raise BadUserInput(f"source holds an unknown record type {path!r}")
    found = getattr(importlib.import_module(module_name), qualname, None)
    if not isinstance(found, type):
        raise BadUserInput(f"source holds an unknown record type {path!r}")
    return found


# -- the resolver -------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _FieldInfo:
    """What permission classes and computed fields read from strawberry's ``info``."""

    context: Context
    field_name: str
    parent_type_name: str


@dataclasses.dataclass(frozen=True)
class _Target:
    """A schema field that AppSync can call the Lambda for."""

    parent: GraphQLObjectType
    field: GraphQLField
    definition: StrawberryField
    pipeline: Pipeline
    permissions: tuple[PermissionExtension, ...]


class AppSyncResolver:
    """Resolves AppSync events with the schema's pipelines over ``sources``."""

    def __init__(
        self,
        schema: strawberry.Schema,
        sources: DataSources,
        *,
        batching: bool = True,
        caching: bool = True,
    ) -> None:
        self._schema = schema
        self._gql: GraphQLSchema = schema._schema
        self._sources = sources
        self._batching = batching
        self._caching = caching
        self._child_resolvers: dict[str, bool] = {}

    async def handle(self, event: Mapping[str, Any] | Sequence[Mapping[str, Any]]) -> Any:
        """An ``Invoke`` event gives its result (or raises); a ``BatchInvoke`` list gives one
        item per event, errors in AppSync's shape."""
        if isinstance(event, Mapping):
            outcome = (await self._resolve_all([event]))[0]
            if isinstance(outcome, AppSyncFailure):
                raise outcome.as_raisable()
            return outcome
        outcomes = await self._resolve_all(list(event))
        return [o.as_item() if isinstance(o, AppSyncFailure) else o for o in outcomes]

    async def _resolve_all(self, events: list[Mapping[str, Any]]) -> list[Any]:
        loaders = self._sources.new_loaders(batching=self._batching)
        contexts: dict[str, Context] = {}
        request_id = uuid.uuid4().hex

        def context_for(raw_identity: Mapping[str, Any] | None, token: str | None) -> Context:
            key = f"{_identity_key(raw_identity)}|{token or ''}"
            if key not in contexts:
                contexts[key] = Context(
                    request_id=request_id,
                    identity=identity_from_event(raw_identity),
                    sources=self._sources,
                    loaders=loaders,
                    caching=self._caching,
                    cart_token=token,
                )
            return contexts[key]

        async def one(event: Mapping[str, Any]) -> Any:
            try:
                context = context_for(event.get("identity"), _cart_token_of(event))
                return await self._resolve(event, context)
            except AppSyncFailure as failure:
                return failure
            except Exception as error:  # reported per item, like the HTTP gateway's masking
                return _failure(error, request_id)

        return list(await asyncio.gather(*(one(e) for e in events)))

    def _target(self, info: Mapping[str, Any]) -> _Target:
        parent_name = str(info.get("parentTypeName", ""))
        field_name = str(info.get("fieldName", ""))
        parent = self._gql.type_map.get(parent_name)
        if not isinstance(parent, GraphQLObjectType) or field_name not in parent.fields:
            raise AppSyncFailure(
                "FieldUndefined", f"{parent_name}.{field_name} is not a field of the schema"
            )
        field = parent.fields[field_name]
        definition: StrawberryField = field.extensions["strawberry-definition"]
        pipeline = next((e for e in definition.extensions if isinstance(e, Pipeline)), None)
        if pipeline is None:
            raise AppSyncFailure(
                "FieldUndefined",
                f"{parent_name}.{field_name} has no resolver: AppSync reads it from the parent",
            )
        permissions = tuple(e for e in definition.extensions if isinstance(e, PermissionExtension))
        return _Target(parent, field, definition, pipeline, permissions)

    async def _resolve(self, event: Mapping[str, Any], context: Context) -> Any:
        info = event.get("info") or {}
        target = self._target(info)
        source = _decode_source(event.get("source"))
        field_name = str(info.get("fieldName"))
        field_info = _FieldInfo(context, field_name, target.parent.name)
        raw_arguments = dict(event.get("arguments") or {})
        for extension in target.permissions:
            for permission in extension.permissions:
                allowed = permission.has_permission(source, cast(Any, field_info), **raw_arguments)
                if inspect.isawaitable(allowed):
                    allowed = await allowed
                if not allowed:
                    raise Forbidden(permission.message or "Not allowed")
        arguments = await self._map_arguments(target, source, raw_arguments, field_info)
        prev = event.get("prev")
        run: Run[Any, Any] = Run(
            ctx=context,
            arguments=arguments,
            source=source,
            info=RunInfo(
                field_name=field_name,
                parent_type_name=target.parent.name,
                selection_set=_top_level(info.get("selectionSetList") or ()),
            ),
            stash=dict(event.get("stash") or {}),
            prev=prev.get("result") if isinstance(prev, Mapping) else None,
        )
        result = await _execute(target.pipeline, run)
        return self._serialize(result, target.field.type, context)

    async def _map_arguments(
        self,
        target: _Target,
        source: Any,
        raw: Mapping[str, Any],
        field_info: _FieldInfo,
    ) -> Any:
        resolver = target.definition.base_resolver
        if resolver is None:
            return None
        coerced: dict[str, Any] = {}
        for name, argument in target.field.args.items():
            if name in raw:
                coerced[name] = _coerce(name, raw[name], argument.type)
            elif argument.default_value is not Undefined:
                coerced[name] = argument.default_value
            elif isinstance(argument.type, GraphQLNonNull):
                raise BadUserInput(f"Argument {name!r} is required")
        unknown = sorted(set(raw) - set(target.field.args))
        if unknown:
            raise BadUserInput(f"Unknown arguments: {', '.join(unknown)}")
        kwargs = convert_arguments(
            coerced,
            target.definition.arguments,
            scalar_registry=self._schema.schema_converter.scalar_registry,
            config=self._schema.config,
        )
        for extension in target.definition.extensions:
            kwargs = extension.map_arguments(kwargs)
        args, kwargs = _bind_reserved(target.definition, source, kwargs, field_info)
        mapped = resolver(*args, **kwargs)
        return await mapped if inspect.isawaitable(mapped) else mapped

    # -- serialization --------------------------------------------------------------------

    def _serialize(self, value: Any, gql_type: GraphQLOutputType, context: Context) -> Any:
        if value is None:
            return None
        if isinstance(gql_type, GraphQLNonNull):
            return self._serialize(value, gql_type.of_type, context)
        if isinstance(gql_type, GraphQLList):
            return [self._serialize(item, gql_type.of_type, context) for item in value]
        if isinstance(gql_type, GraphQLScalarType | GraphQLEnumType):
            return gql_type.serialize(value)
        if is_abstract_type(gql_type):
            return self._serialize(value, self._concrete(gql_type, value), context)
        object_type = cast(GraphQLObjectType, gql_type)
        out: dict[str, Any] = {TYPENAME: object_type.name}
        for name, field in object_type.fields.items():
            definition: StrawberryField = field.extensions["strawberry-definition"]
            if any(isinstance(e, Pipeline) for e in definition.extensions):
                continue  # AppSync calls the Lambda for this field with ``out`` as source
            if definition.base_resolver is not None:
                field_info = _FieldInfo(context, name, object_type.name)
                args, kwargs = _bind_reserved(definition, value, {}, field_info)
                computed = definition.base_resolver(*args, **kwargs)
                out[name] = self._serialize(computed, field.type, context)
                continue
            out[name] = self._serialize(getattr(value, definition.python_name), field.type, context)
        if self._has_child_resolvers(object_type):
            out[RECORD_KEY] = encode_record(value)
        return out

    def _concrete(self, abstract: GraphQLAbstractType, value: Any) -> GraphQLObjectType:
        for candidate in self._gql.get_possible_types(abstract):
            if candidate.is_type_of is not None and candidate.is_type_of(value, cast(Any, None)):
                return candidate
        raise TypeError(f"no member of {abstract.name} represents {type(value).__name__}")

    def _has_child_resolvers(self, object_type: GraphQLObjectType) -> bool:
        known = self._child_resolvers.get(object_type.name)
        if known is None:
            known = any(
                isinstance(e, Pipeline)
                for f in object_type.fields.values()
                for e in f.extensions["strawberry-definition"].extensions
            )
            self._child_resolvers[object_type.name] = known
        return known


def _bind_reserved(
    definition: StrawberryField, source: Any, kwargs: dict[str, Any], info: _FieldInfo
) -> tuple[list[Any], dict[str, Any]]:
    """``self``/``root``/``parent``/``info`` parameters, as strawberry binds them."""
    resolver = definition.base_resolver
    args: list[Any] = []
    if resolver is None:
        return args, kwargs
    if resolver.self_parameter:
        args.append(source)
    for parameter in (resolver.parent_parameter, resolver.root_parameter):
        if parameter is not None:
            kwargs[parameter.name] = source
    if resolver.info_parameter is not None:
        kwargs[resolver.info_parameter.name] = info
    return args, kwargs


async def _execute(pipeline: Pipeline, run: Run[Any, Any]) -> Any:
    """The pipeline's functions in order, through its resolver cache when it has one (as
    ``Pipeline.resolve_async`` does for the HTTP gateway)."""

    async def steps() -> Any:
        for step in pipeline.steps:
            run.prev = await step(run)
        return run.prev

    if pipeline.cache is None or not run.ctx.caching:
        return await steps()
    key = pipeline.cache.key_for(run)
    hit = await run.ctx.sources.cache.get(key)
    if hit is not None:
        return pipeline.cache.decode(orjson.loads(hit))
    result = await steps()
    await run.ctx.sources.cache.set(key, orjson.dumps(result), pipeline.cache.ttl_seconds)
    return result


def _coerce(name: str, value: Any, type_: GraphQLInputType) -> Any:
    """The argument's internal value, or BadUserInput with graphql-core's reasons."""
    coerced = coerce_input_value(value, type_)
    if coerced is not Undefined:
        return coerced
    problems: list[str] = []

    def collect(error: GraphQLError, path: Sequence[str | int]) -> None:
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)
        problems.append(f"{name}{where}: {error.message}")

    validate_input_value(value, type_, collect)
    raise BadUserInput("; ".join(problems) or f"Argument {name!r} has an invalid value")


def _decode_source(source: Any) -> Any:
    if source is None:
        return None
    if isinstance(source, Mapping) and RECORD_KEY in source:
        return decode_record(source[RECORD_KEY])
    raise BadUserInput("source must be an object returned by these resolvers (it carries __record)")


def _top_level(selection: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(s for s in selection if "/" not in s))


def _failure(error: Exception, request_id: str) -> AppSyncFailure:
    if isinstance(error, ResolverError):
        return AppSyncFailure(error.error_type, str(error), {"code": error.code})
    if isinstance(error, DataSourceError):
        log.warning("datasource_error", request_id=request_id, error=str(error))
        return AppSyncFailure(
            error.error_type, str(error), {"code": error.code, "requestId": request_id}
        )
    log.error(
        "unexpected_error",
        request_id=request_id,
        exc_info=(type(error), error, error.__traceback__),
    )
    return AppSyncFailure(
        "InternalFailure",
        INTERNAL_MESSAGE,
        {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id},
    )


# -- the Lambda entry point ---------------------------------------------------------------


class _Runtime:
    """What one Lambda container builds once: settings, services, schema, event loop."""

    def __init__(self) -> None:
        from gateway.bootstrap import build_services
        from gateway.logging_setup import configure_logging
        from gateway.secrets import resolve_secrets
        from gateway.settings import Settings
        from schema import build_schema

        settings = resolve_secrets(Settings())
        configure_logging(settings.log_level, json_lines=True)
        self.loop = asyncio.new_event_loop()
        services = build_services(settings)
        self.resolver = AppSyncResolver(
            build_schema(),
            services.data_sources(),
            batching=settings.dataloaders,
            caching=settings.resolver_cache,
        )


_runtime: _Runtime | None = None


def handler(event: Any, context: Any) -> Any:
    """The Lambda handler (``gateway.lambda_appsync.handler``)."""
    global _runtime
    if _runtime is None:
        _runtime = _Runtime()
    with structlog.contextvars.bound_contextvars(**invocation_log_context(context)):
        return _runtime.loop.run_until_complete(_runtime.resolver.handle(event))


def invocation_log_context(context: Any) -> dict[str, str]:
    """The Lambda request id and the X-Ray trace id of this invocation, for every log line."""
    bound: dict[str, str] = {}
    request_id = getattr(context, "aws_request_id", None)
    if isinstance(request_id, str) and request_id:
        bound["lambda_request_id"] = request_id[:64]
    trace_id = current_trace_id()
    if trace_id is not None:
        bound["trace_id"] = trace_id
    return bound


__all__ = [
    "AppSyncFailure",
    "AppSyncResolver",
    "decode_record",
    "encode_record",
    "handler",
    "identity_from_event",
    "invocation_log_context",
]


def _cart_token_of(event: Mapping[str, Any]) -> str | None:
    """The ``x-cart-token`` header AppSync forwards in ``request.headers`` (lower-cased)."""
    request = event.get("request")
    headers = request.get("headers") if isinstance(request, Mapping) else None
    if not isinstance(headers, Mapping):
        return None
    return cart_token({str(k).lower(): str(v) for k, v in headers.items() if v is not None})
