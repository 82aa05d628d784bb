"""Records of the transactional store: stock, carts, discount codes, orders and payments.

Money is always :class:`~datasources.records.Money` (integer minor units plus currency). The
records are frozen so loaders and caches may share them; ids are strings (UUIDs in text).

The order state machine (``ORDER_TRANSITIONS``)::

    PENDING_PAYMENT ──► PAID ──► FULFILLED
          │              │
          ▼              ▼
      CANCELLED       REFUNDED

- ``PENDING_PAYMENT → PAID``: the payment was captured; the cart becomes COMPLETED.
- ``PENDING_PAYMENT → CANCELLED``: declined, abandoned or cancelled before payment; the stock
  allocation is released, the discount code's use is given back and the cart is ACTIVE again.
- ``PAID → FULFILLED``: shipped; the allocated units leave the warehouse (``on_hand`` and
  ``allocated`` both drop).
- ``PAID → REFUNDED``: a paid order cancelled before shipping is refunded (there is no
  ``PAID → CANCELLED``: money taken is always given back through REFUNDED, so the audit trail
  says so); the allocation is released.
- FULFILLED, CANCELLED and REFUNDED are final (returns after shipping are a later feature).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from datasources.errors import InvalidQuantity
from datasources.records import Money

MIN_LINE_QUANTITY = 1
MAX_LINE_QUANTITY = 99
IDEMPOTENCY_TTL = timedelta(hours=24)
"""How long an idempotency key is remembered (Stripe keeps them 24 hours)."""
IDEMPOTENCY_LOCK_TIMEOUT = timedelta(seconds=60)
"""After this long an unfinished request's claim on its key may be taken over."""


class CartStatus(StrEnum):
    """Lifecycle of a cart."""

    ACTIVE = "ACTIVE"
    """Editable by its owner."""
    CHECKING_OUT = "CHECKING_OUT"
    """An order was placed from it and awaits payment; edits are refused."""
    COMPLETED = "COMPLETED"
    """Its order was paid."""
    MERGED = "MERGED"
    """An anonymous cart whose lines moved into its shopper's cart at sign-in."""


class DiscountKind(StrEnum):
    """How a discount code reduces the subtotal."""

    PERCENTAGE = "PERCENTAGE"
    """``value`` is basis points of the subtotal (1500 = 15 %), rounded down."""
    FIXED = "FIXED"
    """``value`` is minor units of ``currency``, at most the subtotal."""


class DiscountRejection(StrEnum):
    """Why a discount code cannot be used (``InvalidDiscount.reason``)."""

    NOT_FOUND = "NOT_FOUND"
    INACTIVE = "INACTIVE"
    NOT_STARTED = "NOT_STARTED"
    EXPIRED = "EXPIRED"
    EXHAUSTED = "EXHAUSTED"
    CURRENCY_MISMATCH = "CURRENCY_MISMATCH"


class OrderStatus(StrEnum):
    """States of an order; see the module docstring for the legal moves."""

    PENDING_PAYMENT = "PENDING_PAYMENT"
    PAID = "PAID"
    FULFILLED = "FULFILLED"
    CANCELLED = "CANCELLED"
    REFUNDED = "REFUNDED"


ORDER_TRANSITIONS: Mapping[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.PENDING_PAYMENT: frozenset({OrderStatus.PAID, OrderStatus.CANCELLED}),
    OrderStatus.PAID: frozenset({OrderStatus.FULFILLED, OrderStatus.REFUNDED}),
    OrderStatus.FULFILLED: frozenset(),
    OrderStatus.CANCELLED: frozenset(),
    OrderStatus.REFUNDED: frozenset(),
}

RELEASES_ALLOCATION: frozenset[OrderStatus] = frozenset(
    {OrderStatus.CANCELLED, OrderStatus.REFUNDED}
)
"""Entering these states gives the order's allocated units back to the shelf."""


def can_transition(current: OrderStatus, target: OrderStatus) -> bool:
    """Whether an order may move from ``current`` to ``target``."""
    return target in ORDER_TRANSITIONS[current]


