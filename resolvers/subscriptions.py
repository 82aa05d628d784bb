"""Subscription resolvers: domain events from the bus, authorized, filtered, shaped per field.

Each resolver checks at subscribe time that the caller may see the entity (a shopper's own
order or cart, any for merchant admins; a job for admins; SKUs and product prices are public
catalog reads), compiles the optional AppSync-style filter, and returns an async generator
that reads the event bus. Per event it loads the entity fresh with the caller's rights (so a
shopper never receives someone else's data), applies the filter and yields an event view.

A subscription ends with a typed error when the caller's token expires (UNAUTHENTICATED),
when the subscriber falls behind (SUBSCRIBER_FELL_BEHIND) or when the event stream is
interrupted (EVENT_STREAM_INTERRUPTED: read the current state and subscribe again).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping
from contextlib import aclosing
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from datasources.events.records import (
    DomainEvent,
    EventStreamInterrupted,
    SubscriberFellBehind,
    Topic,
)
from datasources.job_records import IngestJobRecord
from datasources.records import Money, ProductRecord
from datasources.shopping_records import CartRecord, OrderRecord, OrderStatus
from resolvers.context import Context
from resolvers.errors import BadUserInput, ResolverError, Unauthorized
from resolvers.kit import DataSource, Run, uses
from resolvers.shopping import cart_access, shopping_of, signed_in_sub
from resolvers.subscription_filters import (
    EventFilter,
    InvalidSubscriptionFilter,
    compile_filter,
)

T = TypeVar("T")


class SubscriptionNotFound(ResolverError):
    """The entity does not exist or is not the caller's (worded the same either way)."""

    error_type = "NotFound"
    code = "NOT_FOUND"


class SubscriberTooSlow(ResolverError):
    """The subscriber did not read its events fast enough and was dropped."""

    error_type = "SubscriberFellBehind"
    code = "SUBSCRIBER_FELL_BEHIND"


class EventStreamLost(ResolverError):
    """The event stream lost its connection (Redis); events may have been missed."""

    error_type = "EventStreamInterrupted"
    code = "EVENT_STREAM_INTERRUPTED"


class TokenExpired(Unauthorized):
    """The caller's token expired while the subscription was open."""


ORDER_FILTER_FIELDS: dict[str, tuple[type, ...]] = {
    "status": (str,),
    "previousStatus": (str,),
    "orderNumber": (int,),
}
INVENTORY_FILTER_FIELDS: dict[str, tuple[type, ...]] = {"available": (int,)}
CART_FILTER_FIELDS: dict[str, tuple[type, ...]] = {"status": (str,), "version": (int,)}
PRICE_FILTER_FIELDS: dict[str, tuple[type, ...]] = {
    "sku": (str,),
    "amount": (int,),
    "oldAmount": (int,),
    "currency": (str,),
}
RENDER_JOB_FILTER_FIELDS: dict[str, tuple[type, ...]] = {
    "status": (str,),
    "stage": (str,),
    "percent": (int,),
}


# --- arguments and event views ------------------------------------------------------------


@dataclass(frozen=True)
class EntitySubscription:
    """A subscription to one entity's events, with an optional filter (raw JSON spec)."""

    key: str
    filter: object = None
    """The filter as the client sent it (AWSJSON); checked by the resolver."""


@dataclass(frozen=True)
class OrderStatusEventView:
    """An order moved: the order as stored now, and the move."""

    order: OrderRecord
    status: OrderStatus
    previous_status: OrderStatus | None
    at: datetime


@dataclass(frozen=True)
class InventoryEventView:
    """Units available of a SKU now."""

    sku: str
    available: int
    at: datetime


@dataclass(frozen=True)
class PriceChangeView:
    """One variant's price move (``old_price`` None for a variant that was just added)."""

    sku: str
    old_price: Money | None
    price: Money


@dataclass(frozen=True)
class PriceEventView:
    """A product's prices changed: the product as it is now and the variants that moved."""

    product: ProductRecord | None
    product_id: str
    changes: tuple[PriceChangeView, ...]
    at: datetime


@dataclass(frozen=True)
class CartEventView:
    """A cart changed: the cart as stored now."""

    cart: CartRecord
    at: datetime


@dataclass(frozen=True)
class RenderJobEventView:
    """An ingest job moved on: the job record now and the stage reached."""

    job: IngestJobRecord | None
    job_id: str
    stage: str
    percent: int
    at: datetime


# --- shared machinery ---------------------------------------------------------------------


