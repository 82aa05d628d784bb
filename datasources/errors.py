"""Errors raised by data sources, typed so the gateway can report them precisely."""

from __future__ import annotations


class DataSourceError(Exception):
    """Base of every error a data source raises on purpose."""

    error_type = "DataSourceError"
    code = "DATA_SOURCE_ERROR"


class DataSourceUnavailable(DataSourceError):
    """A backing service could not be reached or timed out."""

    error_type = "ServiceUnavailable"
    code = "SERVICE_UNAVAILABLE"

    def __init__(self, service: str, detail: str) -> None:
        super().__init__(f"{service} is unavailable: {detail}")
        self.service = service


class NotFound(DataSourceError):
    """The requested item does not exist."""

    error_type = "NotFound"
    code = "NOT_FOUND"


class AlreadyExists(DataSourceError):
    """An item with the same key exists already."""

    error_type = "AlreadyExists"
    code = "ALREADY_EXISTS"


class VersionConflict(DataSourceError):
    """An optimistic-locking write lost: the stored version differs from the expected one."""

    error_type = "VersionConflict"
    code = "VERSION_CONFLICT"

    def __init__(self, entity: str, entity_id: str, expected: int, actual: int | None) -> None:
        super().__init__(
            f"{entity} {entity_id} is at version {actual}, not the expected version {expected}"
        )
        self.expected = expected
        self.actual = actual


class InvalidCursor(DataSourceError):
    """A pagination cursor that this data source did not issue."""

    error_type = "InvalidCursor"
    code = "BAD_USER_INPUT"


# --- shopping: carts, inventory, orders, idempotency, payments ------------------------------


class InsufficientStock(DataSourceError):
    """Fewer units of ``sku`` are available than ``requested`` (nothing was reserved/sold)."""

    error_type = "InsufficientStock"
    code = "INSUFFICIENT_STOCK"

    def __init__(self, sku: str, requested: int, available: int) -> None:
        super().__init__(f"only {available} of {sku} available, {requested} requested")
        self.sku = sku
        self.requested = requested
        self.available = available


class StockBelowCommitted(DataSourceError):
    """An adjustment would leave fewer units on hand than orders and carts hold (nothing
    changed): ``committed`` = allocated + live reservations."""

    error_type = "StockBelowCommitted"
    code = "BELOW_COMMITTED"

    def __init__(self, sku: str, on_hand: int, delta: int, committed: int) -> None:
        super().__init__(
            f"{sku} would have {on_hand + delta} on hand but {committed} are held by orders "
            "and carts"
        )
        self.sku = sku
        self.on_hand = on_hand
        self.delta = delta
        self.committed = committed

    @property
    def removable(self) -> int:
        """Units that could still be taken off (those not held)."""
        return max(self.on_hand - self.committed, 0)


class StockNotTracked(NotFound):
    """No stock row exists for ``sku`` (set its stock first)."""

    error_type = "StockNotTracked"

    def __init__(self, sku: str) -> None:
        super().__init__(f"no stock is kept for SKU {sku}")
        self.sku = sku


class UnknownSku(DataSourceError):
    """A SKU that is not (or no longer) sold: unknown to the catalog, archived or unpriced."""

    error_type = "UnknownSku"
    code = "UNKNOWN_SKU"

    def __init__(self, sku: str) -> None:
        super().__init__(f"SKU {sku} is not for sale")
        self.sku = sku


class InvalidQuantity(DataSourceError):
    """A line quantity outside ``minimum..maximum``."""

    error_type = "InvalidQuantity"
    code = "INVALID_QUANTITY"

    def __init__(self, sku: str, quantity: int, minimum: int, maximum: int) -> None:
        super().__init__(f"quantity {quantity} of {sku} is outside {minimum}..{maximum}")
        self.sku = sku
        self.quantity = quantity
        self.minimum = minimum
        self.maximum = maximum


class CurrencyMismatch(DataSourceError):
    """An amount in ``actual`` where ``expected`` was required (e.g. a price vs the cart)."""

    error_type = "CurrencyMismatch"
    code = "CURRENCY_MISMATCH"

    def __init__(self, expected: str, actual: str, what: str = "amount") -> None:
        super().__init__(f"{what} is in {actual}, expected {expected}")
        self.expected = expected
        self.actual = actual