class PaymentStatus(StrEnum):
    """State of one payment attempt, as stored."""

    AUTHORIZED = "AUTHORIZED"
    CAPTURED = "CAPTURED"
    DECLINED = "DECLINED"
    REQUIRES_ACTION = "REQUIRES_ACTION"
    TIMED_OUT = "TIMED_OUT"
    REFUNDED = "REFUNDED"
    VOIDED = "VOIDED"
    """The authorization was cancelled with the provider before any capture."""


OPEN_PAYMENTS: frozenset[PaymentStatus] = frozenset(
    {PaymentStatus.AUTHORIZED, PaymentStatus.REQUIRES_ACTION}
)
"""Payments the provider still holds open: cancelling their order voids them first."""


class VoidOutcome(StrEnum):
    """What a payment provider answered to a void (cancel) of an authorization."""

    VOIDED = "VOIDED"
    """Cancelled: nothing will be captured."""
    ALREADY_CAPTURED = "ALREADY_CAPTURED"
    """Too late: the money was taken (refund it instead)."""


class PaymentOutcome(StrEnum):
    """What a payment provider answered to an authorization."""

    SUCCEEDED = "SUCCEEDED"
    DECLINED = "DECLINED"
    REQUIRES_ACTION = "REQUIRES_ACTION"


class CheckoutOutcome(StrEnum):
    """How a whole checkout ended."""

    PAID = "PAID"
    """Order PAID, cart COMPLETED."""
    DECLINED = "DECLINED"
    """Order CANCELLED, allocation released, cart ACTIVE again for another attempt."""
    REQUIRES_ACTION = "REQUIRES_ACTION"
    """Order PENDING_PAYMENT until the shopper completes the provider's challenge."""
    PAYMENT_TIMED_OUT = "PAYMENT_TIMED_OUT"
    """Order PENDING_PAYMENT; the outcome is unknown until the provider is asked again or
    the order is reaped by ``OrderStore.cancel_abandoned``."""


# --- stock -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StockLevel:
    """Stock of a SKU: available = on hand - allocated - live (unexpired) reservations."""

    sku: str
    on_hand: int
    allocated: int
    reserved: int
    version: int

    @property
    def available(self) -> int:
        """Units a new reservation or order may still take (never below zero)."""
        return max(0, self.on_hand - self.allocated - self.reserved)


class StockAdjustmentReason(StrEnum):
    """Why a merchant changed the units on hand."""

    RECEIVED = "RECEIVED"
    RETURNED = "RETURNED"
    DAMAGED = "DAMAGED"
    LOST = "LOST"
    COUNT_CORRECTION = "COUNT_CORRECTION"


MAX_STOCK_ADJUSTMENT = 1_000_000
"""The largest change of units on hand one adjustment may make, either way."""


@dataclass(frozen=True, slots=True)
class StockAdjustment:
    """A merchant's change of a SKU's units on hand (``delta`` is never zero)."""

    sku: str
    delta: int
    reason: StockAdjustmentReason
    actor: str
    note: str | None = None


def check_adjustment(adjustment: StockAdjustment) -> None:
    """InvalidQuantity unless ``delta`` is non-zero and within ±MAX_STOCK_ADJUSTMENT."""
    if adjustment.delta == 0 or abs(adjustment.delta) > MAX_STOCK_ADJUSTMENT:
        raise InvalidQuantity(
            adjustment.sku, adjustment.delta, -MAX_STOCK_ADJUSTMENT, MAX_STOCK_ADJUSTMENT
        )


@dataclass(frozen=True, slots=True)
class StockAdjustmentRecord:
    """One audited change of units on hand, with the levels before and after."""

    id: int
    sku: str
    delta: int
    on_hand_before: int
    on_hand_after: int
    reason: StockAdjustmentReason
    note: str | None
    actor: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class StockRequest:
    """A quantity of one SKU asked for by a cart or an order."""

    sku: str
    quantity: int


