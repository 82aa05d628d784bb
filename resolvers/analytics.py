"""``Mutation.trackEvents``: validate a batch of shopper events, keep the good ones.

Each event is checked on its own (partial acceptance): the accepted ones go to the sink in
one call and feed the trending counters; each refused one is reported by its index with a
code. The batch as a whole is refused (``BAD_USER_INPUT``) only when it is empty or holds
more than 100 events, and throttled (``THROTTLED``) when the caller's event bucket is
empty: a batch of n events costs n points.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from datasources.analytics.records import (
    TRENDING_WEIGHTS,
    AnalyticsEvent,
    AnalyticsEventType,
    TrendingHit,
)
from datasources.records import ProductRecord, ProductStatus
from resolvers.context import AnalyticsSources, AuthMode, rate_limit_key
from resolvers.errors import BadUserInput, InvalidId, ResolverError, ServiceNotConfigured
from resolvers.global_ids import expect_global_id
from resolvers.kit import DataSource, Run, uses

MAX_EVENTS = 100
MAX_QUERY_CHARS = 200
MAX_CLOCK_SKEW = timedelta(minutes=5)
MAX_EVENT_AGE = timedelta(hours=24)
SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
PRODUCT_EVENTS = frozenset(TRENDING_WEIGHTS)
SKU_EVENTS = frozenset({AnalyticsEventType.VARIANT_SWITCHED, AnalyticsEventType.ADDED_TO_CART})


class AnalyticsEventErrorCode(StrEnum):
    """Why one event was refused."""

    INVALID_SESSION_ID = "INVALID_SESSION_ID"
    PRODUCT_REQUIRED = "PRODUCT_REQUIRED"
    INVALID_PRODUCT_ID = "INVALID_PRODUCT_ID"
    UNKNOWN_PRODUCT = "UNKNOWN_PRODUCT"
    SKU_REQUIRED = "SKU_REQUIRED"
    UNKNOWN_SKU = "UNKNOWN_SKU"
    QUERY_REQUIRED = "QUERY_REQUIRED"
    QUERY_TOO_LONG = "QUERY_TOO_LONG"
    UNEXPECTED_FIELD = "UNEXPECTED_FIELD"
    IN_THE_FUTURE = "IN_THE_FUTURE"
    TOO_OLD = "TOO_OLD"
    NOT_DELIVERED = "NOT_DELIVERED"


@dataclass(frozen=True)
class EventInput:
    """One event as sent (``product_id`` still a global ID)."""

    type: AnalyticsEventType
    session_id: str
    occurred_at: datetime | None = None
    product_id: str | None = None
    sku: str | None = None
    query: str | None = None


@dataclass(frozen=True)
class AnalyticsEventError:
    """A refused event: its index in the batch, a code and a message."""

    index: int
    code: AnalyticsEventErrorCode
    message: str


@dataclass(frozen=True)
class TrackEventsResult:
    """How many events were accepted, and why the others were not."""

    accepted: int
    errors: tuple[AnalyticsEventError, ...]


class Throttled(ResolverError):
    """The caller sent more events than its bucket allows; retry after the hint."""

    error_type = "Throttled"
    code = "THROTTLED"


class _Refused(Exception):
    def __init__(self, code: AnalyticsEventErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code


def _analytics(run: Run[Any, Any]) -> AnalyticsSources:
    analytics = run.ctx.sources.analytics
    if analytics is None:
        raise ServiceNotConfigured("Shopper analytics are not configured in this deployment")
    return analytics


def _product_id(event: EventInput) -> str | None:
    """The raw product id of ``event``; _Refused when it is required and missing or bad."""
    if event.product_id is None:
        if event.type in PRODUCT_EVENTS:
            raise _Refused(
                AnalyticsEventErrorCode.PRODUCT_REQUIRED, f"{event.type} needs a productId"
            )
        return None
    try:
        return expect_global_id(event.product_id, "Product")
    except InvalidId as error:
        raise _Refused(AnalyticsEventErrorCode.INVALID_PRODUCT_ID, str(error)) from error


def _check_shape(event: EventInput, now: datetime) -> None:
    """The checks that need no product: session, time, query, which fields are allowed."""
    code = AnalyticsEventErrorCode
    if not SESSION_ID.match(event.session_id):
        raise _Refused(
            code.INVALID_SESSION_ID, "sessionId must be 8 to 64 letters, digits, '-' or '_'"
        )
    at = event.occurred_at
    if at is not None:
        if at.tzinfo is None:
            at = at.replace(tzinfo=UTC)
        if at > now + MAX_CLOCK_SKEW:
            raise _Refused(code.IN_THE_FUTURE, "occurredAt is more than 5 minutes ahead")
        if at < now - MAX_EVENT_AGE:
            raise _Refused(code.TOO_OLD, "occurredAt is more than 24 hours ago")
    if event.type is AnalyticsEventType.SEARCHED:
        if event.query is None or not event.query.strip():
            raise _Refused(code.QUERY_REQUIRED, "SEARCHED needs a non-empty query")
        if len(event.query) > MAX_QUERY_CHARS:
            raise _Refused(code.QUERY_TOO_LONG, f"query is longer than {MAX_QUERY_CHARS}")
        if event.product_id is not None or event.sku is not None:
            raise _Refused(code.UNEXPECTED_FIELD, "SEARCHED takes no productId or sku")
    elif event.query is not None:
        raise _Refused(code.UNEXPECTED_FIELD, f"{event.type} takes no query")
    if event.type in SKU_EVENTS and not event.sku:
        raise _Refused(code.SKU_REQUIRED, f"{event.type} needs the sku of the variant")
    if event.type not in SKU_EVENTS and event.sku is not None:
        raise _Refused(code.UNEXPECTED_FIELD, f"{event.type} takes no sku")


def _check_product(event: EventInput, product: ProductRecord | None) -> None:
    if product is None or product.status is not ProductStatus.ACTIVE:
        raise _Refused(AnalyticsEventErrorCode.UNKNOWN_PRODUCT, "No such product")
    if event.sku is not None and event.sku not in {v.sku for v in product.variants}:
        raise _Refused(AnalyticsEventErrorCode.UNKNOWN_SKU, "The product has no such sku")


@uses(DataSource.ANALYTICS, DataSource.CATALOG)
async def track_events(run: Run[None, Sequence[EventInput]]) -> TrackEventsResult:
    """``Mutation.trackEvents``: charge, validate each event, store the accepted ones."""
    events = run.arguments
    if not events or len(events) > MAX_EVENTS:
        raise BadUserInput(f"events must hold 1 to {MAX_EVENTS} events, got {len(events)}")
    analytics = _analytics(run)
    if analytics.limiter is not None:
        key = "events:" + rate_limit_key(run.identity, run.ctx.client_ip)
        throttle = await analytics.limiter.charge(key, float(len(events)))
        if not throttle.allowed:
            raise Throttled(
                f"Too many events: retry in {throttle.retry_after_seconds:.1f} s "
                f"(bucket of {throttle.maximum_available:g} events, "
                f"{throttle.restore_rate:g} per second)"
            )
    now = datetime.now(UTC)
    errors: dict[int, AnalyticsEventError] = {}
    product_ids: dict[int, str] = {}
    for index, event in enumerate(events):
        try:
            _check_shape(event, now)
            pid = _product_id(event)
        except _Refused as refused:
            errors[index] = AnalyticsEventError(index, refused.code, str(refused))
            continue
        if pid is not None:
            product_ids[index] = pid
    products = dict(
        zip(
            product_ids.values(),
            await run.ctx.loaders.product_by_id.load_many(list(product_ids.values())),
            strict=True,
        )
    )
    accepted: list[tuple[int, AnalyticsEvent, ProductRecord | None]] = []
    subject = (
        run.identity.subject if run.identity.mode is AuthMode.AMAZON_COGNITO_USER_POOLS else None
    )
    for index, event in enumerate(events):
        if index in errors:
            continue
        product = products.get(product_ids[index]) if index in product_ids else None
        try:
            if index in product_ids:
                _check_product(event, product)
        except _Refused as refused:
            errors[index] = AnalyticsEventError(index, refused.code, str(refused))
            continue
        at = event.occurred_at or now
        record = AnalyticsEvent(
            event_id=uuid.uuid4().hex,
            type=event.type,
            occurred_at=at if at.tzinfo is not None else at.replace(tzinfo=UTC),
            received_at=now,
            session_id=event.session_id,
            user_sub=subject,
            product_id=product_ids.get(index),
            sku=event.sku,
            query=event.query,
        )
        accepted.append((index, record, product))
    failed = set(await analytics.sink.put([record for _, record, _ in accepted]))
    delivered = []
    for position, (index, record, product) in enumerate(accepted):
        if position in failed:
            errors[index] = AnalyticsEventError(
                index, AnalyticsEventErrorCode.NOT_DELIVERED, "The event store refused it; retry"
            )
        else:
            delivered.append((record, product))
    await analytics.trending.add(
        [
            TrendingHit(
                department=product.category_path[0]
                if product.category_path
                else product.category_id,
                product_id=product.id,
                at=record.occurred_at,
                weight=TRENDING_WEIGHTS[record.type],
            )
            for record, product in delivered
            if product is not None and record.type in TRENDING_WEIGHTS
        ]
    )
    return TrackEventsResult(
        accepted=len(delivered), errors=tuple(errors[i] for i in sorted(errors))
    )
