"""In-memory shopping store satisfying the shopping ports, for unit tests of resolver logic.

One ``FakeShop`` holds the state; ``FakeInventory``, ``FakeCartStore``, ``FakeDiscountCodes``,
``FakeOrderStore``, ``FakeCheckout`` and ``FakeIdempotencyStore`` are its port views. The
rules follow the PostgreSQL adapters (versions, visibility, the 1..99 limit, the order state
machine and its side effects, Stripe-style idempotency); the PostgreSQL tests remain the
proof of locking and concurrency. Every write runs without awaiting, so it is atomic under
asyncio.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import orjson

from datasources.errors import (
    AlreadyExists,
    CartNotActive,
    CartNotFound,
    CartVersionConflict,
    CurrencyMismatch,
    DataSourceUnavailable,
    EmptyCart,
    IdempotencyConflict,
    IdempotencyKeyReused,
    IllegalTransition,
    InsufficientStock,
    InvalidCursor,
    InvalidDiscount,
    InvalidQuantity,
    NotFound,
    OrderNotFound,
    PaymentTimeout,
    StockBelowCommitted,
    StockNotTracked,
)
from datasources.instrumentation import record_call
from datasources.payments.simulated import TestPaymentProvider
from datasources.ports import (
    CartStore,
    CheckoutService,
    DiscountCodes,
    IdempotencyStore,
    Inventory,
    OrderStore,
    PaymentProvider,
    ShippingCalculator,
    TaxCalculator,
)
from datasources.pricing import FlatRateShipping, NoTax, price_lines, totals
from datasources.records import Money, Page
from datasources.shopping_records import (
    IDEMPOTENCY_LOCK_TIMEOUT,
    IDEMPOTENCY_TTL,
    MAX_LINE_QUANTITY,
    MIN_LINE_QUANTITY,
    RELEASES_ALLOCATION,
    AnonymousCart,
    CartAccess,
    CartLineRecord,
    CartRecord,
    CartStatus,
    CheckoutOutcome,
    CheckoutRequest,
    CheckoutResult,
    CoPurchase,
    DiscountCodeRecord,
    DiscountRejection,
    IdempotencyBegin,
    IdempotencyState,
    OrderEventRecord,
    OrderFilter,
    OrderLineRecord,
    OrderRecord,
    OrderStatus,
    PaymentOutcome,
    PaymentRecord,
    PaymentRequest,
    PaymentResult,
    PaymentStatus,
    ReservationRecord,
    StockAdjustment,
    StockAdjustmentRecord,
    StockLevel,
    StockRequest,
    can_transition,
    check_adjustment,
)
from resolvers.context import ShoppingSources

OPEN = (CartStatus.ACTIVE, CartStatus.CHECKING_OUT)


def _now(now: datetime | None = None) -> datetime:
    return now or datetime.now(UTC)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass
class _Stock:
    on_hand: int
    allocated: int = 0
    version: int = 1


@dataclass
class _Hold:
    record: ReservationRecord
    released: bool = False


@dataclass
class _Cart:
    id: str
    owner_sub: str | None
    token_hash: str | None
    currency: str
    status: CartStatus = CartStatus.ACTIVE
    version: int = 1
    lines: dict[str, CartLineRecord] = field(default_factory=dict)
    discount_code: str | None = None
    merged_into: str | None = None
    created_at: datetime = field(default_factory=_now)
    updated_at: datetime = field(default_factory=_now)

    def record(self) -> CartRecord:
        return CartRecord(
            id=self.id,
            owner_sub=self.owner_sub,
            currency=self.currency,
            status=self.status,
            version=self.version,
            lines=tuple(sorted(self.lines.values(), key=lambda line: (line.added_at, line.sku))),
            discount_code=self.discount_code,
            created_at=self.created_at,
            updated_at=self.updated_at,
        )

    def visible_to(self, access: CartAccess) -> bool:
        if access.owner_sub and self.owner_sub == access.owner_sub:
            return True
        return bool(
            access.anonymous_token
            and self.owner_sub is None
            and self.token_hash == hash_token(access.anonymous_token)
        )


@dataclass
class _Idempotency:
    request_hash: str
    response: Mapping[str, object] | None
    created_at: datetime
    expires_at: datetime


@dataclass
class FakeShop:
    """The whole transactional store in dictionaries."""

    stock: dict[str, _Stock] = field(default_factory=dict)
    holds: list[_Hold] = field(default_factory=list)
    carts: dict[str, _Cart] = field(default_factory=dict)
    discounts: dict[str, DiscountCodeRecord] = field(default_factory=dict)
    orders: dict[str, OrderRecord] = field(default_factory=dict)
    order_keys: dict[tuple[str, str], str] = field(default_factory=dict)
    events: dict[str, list[OrderEventRecord]] = field(default_factory=dict)
    payments: dict[str, list[PaymentRecord]] = field(default_factory=dict)
    idempotency: dict[tuple[str, str], _Idempotency] = field(default_factory=dict)
    adjustments: list[StockAdjustmentRecord] = field(default_factory=list)
    next_number: int = 1000
    next_event: int = 1
    down: bool = False
    operations: list[str] = field(default_factory=list)
    """Every store operation called, in order (for counting round trips)."""

    def call(self, operation: str) -> None:
        self.operations.append(operation)
        if self.down:
            raise DataSourceUnavailable("fake shopping store (DATABASE_URL)", "switched off")

    def put_stock(self, sku: str, on_hand: int) -> None:
        """Arrange: ``on_hand`` units of ``sku`` (nothing allocated)."""
        self.stock[sku] = _Stock(on_hand=on_hand)

    # -- helpers shared by the views

    def live_reserved(
        self, sku: str, *, now: datetime | None = None, exclude: str | None = None
    ) -> int:
        at = _now(now)
        return sum(
            h.record.quantity
            for h in self.holds
            if h.record.sku == sku
            and not h.released
            and h.record.expires_at > at
            and h.record.cart_id != exclude
        )

    def level(self, sku: str, *, now: datetime | None = None, exclude: str | None = None):
        stock = self.stock.get(sku)
        if stock is None:
            return None
        return StockLevel(
            sku=sku,
            on_hand=stock.on_hand,
            allocated=stock.allocated,
            reserved=self.live_reserved(sku, now=now, exclude=exclude),
            version=stock.version,
        )

    def ensure_available(
        self, wanted: Mapping[str, int], *, exclude: str | None, now: datetime | None = None
    ) -> None:
        for sku in sorted(wanted):
            level = self.level(sku, now=now, exclude=exclude)
            available = level.available if level is not None else 0
            if wanted[sku] > available:
                raise InsufficientStock(sku, wanted[sku], available)

    def visible_cart(self, cart_id: str, access: CartAccess) -> _Cart | None:
        cart = self.carts.get(cart_id)
        return cart if cart is not None and cart.visible_to(access) else None

    def writable(self, cart_id: str, access: CartAccess, expected_version: int | None) -> _Cart:
        """The cart, if the caller may change it now (nothing is changed yet)."""
        cart = self.visible_cart(cart_id, access)
        if cart is None:
            raise CartNotFound(cart_id)
        if cart.status is not CartStatus.ACTIVE:
            raise CartNotActive(cart_id, cart.status.value)
        if expected_version is not None and cart.version != expected_version:
            raise CartVersionConflict(cart_id, expected_version, cart.version)
        return cart

    @staticmethod
    def touch(cart: _Cart) -> _Cart:
        cart.version += 1
        cart.updated_at = _now()
        return cart

    def bump(self, cart_id: str, access: CartAccess, expected_version: int | None) -> _Cart:
        return self.touch(self.writable(cart_id, access, expected_version))

    def open_cart_of(self, owner_sub: str, currency: str) -> _Cart:
        for cart in self.carts.values():
            if cart.owner_sub == owner_sub and cart.status in OPEN:
                return cart
        cart = _Cart(id=str(uuid.uuid4()), owner_sub=owner_sub, token_hash=None, currency=currency)
        self.carts[cart.id] = cart
        return cart

    def usable_discount(self, code: str, currency: str, now: datetime | None) -> DiscountCodeRecord:
        normalised = code.strip().upper()
        discount = self.discounts.get(normalised)
        if discount is None:
            raise InvalidDiscount(normalised, DiscountRejection.NOT_FOUND.value)
        rejection = discount.rejection(_now(now), currency)
        if rejection is not None:
            raise InvalidDiscount(discount.code, rejection.value)
        return discount

    def add_event(
        self, order_id: str, from_status: OrderStatus | None, to: OrderStatus, actor: str, note
    ) -> None:
        self.events.setdefault(order_id, []).append(
            OrderEventRecord(
                id=self.next_event,
                order_id=order_id,
                from_status=from_status,
                to_status=to,
                actor=actor,
                at=_now(),
                note=note,
            )
        )
        self.next_event += 1

    def move(self, order_id: str, to: OrderStatus, *, actor: str, note: str | None) -> OrderRecord:
        """The state machine and its side effects (see datasources.postgres.shopping.orders)."""
        order = self.orders.get(order_id)
        if order is None:
            raise OrderNotFound(order_id)
        if not can_transition(order.status, to):
            raise IllegalTransition(order_id, order.status.value, to.value)
        if to in RELEASES_ALLOCATION or to is OrderStatus.FULFILLED:
            for line in order.lines:
                stock = self.stock[line.sku]
                stock.allocated -= line.quantity
                if to is OrderStatus.FULFILLED:
                    stock.on_hand -= line.quantity
                stock.version += 1
        if (
            order.status is OrderStatus.PENDING_PAYMENT
            and to is OrderStatus.CANCELLED
            and order.discount_code is not None
        ):
            code = self.discounts[order.discount_code]
            self.discounts[code.code] = replace(code, times_used=max(0, code.times_used - 1))
        cart = self.carts.get(order.cart_id)
        if cart is not None and cart.status is CartStatus.CHECKING_OUT:
            if to is OrderStatus.PAID:
                cart.status = CartStatus.COMPLETED
                cart.version += 1
            elif to is OrderStatus.CANCELLED:
                cart.status = CartStatus.ACTIVE
                cart.version += 1
        self.add_event(order_id, order.status, to, actor, note)
        moved = replace(order, status=to, updated_at=_now())
        self.orders[order_id] = moved
        return moved


class FakeInventory:
    """Inventory port."""

    def __init__(self, shop: FakeShop) -> None:
        self.shop = shop

    async def put_stock(self, sku: str, on_hand: int) -> StockLevel:
        self.shop.call("put_stock")
        if on_hand < 0:
            raise InvalidQuantity(sku, on_hand, 0, 2**31 - 1)
        stock = self.shop.stock.get(sku)
        if stock is None:
            self.shop.stock[sku] = _Stock(on_hand=on_hand)
        else:
            if stock.allocated > on_hand:
                raise InsufficientStock(sku, stock.allocated, on_hand)
            stock.on_hand = on_hand
            stock.version += 1
        level = self.shop.level(sku)
        assert level is not None
        return level

    async def stock_levels(
        self, skus: Sequence[str], *, now: datetime | None = None
    ) -> list[StockLevel | None]:
        with record_call("fake", "stock_levels"):
            self.shop.call("stock_levels")
            return [self.shop.level(sku, now=now) for sku in skus]

    async def available(
        self, skus: Sequence[str], *, now: datetime | None = None
    ) -> dict[str, int]:
        levels = await self.stock_levels(skus, now=now)
        return {
            sku: (level.available if level is not None else 0)
            for sku, level in zip(skus, levels, strict=True)
        }

    async def reserve(
        self,
        cart_id: str,
        lines: Sequence[StockRequest],
        ttl: timedelta,
        *,
        now: datetime | None = None,
    ) -> tuple[ReservationRecord, ...]:
        self.shop.call("reserve")
        if cart_id not in self.shop.carts:
            raise CartNotFound(cart_id)
        wanted: dict[str, int] = {}
        for line in lines:
            if line.quantity < 1:
                raise InvalidQuantity(line.sku, line.quantity, 1, MAX_LINE_QUANTITY)
            wanted[line.sku] = wanted.get(line.sku, 0) + line.quantity
        self.shop.ensure_available(wanted, exclude=cart_id, now=now)
        for hold in self.shop.holds:
            if hold.record.cart_id == cart_id:
                hold.released = True
        at = _now(now)
        made = []
        for sku, quantity in sorted(wanted.items()):
            record = ReservationRecord(str(uuid.uuid4()), cart_id, sku, quantity, at, at + ttl)
            self.shop.holds.append(_Hold(record))
            made.append(record)
        return tuple(made)

    async def reservations(
        self, cart_id: str, *, now: datetime | None = None
    ) -> tuple[ReservationRecord, ...]:
        at = _now(now)
        return tuple(
            sorted(
                (
                    h.record
                    for h in self.shop.holds
                    if h.record.cart_id == cart_id and not h.released and h.record.expires_at > at
                ),
                key=lambda r: r.sku,
            )
        )

    async def release(self, cart_id: str) -> int:
        released = 0
        for hold in self.shop.holds:
            if hold.record.cart_id == cart_id and not hold.released:
                hold.released = True
                released += 1
        return released

    async def expire_reservations(self, now: datetime | None = None) -> int:
        at = _now(now)
        expired = 0
        for hold in self.shop.holds:
            if not hold.released and hold.record.expires_at <= at:
                hold.released = True
                expired += 1
        return expired

    async def adjust_stock(
        self, adjustment: StockAdjustment
    ) -> tuple[StockAdjustmentRecord, StockLevel]:
        self.shop.call("adjust_stock")
        check_adjustment(adjustment)
        stock = self.shop.stock.get(adjustment.sku)
        if stock is None:
            raise StockNotTracked(adjustment.sku)
        after = stock.on_hand + adjustment.delta
        committed = stock.allocated + self.shop.live_reserved(adjustment.sku)
        if after < committed:
            raise StockBelowCommitted(adjustment.sku, stock.on_hand, adjustment.delta, committed)
        record = StockAdjustmentRecord(
            id=len(self.shop.adjustments) + 1,
            sku=adjustment.sku,
            delta=adjustment.delta,
            on_hand_before=stock.on_hand,
            on_hand_after=after,
            reason=adjustment.reason,
            note=adjustment.note,
            actor=adjustment.actor,
            created_at=_now(),
        )
        stock.on_hand = after
        stock.version += 1
        self.shop.adjustments.append(record)
        level = self.shop.level(adjustment.sku)
        assert level is not None
        return record, level

    async def stock_adjustments(
        self, sku: str, *, limit: int = 50
    ) -> tuple[StockAdjustmentRecord, ...]:
        return tuple(a for a in reversed(self.shop.adjustments) if a.sku == sku)[:limit]

    async def check(self) -> None:
        self.shop.call("check")


class FakeCartStore:
    """CartStore port."""

    def __init__(self, shop: FakeShop) -> None:
        self.shop = shop

    async def create_anonymous_cart(self, currency: str) -> AnonymousCart:
        self.shop.call("create_anonymous_cart")
        token = secrets.token_urlsafe(32)
        cart = _Cart(
            id=str(uuid.uuid4()), owner_sub=None, token_hash=hash_token(token), currency=currency
        )
        self.shop.carts[cart.id] = cart
        return AnonymousCart(cart=cart.record(), token=token)

    async def open_cart(self, owner_sub: str, currency: str) -> CartRecord:
        self.shop.call("open_cart")
        return self.shop.open_cart_of(owner_sub, currency).record()

    async def cart(self, cart_id: str, access: CartAccess) -> CartRecord | None:
        with record_call("fake", "cart"):
            self.shop.call("cart")
            cart = self.shop.visible_cart(cart_id, access)
            return None if cart is None else cart.record()

    async def add_line(
        self,
        cart_id: str,
        access: CartAccess,
        *,
        sku: str,
        product_id: str,
        quantity: int,
        expected_version: int | None = None,
    ) -> CartRecord:
        self.shop.call("add_line")
        if not MIN_LINE_QUANTITY <= quantity <= MAX_LINE_QUANTITY:
            raise InvalidQuantity(sku, quantity, MIN_LINE_QUANTITY, MAX_LINE_QUANTITY)
        cart = self.shop.writable(cart_id, access, expected_version)
        held = cart.lines.get(sku)
        total = quantity + (held.quantity if held is not None else 0)
        if total > MAX_LINE_QUANTITY:
            raise InvalidQuantity(sku, total, MIN_LINE_QUANTITY, MAX_LINE_QUANTITY)
        self.shop.touch(cart)
        added_at = held.added_at if held is not None else _now()
        cart.lines[sku] = CartLineRecord(sku, product_id, total, added_at)
        return cart.record()

    async def set_line_quantity(
        self,
        cart_id: str,
        access: CartAccess,
        *,
        sku: str,
        quantity: int,
        expected_version: int | None = None,
    ) -> CartRecord:
        self.shop.call("set_line_quantity")
        if quantity != 0 and not MIN_LINE_QUANTITY <= quantity <= MAX_LINE_QUANTITY:
            raise InvalidQuantity(sku, quantity, MIN_LINE_QUANTITY, MAX_LINE_QUANTITY)
        cart = self.shop.writable(cart_id, access, expected_version)
        if sku not in cart.lines:
            raise NotFound(f"cart {cart_id} has no line for {sku}")
        self.shop.touch(cart)
        if quantity == 0:
            del cart.lines[sku]
        else:
            cart.lines[sku] = replace(cart.lines[sku], quantity=quantity)
        return cart.record()

    async def remove_line(
        self, cart_id: str, access: CartAccess, *, sku: str, expected_version: int | None = None
    ) -> CartRecord:
        self.shop.call("remove_line")
        cart = self.shop.bump(cart_id, access, expected_version)
        cart.lines.pop(sku, None)
        return cart.record()

    async def merge_anonymous(
        self, anonymous_cart_id: str, anonymous_token: str, owner_sub: str
    ) -> CartRecord:
        self.shop.call("merge_anonymous")
        anonymous = self.shop.visible_cart(anonymous_cart_id, CartAccess.token(anonymous_token))
        if anonymous is None:
            raise CartNotFound(anonymous_cart_id)
        if anonymous.status is CartStatus.MERGED:
            target = self.shop.carts.get(anonymous.merged_into or "")
            if target is not None and target.owner_sub == owner_sub:
                return target.record()
        if anonymous.status is not CartStatus.ACTIVE:
            raise CartNotActive(anonymous_cart_id, anonymous.status.value)
        target = self.shop.open_cart_of(owner_sub, anonymous.currency)
        if target.status is not CartStatus.ACTIVE:
            raise CartNotActive(target.id, target.status.value)
        for sku, line in anonymous.lines.items():
            mine = target.lines.get(sku)
            quantity = min(line.quantity + (mine.quantity if mine else 0), MAX_LINE_QUANTITY)
            target.lines[sku] = replace(mine or line, quantity=quantity)
        if target.discount_code is None and anonymous.currency == target.currency:
            target.discount_code = anonymous.discount_code
        target.version += 1
        anonymous.status = CartStatus.MERGED
        anonymous.version += 1
        anonymous.merged_into = target.id
        for hold in self.shop.holds:
            if hold.record.cart_id == anonymous.id:
                hold.released = True
        return target.record()

    async def apply_discount(
        self,
        cart_id: str,
        access: CartAccess,
        code: str,
        *,
        expected_version: int | None = None,
        now: datetime | None = None,
    ) -> CartRecord:
        self.shop.call("apply_discount")
        cart = self.shop.writable(cart_id, access, expected_version)
        discount = self.shop.usable_discount(code, cart.currency, now)
        self.shop.touch(cart)
        cart.discount_code = discount.code
        return cart.record()

    async def remove_discount(
        self, cart_id: str, access: CartAccess, *, expected_version: int | None = None
    ) -> CartRecord:
        self.shop.call("remove_discount")
        cart = self.shop.bump(cart_id, access, expected_version)
        cart.discount_code = None
        return cart.record()


class FakeDiscountCodes:
    """DiscountCodes port."""

    def __init__(self, shop: FakeShop) -> None:
        self.shop = shop

    async def create_discount_code(self, code: DiscountCodeRecord) -> DiscountCodeRecord:
        normalised = replace(code, code=code.code.strip().upper())
        if normalised.code in self.shop.discounts:
            raise AlreadyExists(f"discount code {normalised.code} exists already")
        self.shop.discounts[normalised.code] = normalised
        return normalised

    async def discount_code(self, code: str) -> DiscountCodeRecord | None:
        self.shop.call("discount_code")
        return self.shop.discounts.get(code.strip().upper())


def _cursor(number: int) -> str:
    return base64.urlsafe_b64encode(orjson.dumps({"order": number})).decode()


def _number(cursor: str) -> int:
    try:
        number = orjson.loads(base64.urlsafe_b64decode(cursor.encode()))["order"]
    except (ValueError, KeyError, TypeError) as error:
        raise InvalidCursor("The cursor is not valid") from error
    if not isinstance(number, int):
        raise InvalidCursor("The cursor is not valid")
    return number


class FakeOrderStore:
    """OrderStore port."""

    def __init__(self, shop: FakeShop) -> None:
        self.shop = shop

    async def order(self, order_id: str, owner_sub: str) -> OrderRecord | None:
        self.shop.call("order")
        found = self.shop.orders.get(order_id)
        return found if found is not None and found.owner_sub == owner_sub else None

    async def orders_by_ids(self, order_ids: Sequence[str]) -> list[OrderRecord | None]:
        self.shop.call("orders_by_ids")
        return [self.shop.orders.get(i) for i in order_ids]

    def _page(self, found: list[OrderRecord], first: int, after: str | None) -> Page[OrderRecord]:
        ordered = sorted(found, key=lambda o: o.number, reverse=True)
        start = [o for o in ordered if after is None or o.number < _number(after)]
        page = start[:first]
        return Page(
            items=tuple(page),
            cursors=tuple(_cursor(o.number) for o in page),
            has_next_page=len(start) > first,
            has_previous_page=after is not None,
            total_count=len(ordered),
        )

    async def order_history(
        self, owner_sub: str, *, first: int, after: str | None = None
    ) -> Page[OrderRecord]:
        self.shop.call("order_history")
        mine = [o for o in self.shop.orders.values() if o.owner_sub == owner_sub]
        return self._page(mine, first, after)

    async def list_orders(
        self, order_filter: OrderFilter, *, first: int, after: str | None = None
    ) -> Page[OrderRecord]:
        self.shop.call("list_orders")
        found = [
            o
            for o in self.shop.orders.values()
            if (not order_filter.statuses or o.status in order_filter.statuses)
            and (order_filter.owner_sub is None or o.owner_sub == order_filter.owner_sub)
        ]
        return self._page(found, first, after)

    async def order_events(self, order_id: str) -> tuple[OrderEventRecord, ...]:
        self.shop.call("order_events")
        return tuple(self.shop.events.get(order_id, ()))

    async def payments(self, order_id: str) -> tuple[PaymentRecord, ...]:
        self.shop.call("payments")
        return tuple(self.shop.payments.get(order_id, ()))

    async def events_by_order_ids(
        self, order_ids: Sequence[str]
    ) -> list[tuple[OrderEventRecord, ...]]:
        self.shop.call("events_by_order_ids")
        return [tuple(self.shop.events.get(i, ())) for i in order_ids]

    async def payments_by_order_ids(
        self, order_ids: Sequence[str]
    ) -> list[tuple[PaymentRecord, ...]]:
        self.shop.call("payments_by_order_ids")
        return [tuple(self.shop.payments.get(i, ())) for i in order_ids]

    async def transition(
        self, order_id: str, to: OrderStatus, *, actor: str, note: str | None = None
    ) -> OrderRecord:
        self.shop.call("transition")
        return self.shop.move(order_id, to, actor=actor, note=note)

    async def bought_together(self, product_id: str, first: int) -> tuple[CoPurchase, ...]:
        self.shop.call("bought_together")
        counts: dict[str, int] = {}
        for order in self.shop.orders.values():
            products = {line.product_id for line in order.lines}
            if order.status in (OrderStatus.PAID, OrderStatus.FULFILLED) and product_id in products:
                for other in products - {product_id}:
                    counts[other] = counts.get(other, 0) + 1
        ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        return tuple(CoPurchase(product_id=p, orders=n) for p, n in ranked[:first])

    async def cancel_abandoned(
        self, placed_before: datetime, *, actor: str = "system:reaper"
    ) -> tuple[str, ...]:
        cancelled = []
        for order in list(self.shop.orders.values()):
            paid = any(
                p.status in (PaymentStatus.AUTHORIZED, PaymentStatus.CAPTURED)
                for p in self.shop.payments.get(order.id, ())
            )
            if (
                order.status is OrderStatus.PENDING_PAYMENT
                and order.created_at < placed_before
                and not paid
            ):
                self.shop.move(order.id, OrderStatus.CANCELLED, actor=actor, note="abandoned")
                cancelled.append(order.id)
        return tuple(cancelled)


_AFTER_PAYMENT = {
    PaymentStatus.CAPTURED: OrderStatus.PAID,
    PaymentStatus.DECLINED: OrderStatus.CANCELLED,
    PaymentStatus.REFUNDED: OrderStatus.REFUNDED,
}


class FakeCheckout:
    """CheckoutService port (the same steps as PostgresCheckout, without a database)."""

    def __init__(
        self,
        shop: FakeShop,
        *,
        tax: TaxCalculator | None = None,
        shipping: ShippingCalculator | None = None,
    ) -> None:
        self.shop = shop
        self.tax: TaxCalculator = tax or NoTax()
        self.shipping: ShippingCalculator = shipping or FlatRateShipping()

    async def place_order(self, request: CheckoutRequest) -> OrderRecord:
        self.shop.call("place_order")
        shop = self.shop
        cart = shop.visible_cart(request.cart_id, CartAccess.owner(request.owner_sub))
        if cart is None:
            raise CartNotFound(request.cart_id)
        if cart.status is not CartStatus.ACTIVE:
            keyed = shop.order_keys.get((request.owner_sub, request.idempotency_key or ""))
            if keyed is not None:
                if shop.orders[keyed].cart_id != cart.id:
                    raise IdempotencyKeyReused(request.idempotency_key or "")
                return shop.orders[keyed]
            raise CartNotActive(request.cart_id, cart.status.value)
        expected = request.expected_cart_version
        if expected is not None and cart.version != expected:
            raise CartVersionConflict(request.cart_id, expected, cart.version)
        record = cart.record()
        if not record.lines:
            raise EmptyCart(request.cart_id)
        if (
            request.idempotency_key is not None
            and (request.owner_sub, request.idempotency_key) in shop.order_keys
        ):
            raise IdempotencyKeyReused(request.idempotency_key)
        priced = price_lines(record.lines, request.prices, cart.currency)
        wanted: dict[str, int] = {}
        for line in record.lines:
            wanted[line.sku] = wanted.get(line.sku, 0) + line.quantity
        shop.ensure_available(wanted, exclude=cart.id, now=request.now)
        discount = None
        if cart.discount_code is not None:
            discount = shop.usable_discount(cart.discount_code, cart.currency, request.now)
        due = totals(priced, cart.currency, discount=discount, tax=self.tax, shipping=self.shipping)
        # everything checked: write (nothing above wrote)
        for sku, quantity in wanted.items():
            shop.stock[sku].allocated += quantity
            shop.stock[sku].version += 1
        for hold in shop.holds:
            if hold.record.cart_id == cart.id:
                hold.released = True
        if discount is not None:
            shop.discounts[discount.code] = replace(discount, times_used=discount.times_used + 1)
        order_id = str(uuid.uuid4())
        at = _now(request.now)
        order = OrderRecord(
            id=order_id,
            number=shop.next_number,
            owner_sub=request.owner_sub,
            cart_id=cart.id,
            status=OrderStatus.PENDING_PAYMENT,
            currency=cart.currency,
            lines=tuple(
                OrderLineRecord(p.sku, p.product_id, p.quantity, p.unit_price, p.total)
                for p in priced
            ),
            subtotal=due.subtotal,
            discount_total=due.discount,
            tax_total=due.tax,
            shipping_total=due.shipping,
            total=due.total,
            discount_code=discount.code if discount is not None else None,
            created_at=at,
            updated_at=at,
        )
        shop.next_number += 1
        shop.orders[order_id] = order
        if request.idempotency_key is not None:
            shop.order_keys[(request.owner_sub, request.idempotency_key)] = order_id
        shop.add_event(
            order_id,
            None,
            OrderStatus.PENDING_PAYMENT,
            request.actor or f"shopper:{request.owner_sub}",
            "order placed",
        )
        cart.status = CartStatus.CHECKING_OUT
        cart.version += 1
        return order

    async def settle_payment(
        self, order_id: str, result: PaymentResult, *, actor: str
    ) -> OrderRecord:
        order, _ = self._settle(order_id, result, actor=actor)
        return order

    def _settle(
        self, order_id: str, result: PaymentResult, *, actor: str
    ) -> tuple[OrderRecord, PaymentRecord]:
        self.shop.call("settle_payment")
        order = self.shop.orders.get(order_id)
        if order is None:
            raise OrderNotFound(order_id)
        if result.amount.currency != order.currency:
            raise CurrencyMismatch(order.currency, result.amount.currency, "the payment")
        attempts = self.shop.payments.setdefault(order_id, [])
        same = next(
            (
                i
                for i, p in enumerate(attempts)
                if (p.provider, p.provider_ref) == (result.provider, result.provider_ref)
            ),
            None,
        )
        now = _now()
        if same is None:
            payment = PaymentRecord(
                id=str(uuid.uuid4()),
                order_id=order_id,
                provider=result.provider,
                provider_ref=result.provider_ref,
                status=result.status,
                amount=result.amount,
                failure_code=result.failure_code,
                next_action_url=result.next_action_url,
                created_at=now,
                updated_at=now,
            )
            attempts.append(payment)
        else:
            payment = replace(
                attempts[same],
                status=result.status,
                failure_code=result.failure_code,
                next_action_url=result.next_action_url,
                updated_at=now,
            )
            attempts[same] = payment
        target = _AFTER_PAYMENT.get(result.status)
        if target is not None and target is not order.status:
            note = f"payment {result.status.value.lower()} by {result.provider}"
            order = self.shop.move(order_id, target, actor=actor, note=note)
        return self.shop.orders[order_id], payment

    async def checkout(
        self, request: CheckoutRequest, *, payment_token: str, provider: PaymentProvider
    ) -> CheckoutResult:
        order = await self.place_order(request)
        if order.status is not OrderStatus.PENDING_PAYMENT:
            outcome = {
                OrderStatus.CANCELLED: CheckoutOutcome.DECLINED,
            }.get(order.status, CheckoutOutcome.PAID)
            return CheckoutResult(outcome, order)
        actor = "system:payments"
        if order.total.amount == 0:
            free = PaymentResult("none", f"free:{order.id}", PaymentStatus.CAPTURED, order.total)
            settled, payment = self._settle(order.id, free, actor=actor)
            return CheckoutResult(CheckoutOutcome.PAID, settled, payment)
        try:
            authorization = await provider.authorize(
                PaymentRequest(order.id, order.total, payment_token, f"{order.id}:authorize")
            )
        except PaymentTimeout as timeout:
            unknown = PaymentResult(
                provider.name,
                f"timeout:{order.id}",
                PaymentStatus.TIMED_OUT,
                order.total,
                failure_code=timeout.code,
            )
            settled, payment = self._settle(order.id, unknown, actor=actor)
            return CheckoutResult(CheckoutOutcome.PAYMENT_TIMED_OUT, settled, payment)
        status = {
            PaymentOutcome.SUCCEEDED: PaymentStatus.AUTHORIZED,
            PaymentOutcome.DECLINED: PaymentStatus.DECLINED,
            PaymentOutcome.REQUIRES_ACTION: PaymentStatus.REQUIRES_ACTION,
        }[authorization.outcome]
        if authorization.outcome is PaymentOutcome.SUCCEEDED:
            captured = await provider.capture(
                authorization.provider_ref, order.total, idempotency_key=f"{order.id}:capture"
            )
            status = (
                PaymentStatus.CAPTURED
                if captured is PaymentOutcome.SUCCEEDED
                else PaymentStatus.DECLINED
            )
        settled, payment = self._settle(
            order.id,
            PaymentResult(
                provider.name,
                authorization.provider_ref,
                status,
                order.total,
                failure_code=authorization.decline_code,
                next_action_url=authorization.next_action_url,
            ),
            actor=actor,
        )
        if settled.status is OrderStatus.PAID:
            outcome = CheckoutOutcome.PAID
        elif settled.status is OrderStatus.CANCELLED:
            outcome = CheckoutOutcome.DECLINED
        else:
            outcome = CheckoutOutcome.REQUIRES_ACTION
        return CheckoutResult(outcome, settled, payment)


class FakeIdempotencyStore:
    """IdempotencyStore port (Stripe's semantics)."""

    def __init__(self, shop: FakeShop) -> None:
        self.shop = shop

    async def begin(
        self,
        scope: str,
        key: str,
        request_hash: str,
        *,
        ttl: timedelta = IDEMPOTENCY_TTL,
        lock_timeout: timedelta = IDEMPOTENCY_LOCK_TIMEOUT,
        now: datetime | None = None,
    ) -> IdempotencyBegin:
        self.shop.call("begin")
        if not key or len(key) > 255:
            raise ValueError("an idempotency key is 1 to 255 characters")
        at = _now(now)
        found = self.shop.idempotency.get((scope, key))
        stale = found is not None and (
            found.expires_at <= at
            or (
                found.response is None
                and found.request_hash == request_hash
                and found.created_at <= at - lock_timeout
            )
        )
        if found is None or stale:
            self.shop.idempotency[(scope, key)] = _Idempotency(request_hash, None, at, at + ttl)
            return IdempotencyBegin(IdempotencyState.STARTED, created_at=at, expires_at=at + ttl)
        if found.request_hash != request_hash:
            raise IdempotencyKeyReused(key)
        if found.response is None:
            raise IdempotencyConflict(key)
        # stored as JSON, as PostgreSQL stores it
        return IdempotencyBegin(
            IdempotencyState.REPLAY,
            response=orjson.loads(orjson.dumps(dict(found.response))),
            created_at=found.created_at,
            expires_at=found.expires_at,
        )

    async def complete(self, scope: str, key: str, response: Mapping[str, object]) -> None:
        found = self.shop.idempotency.get((scope, key))
        if found is not None and found.response is None:
            found.response = orjson.loads(orjson.dumps(dict(response)))

    async def abandon(self, scope: str, key: str) -> None:
        found = self.shop.idempotency.get((scope, key))
        if found is not None and found.response is None:
            del self.shop.idempotency[(scope, key)]

    async def purge_expired(self, now: datetime | None = None) -> int:
        at = _now(now)
        gone = [k for k, v in self.shop.idempotency.items() if v.expires_at <= at]
        for k in gone:
            del self.shop.idempotency[k]
        return len(gone)


def fake_shopping(
    shop: FakeShop | None = None,
    *,
    payments: PaymentProvider | None = None,
    tax: TaxCalculator | None = None,
    shipping: ShippingCalculator | None = None,
) -> tuple[ShoppingSources, FakeShop]:
    """Shopping data sources over one in-memory shop (and the shop, to arrange and assert)."""
    shop = shop or FakeShop()
    tax = tax or NoTax()
    shipping = shipping or FlatRateShipping()
    sources = ShoppingSources(
        inventory=FakeInventory(shop),
        carts=FakeCartStore(shop),
        discounts=FakeDiscountCodes(shop),
        orders=FakeOrderStore(shop),
        checkout=FakeCheckout(shop, tax=tax, shipping=shipping),
        idempotency=FakeIdempotencyStore(shop),
        payments=payments or TestPaymentProvider(),
        tax=tax,
        shipping=shipping,
    )
    return sources, shop


def eur(amount: int) -> Money:
    return Money(amount, "EUR")


if TYPE_CHECKING:
    _shop = FakeShop()
    _inventory: Inventory = FakeInventory(_shop)
    _carts: CartStore = FakeCartStore(_shop)
    _discounts: DiscountCodes = FakeDiscountCodes(_shop)
    _orders: OrderStore = FakeOrderStore(_shop)
    _checkout: CheckoutService = FakeCheckout(_shop)
    _idempotency: IdempotencyStore = FakeIdempotencyStore(_shop)