@dataclass(frozen=True, slots=True)
class ReservationRecord:
    """A cart's hold on units of a SKU until ``expires_at``."""

    id: str
    cart_id: str
    sku: str
    quantity: int
    created_at: datetime
    expires_at: datetime


# --- carts -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CartAccess:
    """Who asks for a cart: a signed-in shopper's subject and/or an anonymous cart token.

    A cart is visible when its owner is ``owner_sub``, or when it is anonymous and its token
    is ``anonymous_token``.
    """

    owner_sub: str | None = None
    anonymous_token: str | None = None

    @classmethod
    def owner(cls, owner_sub: str) -> CartAccess:
        """A signed-in shopper."""
        return cls(owner_sub=owner_sub)

    @classmethod
    def token(cls, anonymous_token: str) -> CartAccess:
        """A visitor holding an anonymous cart token."""
        return cls(anonymous_token=anonymous_token)


@dataclass(frozen=True, slots=True)
class CartLineRecord:
    """A SKU in a cart; prices are not stored, they come from the catalog at read time."""

    sku: str
    product_id: str
    quantity: int
    added_at: datetime


@dataclass(frozen=True, slots=True)
class CartRecord:
    """A cart and its lines (ordered by when they were added)."""

    id: str
    owner_sub: str | None
    currency: str
    status: CartStatus
    version: int
    lines: tuple[CartLineRecord, ...]
    discount_code: str | None
    created_at: datetime
    updated_at: datetime

    @property
    def is_anonymous(self) -> bool:
        """Whether the cart belongs to a token rather than a shopper."""
        return self.owner_sub is None

    def line(self, sku: str) -> CartLineRecord | None:
        """The line of ``sku``, if in the cart."""
        return next((line for line in self.lines if line.sku == sku), None)

    @property
    def item_count(self) -> int:
        """Units in the cart."""
        return sum(line.quantity for line in self.lines)


@dataclass(frozen=True, slots=True)
class AnonymousCart:
    """A new anonymous cart and its bearer token (shown once; only its hash is stored)."""

    cart: CartRecord
    token: str


@dataclass(frozen=True, slots=True)
class DiscountCodeRecord:
    """A discount code; ``usage_limit`` None means unlimited."""

    code: str
    kind: DiscountKind
    value: int
    currency: str | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    usage_limit: int | None = None
    times_used: int = 0
    active: bool = True

    def rejection(self, now: datetime, currency: str) -> DiscountRejection | None:
        """Why the code cannot be used at ``now`` on a ``currency`` cart, or None if it can."""
        if not self.active:
            return DiscountRejection.INACTIVE
        if self.starts_at is not None and now < self.starts_at:
            return DiscountRejection.NOT_STARTED
        if self.ends_at is not None and now >= self.ends_at:
            return DiscountRejection.EXPIRED
        if self.usage_limit is not None and self.times_used >= self.usage_limit:
            return DiscountRejection.EXHAUSTED
        if self.kind is DiscountKind.FIXED and self.currency != currency:
            return DiscountRejection.CURRENCY_MISMATCH
        return None


# --- pricing ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PricedLine:
    """A cart line at its current catalog price."""

    sku: str
    product_id: str
    quantity: int
    unit_price: Money
    total: Money


@dataclass(frozen=True, slots=True)
class Totals:
    """Totals of a cart or order; ``total = subtotal - discount + tax + shipping``."""

    subtotal: Money
    discount: Money
    tax: Money
    shipping: Money
    total: Money


@dataclass(frozen=True, slots=True)
class PricedCart:
    """A cart's lines priced from the catalog, with its totals."""

    lines: tuple[PricedLine, ...]
    totals: Totals
    discount_code: str | None


# --- orders ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OrderLineRecord:
    """A line of an order, priced when the order was placed."""

    sku: str
    product_id: str
    quantity: int
    unit_price: Money
    total: Money


