"""The AppSync resolver kit: data-source names, ``Run``, unit and pipeline resolvers.

A schema field declares its arguments with a small *request mapping* function (like an
AppSync request template) and attaches a :class:`Pipeline` extension naming the resolver
functions that do the work. Each function receives a :class:`Run` and returns a result
that becomes ``run.prev`` for the next function; the last result is the field's value.
"""

from __future__ import annotations

import hashlib
import inspect
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Generic, TypeVar

import orjson
from graphql import FieldNode, GraphQLResolveInfo
from strawberry.extensions import FieldExtension
from strawberry.types.field import StrawberryField

from resolvers.context import Context, Identity

SourceT = TypeVar("SourceT")
ArgsT = TypeVar("ArgsT")
Fn = TypeVar("Fn", bound=Callable[..., Awaitable[Any]])


class DataSource(StrEnum):
    """Data sources registered by name in the gateway's bootstrap (AppSync data sources)."""

    CATALOG = "CatalogTable"
    ASSET_BUCKET = "AssetBucket"
    RESOLVER_CACHE = "ResolverCache"
    SHOPPING_DB = "ShoppingDatabase"
    PAYMENTS = "PaymentProvider"
    JOB_QUEUE = "RenderJobQueue"
    PRODUCT_SEARCH = "ProductSearch"
    ANALYTICS = "AnalyticsEvents"
    NONE = "NONE"


@dataclass(frozen=True)
class RunInfo:
    """AppSync's ``$ctx.info``: the field being resolved and what the client selected."""

    field_name: str
    parent_type_name: str
    selection_set: tuple[str, ...]

    @classmethod
    def of(cls, info: Any) -> RunInfo:
        """Read the resolver info that strawberry passes to extensions."""
        raw: GraphQLResolveInfo[Any] = info._raw_info
        selected: list[str] = []
        for node in raw.field_nodes:
            if node.selection_set is None:
                continue
            selected.extend(
                s.name.value for s in node.selection_set.selections if isinstance(s, FieldNode)
            )
        return cls(
            field_name=raw.field_name,
            parent_type_name=raw.parent_type.name,
            selection_set=tuple(dict.fromkeys(selected)),
        )


@dataclass
class Run(Generic[SourceT, ArgsT]):
    """One resolution of one field: AppSync's ``$ctx`` for a resolver function."""

    ctx: Context
    arguments: ArgsT
    source: SourceT
    info: RunInfo
    stash: dict[str, Any] = field(default_factory=dict)
    prev: Any = None

    @property
    def identity(self) -> Identity:
        """Who is calling."""
        return self.ctx.identity


Step = Callable[[Run[Any, Any]], Awaitable[Any]]

_DATA_SOURCES_ATTR = "__vitrine_data_sources__"


def uses(*sources: DataSource) -> Callable[[Fn], Fn]:
    """Declare which data sources a resolver function talks to (for the resolver map)."""

    def mark(function: Fn) -> Fn:
        setattr(function, _DATA_SOURCES_ATTR, tuple(sources))
        return function

    return mark


def data_sources_of(step: Step) -> tuple[DataSource, ...]:
    """The data sources a resolver function declared with :func:`uses`."""
    declared: tuple[DataSource, ...] | None = getattr(step, _DATA_SOURCES_ATTR, None)
    if declared is None:
        raise TypeError(f"{step.__qualname__} does not declare its data sources with @uses")
    return declared


def step_name(step: Step) -> str:
    """``module.function`` name of a resolver function."""
    return f"{step.__module__}.{step.__qualname__}"


@dataclass(frozen=True)
class CachePolicy:
    """AppSync per-resolver caching: TTL and the caching keys taken from the run."""

    ttl_seconds: float
    decode: Callable[[Any], Any]
    keys: Callable[[Run[Any, Any]], Sequence[Any]] = lambda run: (run.arguments,)

    def key_for(self, run: Run[Any, Any]) -> str:
        """The cache key of this run: field plus a hash of the caching keys."""
        material = orjson.dumps(list(self.keys(run)), default=repr, option=orjson.OPT_SORT_KEYS)
        digest = hashlib.sha256(material).hexdigest()[:32]
        return f"resolver:{run.info.parent_type_name}.{run.info.field_name}:{digest}"


class Pipeline(FieldExtension):
    """A unit (one function) or pipeline (several) resolver attached to a schema field.

    ``before`` and ``after`` run around the functions, sharing ``stash``; with a cache policy
    the whole pipeline's result is cached in the ResolverCache data source.
    """

    def __init__(
        self,
        *functions: Step,
        before: Step | None = None,
        after: Step | None = None,
        cache: CachePolicy | None = None,
    ) -> None:
        if not functions:
            raise ValueError("A pipeline needs at least one function")
        self.functions = functions
        self.before = before
        self.after = after
        self.cache = cache
        self._maps_arguments = False
        for step in self.steps:
            data_sources_of(step)

    @property
    def steps(self) -> tuple[Step, ...]:
        """Every function in running order, with before and after."""
        return tuple(s for s in (self.before, *self.functions, self.after) if s is not None)

    @property
    def data_sources(self) -> tuple[DataSource, ...]:
        """Every data source the pipeline may talk to."""
        found = [ds for step in self.steps for ds in data_sources_of(step)]
        if self.cache is not None:
            found.append(DataSource.RESOLVER_CACHE)
        return tuple(dict.fromkeys(found))

    def apply(self, field: StrawberryField) -> None:
        """Remember whether the field has a request-mapping function to run first."""
        self._maps_arguments = field.base_resolver is not None

    def resolve(self, next_: Callable[..., Any], source: Any, info: Any, **kwargs: Any) -> Any:
        """Resolvers are async only."""
        raise NotImplementedError("Vitrine resolvers run in async execution only")

    async def resolve_async(
        self, next_: Callable[..., Awaitable[Any]], source: Any, info: Any, **kwargs: Any
    ) -> Any:
        """Map the arguments, then run every step in order and return the last result."""
        arguments: Any = None
        if self._maps_arguments:
            arguments = next_(source, info, **kwargs)
            if inspect.isawaitable(arguments):
                arguments = await arguments
        context: Context = info.context
        run: Run[Any, Any] = Run(
            ctx=context, arguments=arguments, source=source, info=RunInfo.of(info)
        )
        result = await self._resolve(context, run)
        if result is None and run.info.parent_type_name == "Query":
            context.entities.note_missing()
        else:
            context.entities.note(result)
        return result

    async def _resolve(self, context: Context, run: Run[Any, Any]) -> Any:
        if self.cache is None or not context.caching:
            return await self._run_steps(run)
        key = self.cache.key_for(run)
        hit = await context.sources.cache.get(key)
        if hit is not None:
            return self.cache.decode(orjson.loads(hit))
        result = await self._run_steps(run)
        await context.sources.cache.set(key, orjson.dumps(result), self.cache.ttl_seconds)
        return result

    async def _run_steps(self, run: Run[Any, Any]) -> Any:
        for step in self.steps:
            run.prev = await step(run)
        return run.prev

    @property
    def supports_sync(self) -> bool:
        """Async only."""
        return False