def _is_admin(ctx: Context) -> bool:
    return ctx.identity.is_merchant_admin


def _filter(spec: object, fields: Mapping[str, tuple[type, ...]]) -> EventFilter:
    if spec is None:
        return EventFilter()
    if not isinstance(spec, Mapping):
        raise BadUserInput("filter: must be a JSON object of field -> {operator: value}")
    try:
        return compile_filter(spec, fields)
    except InvalidSubscriptionFilter as error:
        raise BadUserInput(str(error)) from error


def token_deadline(ctx: Context) -> float | None:
    """When the caller's token expires (epoch seconds), or None for credentials without one."""
    exp = ctx.identity.claims.get("exp")
    return float(exp) if isinstance(exp, (int, float)) and not isinstance(exp, bool) else None


def _expired() -> TokenExpired:
    return TokenExpired(
        "The token expired: the subscription has ended. Sign in again and resubscribe."
    )


async def events_of(
    ctx: Context, topic: Topic, key: str, max_pending: int | None = None
) -> AsyncGenerator[DomainEvent, None]:
    """Events of ``topic`` about ``key``, until the caller's token expires (TokenExpired);
    a stream that falls behind or is interrupted ends with a typed error."""
    deadline = token_deadline(ctx)
    if deadline is not None and deadline <= time.time():
        raise _expired()
    subscription = ctx.sources.events.subscribe([topic], max_pending)
    async with subscription:
        while True:
            remaining = None if deadline is None else deadline - time.time()
            if remaining is not None and remaining <= 0:
                raise _expired()
            try:
                async with asyncio.timeout(remaining):
                    event = await anext(subscription)
            except TimeoutError:
                raise _expired() from None
            except SubscriberFellBehind as error:
                raise SubscriberTooSlow(
                    f"The subscriber fell behind and was dropped ({error}); "
                    "read the current state and subscribe again."
                ) from error
            except EventStreamInterrupted as error:
                raise EventStreamLost(str(error)) from error
            if event.key == key:
                # Each event is a new read: loaders of a long-lived connection must not serve
                # what they cached for an earlier event (a price, a stock level).
                ctx.loaders = ctx.sources.new_loaders()
                yield event


async def _check_visible(load: Callable[[], Awaitable[T | None]], what: str) -> T:
    found = await load()
    if found is None:
        raise SubscriptionNotFound(f"No such {what}")
    return found


# --- orders ---------------------------------------------------------------------------------


async def _visible_order(ctx: Context, order_id: str) -> OrderRecord | None:
    orders = ctx.sources.shopping.orders if ctx.sources.shopping is not None else None
    if orders is None:
        return None
    if _is_admin(ctx):
        return (await orders.orders_by_ids([order_id]))[0]
    sub = signed_in_sub(ctx)
    return None if sub is None else await orders.order(order_id, sub)


@uses(DataSource.SHOPPING_DB)
async def on_order_status_changed(
    run: Run[None, EntitySubscription],
) -> AsyncGenerator[OrderStatusEventView, None]:
    """``Subscription.onOrderStatusChanged``: the shopper's own order (admins: any)."""
    shopping_of(run)
    ctx, order_id = run.ctx, run.arguments.key
    matches = _filter(run.arguments.filter, ORDER_FILTER_FIELDS)
    await _check_visible(lambda: _visible_order(ctx, order_id), "order")

    async def stream() -> AsyncGenerator[OrderStatusEventView, None]:
        async with aclosing(events_of(ctx, Topic.ORDER_STATUS_CHANGED, order_id)) as events:
            async for event in events:
                if not matches.matches(event.payload):
                    continue
                order = await _check_visible(lambda: _visible_order(ctx, order_id), "order")
                previous = event.payload.get("previousStatus")
                yield OrderStatusEventView(
                    order=order,
                    status=OrderStatus(event.payload["status"]),
                    previous_status=None if previous is None else OrderStatus(previous),
                    at=event.occurred_at,
                )

    return stream()


# --- carts ----------------------------------------------------------------------------------


async def _visible_cart(ctx: Context, cart_id: str) -> CartRecord | None:
    if ctx.sources.shopping is None:
        return None
    return await ctx.sources.shopping.carts.cart(cart_id, cart_access(ctx))