@dataclass(frozen=True, slots=True)
class CoPurchase:
    """A product bought together with another: on how many paid or fulfilled orders."""

    product_id: str
    orders: int


@dataclass(frozen=True, slots=True)
class OrderRecord:
    """An order with its lines and totals."""

    id: str
    number: int
    owner_sub: str
    cart_id: str
    status: OrderStatus
    currency: str
    lines: tuple[OrderLineRecord, ...]
    subtotal: Money
    discount_total: Money
    tax_total: Money
    shipping_total: Money
    total: Money
    discount_code: str | None
    created_at: datetime
    updated_at: datetime

    @property
    def item_count(self) -> int:
        """Units ordered."""
        return sum(line.quantity for line in self.lines)


@dataclass(frozen=True, slots=True)
class OrderEventRecord:
    """One entry of an order's audit trail; ``from_status`` is None for its creation."""

    id: int
    order_id: str
    from_status: OrderStatus | None
    to_status: OrderStatus
    actor: str
    at: datetime
    note: str | None


@dataclass(frozen=True, slots=True)
class OrderFilter:
    """Filters of the merchants' order listing; every given field must match."""

    statuses: tuple[OrderStatus, ...] = ()
    owner_sub: str | None = None


@dataclass(frozen=True, slots=True)
class CheckoutRequest:
    """Everything ``place_order`` needs besides the database.

    ``prices`` maps each SKU of the cart to its current catalog price (the caller reads the
    catalog; an archived or unknown SKU is simply absent). ``expected_cart_version`` guards
    against checking out a cart the shopper has changed elsewhere meanwhile.
    """

    cart_id: str
    owner_sub: str
    prices: Mapping[str, Money]
    expected_cart_version: int | None = None
    idempotency_key: str | None = None
    actor: str | None = None
    now: datetime | None = None


# --- payments --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PaymentRequest:
    """An authorization request to a payment provider."""

    order_id: str
    amount: Money
    payment_token: str
    idempotency_key: str


@dataclass(frozen=True, slots=True)
class PaymentAuthorization:
    """A provider's answer to an authorization."""

    outcome: PaymentOutcome
    provider_ref: str
    decline_code: str | None = None
    next_action_url: str | None = None


@dataclass(frozen=True, slots=True)
class PaymentResult:
    """A payment attempt's result to record against an order (also a provider callback)."""

    provider: str
    provider_ref: str
    status: PaymentStatus
    amount: Money
    failure_code: str | None = None
    next_action_url: str | None = None


@dataclass(frozen=True, slots=True)
class PaymentRecord:
    """A stored payment attempt of an order."""

    id: str
    order_id: str
    provider: str
    provider_ref: str
    status: PaymentStatus
    amount: Money
    failure_code: str | None
    next_action_url: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class CheckoutResult:
    """How a checkout ended: the order as stored now and the payment attempt, if any."""

    outcome: CheckoutOutcome
    order: OrderRecord
    payment: PaymentRecord | None = None


# --- idempotency -----------------------------------------------------------------------


class IdempotencyState(StrEnum):
    """What ``IdempotencyStore.begin`` found."""

    STARTED = "STARTED"
    """The caller owns the key now: run the operation, then ``complete`` (or ``abandon``)."""
    REPLAY = "REPLAY"
    """The same request ran before: return ``response`` without running it again."""


@dataclass(frozen=True, slots=True)
class IdempotencyBegin:
    """The answer of ``IdempotencyStore.begin``."""

    state: IdempotencyState
    response: Mapping[str, object] | None = None
    created_at: datetime | None = None
    expires_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ConcurrencyReport:
    """What ``run_concurrent_checkouts`` saw; ``violations`` is empty when nothing oversold."""

    shoppers: int
    orders: int
    failures: Mapping[str, int]
    units_sold: Mapping[str, int]
    units_stocked: Mapping[str, int]
    violations: tuple[str, ...]
    seconds: float
    checkouts_per_second: float
    expected_sell_out: bool
    seed: int = 0
    notes: tuple[str, ...] = field(default=())