class CartNotFound(NotFound):
    """No cart with this id is visible to the caller (absent, or someone else's)."""

    error_type = "CartNotFound"

    def __init__(self, cart_id: str) -> None:
        super().__init__(f"cart {cart_id} not found")
        self.cart_id = cart_id


class CartVersionConflict(VersionConflict):
    """The cart changed (another device, another tab) since the caller read it."""

    error_type = "CartVersionConflict"

    def __init__(self, cart_id: str, expected: int, actual: int | None) -> None:
        super().__init__("cart", cart_id, expected, actual)
        self.cart_id = cart_id


class CartNotActive(DataSourceError):
    """The cart can no longer be changed: it is being paid for, completed or merged."""

    error_type = "CartNotActive"
    code = "CART_NOT_ACTIVE"

    def __init__(self, cart_id: str, status: str) -> None:
        super().__init__(f"cart {cart_id} is {status}, not ACTIVE")
        self.cart_id = cart_id
        self.status = status


class EmptyCart(DataSourceError):
    """Checkout of a cart with no lines."""

    error_type = "EmptyCart"
    code = "EMPTY_CART"

    def __init__(self, cart_id: str) -> None:
        super().__init__(f"cart {cart_id} has no lines")
        self.cart_id = cart_id


class InvalidDiscount(DataSourceError):
    """A discount code that cannot be used now; ``reason`` is a ``DiscountRejection`` value."""

    error_type = "InvalidDiscount"
    code = "INVALID_DISCOUNT"

    def __init__(self, discount_code: str, reason: str) -> None:
        super().__init__(f"discount code {discount_code} cannot be used: {reason}")
        self.discount_code = discount_code
        self.reason = reason


class OrderNotFound(NotFound):
    """No order with this id is visible to the caller (absent, or someone else's)."""

    error_type = "OrderNotFound"

    def __init__(self, order_id: str) -> None:
        super().__init__(f"order {order_id} not found")
        self.order_id = order_id


class IllegalTransition(DataSourceError):
    """An order status change that the state machine does not allow."""

    error_type = "IllegalTransition"
    code = "ILLEGAL_TRANSITION"

    def __init__(self, order_id: str, from_status: str, to_status: str) -> None:
        super().__init__(f"order {order_id} cannot go from {from_status} to {to_status}")
        self.order_id = order_id
        self.from_status = from_status
        self.to_status = to_status


class IdempotencyKeyReused(DataSourceError):
    """The idempotency key was used before with a different request (Stripe's 400)."""

    error_type = "IdempotencyKeyReused"
    code = "IDEMPOTENCY_KEY_REUSED"

    def __init__(self, key: str) -> None:
        super().__init__(f"idempotency key {key!r} was used with a different request")
        self.key = key


class IdempotencyConflict(DataSourceError):
    """A request with this idempotency key is still running (Stripe's 409): retry later."""

    error_type = "IdempotencyConflict"
    code = "IDEMPOTENCY_CONFLICT"

    def __init__(self, key: str) -> None:
        super().__init__(f"a request with idempotency key {key!r} is still in progress")
        self.key = key


class PaymentTimeout(DataSourceError):
    """The payment provider did not answer in time; the charge's outcome is unknown."""

    error_type = "PaymentTimeout"
    code = "PAYMENT_TIMEOUT"

    def __init__(self, provider: str, detail: str = "no answer in time") -> None:
        super().__init__(f"payment provider {provider}: {detail}")
        self.provider = provider


# --- search -----------------------------------------------------------------------------------


class InvalidSearchQuery(DataSourceError):
    """A search request the engine refuses: a query too long, an impossible range, an
    unknown filter value."""

    error_type = "InvalidSearchQuery"
    code = "BAD_USER_INPUT"


class SearchIndexMissing(DataSourceError):
    """No search index is behind the alias yet (run ``vitrine search reindex``)."""

    error_type = "ServiceUnavailable"
    code = "SERVICE_UNAVAILABLE"