@uses(DataSource.SHOPPING_DB)
async def on_cart_changed(
    run: Run[None, EntitySubscription],
) -> AsyncGenerator[CartEventView, None]:
    """``Subscription.onCartChanged``: a cart the caller may see (own, or by its token)."""
    shopping_of(run)
    ctx, cart_id = run.ctx, run.arguments.key
    matches = _filter(run.arguments.filter, CART_FILTER_FIELDS)
    await _check_visible(lambda: _visible_cart(ctx, cart_id), "cart")

    async def stream() -> AsyncGenerator[CartEventView, None]:
        async with aclosing(events_of(ctx, Topic.CART_CHANGED, cart_id)) as events:
            async for event in events:
                if not matches.matches(event.payload):
                    continue
                cart = await _check_visible(lambda: _visible_cart(ctx, cart_id), "cart")
                yield CartEventView(cart=cart, at=event.occurred_at)

    return stream()


# --- inventory and prices (public catalog reads) --------------------------------------------


@uses(DataSource.NONE)
async def on_inventory_changed(
    run: Run[None, EntitySubscription],
) -> AsyncGenerator[InventoryEventView, None]:
    """``Subscription.onInventoryChanged``: units available of one SKU."""
    ctx, sku = run.ctx, run.arguments.key.strip()
    if not sku:
        raise BadUserInput("sku: give a SKU")
    matches = _filter(run.arguments.filter, INVENTORY_FILTER_FIELDS)

    async def stream() -> AsyncGenerator[InventoryEventView, None]:
        async with aclosing(events_of(ctx, Topic.INVENTORY_CHANGED, sku)) as events:
            async for event in events:
                if matches.matches(event.payload):
                    yield InventoryEventView(
                        sku=sku, available=int(event.payload["available"]), at=event.occurred_at
                    )

    return stream()


def _price_changes(payload: Mapping[str, Any], matches: EventFilter) -> list[PriceChangeView]:
    changes = []
    for variant in payload.get("variants", ()):
        if not matches.matches(variant):
            continue
        currency = str(variant["currency"])
        old = variant.get("oldAmount")
        changes.append(
            PriceChangeView(
                sku=str(variant["sku"]),
                old_price=None if old is None else Money(int(old), currency),
                price=Money(int(variant["amount"]), currency),
            )
        )
    return changes


@uses(DataSource.CATALOG)
async def on_price_changed(
    run: Run[None, EntitySubscription],
) -> AsyncGenerator[PriceEventView, None]:
    """``Subscription.onPriceChanged``: a product's variant price moves; the filter applies
    to each variant's move (sku, amount, oldAmount, currency) and keeps those that match."""
    ctx, product_id = run.ctx, run.arguments.key
    matches = _filter(run.arguments.filter, PRICE_FILTER_FIELDS)
    await _check_visible(
        lambda: _first(ctx.sources.catalog.products_by_ids([product_id])), "product"
    )

    async def stream() -> AsyncGenerator[PriceEventView, None]:
        async with aclosing(events_of(ctx, Topic.PRICE_CHANGED, product_id)) as events:
            async for event in events:
                changes = _price_changes(event.payload, matches)
                if not changes:
                    continue
                product = (await ctx.sources.catalog.products_by_ids([product_id]))[0]
                yield PriceEventView(
                    product=product,
                    product_id=product_id,
                    changes=tuple(changes),
                    at=event.occurred_at,
                )

    return stream()


async def _first(pending: Awaitable[list[T | None]]) -> T | None:
    return (await pending)[0]


# --- render jobs (merchant admins) ----------------------------------------------------------


async def _job(ctx: Context, job_id: str) -> IngestJobRecord | None:
    if ctx.sources.jobs is None:
        return None
    return (await ctx.sources.jobs.jobs.jobs_by_ids([job_id]))[0]


@uses(DataSource.CATALOG)
async def on_render_job_progress(
    run: Run[None, EntitySubscription],
) -> AsyncGenerator[RenderJobEventView, None]:
    """``Subscription.onRenderJobProgress``: an ingest job's stages (merchant admins)."""
    ctx, job_id = run.ctx, run.arguments.key
    matches = _filter(run.arguments.filter, RENDER_JOB_FILTER_FIELDS)
    await _check_visible(lambda: _job(ctx, job_id), "render job")

    async def stream() -> AsyncGenerator[RenderJobEventView, None]:
        async with aclosing(events_of(ctx, Topic.RENDER_JOB_PROGRESS, job_id)) as events:
            async for event in events:
                if not matches.matches(event.payload):
                    continue
                yield RenderJobEventView(
                    job=await _job(ctx, job_id),
                    job_id=job_id,
                    stage=str(event.payload["stage"]),
                    percent=int(event.payload["percent"]),
                    at=event.occurred_at,
                )

    return stream()
