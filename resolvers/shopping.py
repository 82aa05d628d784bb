"""What every shopping resolver shares: data sources, who sees what, typed errors, idempotency.

Who may see a cart (``CartAccess``): a signed-in shopper sees the carts they own (their
Cognito ``sub``); anyone presenting an anonymous cart's token (the ``x-cart-token`` header)
sees that cart. Someone else's cart reads exactly like one that does not exist: ``null`` for
queries, ``NOT_FOUND`` for mutations.

Prices are never stored in a cart: ``sellables`` reads each SKU's product through the
ProductByIdLoader (one batched catalog read per cart), for cart reads and the checkout alike.

Mutations with side effects take an optional idempotency key (``once``): the same key with
the same arguments returns the first call's outcome (the same typed error, or success with
the object as it is now), the same key with other arguments is IDEMPOTENCY_KEY_REUSED and a
retry while the first call still runs is IDEMPOTENCY_CONFLICT.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any, TypeVar

from datasources.errors import (
    CartNotActive,
    CartNotFound,
    CartVersionConflict,
    CurrencyMismatch,
    DataSourceError,
    EmptyCart,
    IdempotencyConflict,
    IdempotencyKeyReused,
    IllegalTransition,
    InsufficientStock,
    InvalidDiscount,
    InvalidQuantity,
    OrderNotFound,
    UnknownSku,
)
from datasources.idempotency import request_fingerprint, run_idempotently
from datasources.records import Money, ProductRecord, ProductStatus, VariantRecord
from datasources.shopping_records import (
    MAX_LINE_QUANTITY,
    MIN_LINE_QUANTITY,
    CartAccess,
    DiscountRejection,
    OrderStatus,
)
from resolvers.context import AuthMode, Context, ShoppingSources
from resolvers.errors import BadUserInput, MutationError, ServiceNotConfigured
from resolvers.kit import Run

T = TypeVar("T")

SHOPPING_NOT_CONFIGURED = (
    "Carts, checkout and orders are unavailable: no shopping database is configured "
    "(set DATABASE_URL to the PostgreSQL database)"
)
CURRENCY_PATTERN = re.compile(r"^[A-Z]{3}$")
MAX_IDEMPOTENCY_KEY_CHARS = 255
MAX_CODE_CHARS = 64


# --- shared: sources, access, typed errors ------------------------------------------------


def shopping_of(run: Run[Any, Any]) -> ShoppingSources:
    """The shopping data sources; ServiceUnavailable (naming DATABASE_URL) when unset."""
    shopping = run.ctx.sources.shopping
    if shopping is None:
        raise ServiceNotConfigured(SHOPPING_NOT_CONFIGURED)
    return shopping


def signed_in_sub(ctx: Context) -> str | None:
    """The Cognito ``sub`` of a signed-in caller, else None."""
    identity = ctx.identity
    if identity.mode is AuthMode.AMAZON_COGNITO_USER_POOLS and identity.subject:
        return identity.subject
    return None


def cart_access(ctx: Context) -> CartAccess:
    """Which carts this caller may see: their own (signed in) and the token's (if sent)."""
    return CartAccess(owner_sub=signed_in_sub(ctx), anonymous_token=ctx.cart_token or None)


def principal(ctx: Context) -> str:
    """Whose idempotency keys these are: the shopper, else the cart token, else the API key."""
    sub = signed_in_sub(ctx)
    if sub is not None:
        return f"sub:{sub}"
    if ctx.cart_token:
        return "cart-token:" + hashlib.sha256(ctx.cart_token.encode()).hexdigest()[:32]
    return f"caller:{ctx.identity.subject or 'anonymous'}"


class CartLineProblem(Enum):
    """Why a cart line has no price right now (it is left out of the totals)."""

    UNKNOWN_SKU = "UNKNOWN_SKU"
    NOT_FOR_SALE = "NOT_FOR_SALE"
    CURRENCY_MISMATCH = "CURRENCY_MISMATCH"


@dataclass(frozen=True)
class ShoppingError(MutationError):
    """An expected failure of a shopping mutation, with the details its code calls for.

    INSUFFICIENT_STOCK carries ``sku``, ``requested`` and ``available``; VERSION_CONFLICT the
    cart's ``current_version``; DISCOUNT_CODE_INVALID the ``discount_rejection``; payment
    failures the ``order_id`` of the order they left behind and the provider's details.
    """

    sku: str | None = None
    requested: int | None = None
    available: int | None = None
    current_version: int | None = None
    discount_rejection: DiscountRejection | None = None
    decline_code: str | None = None
    next_action_url: str | None = None
    order_id: str | None = None
    order_status: OrderStatus | None = None

    def to_json(self) -> dict[str, object]:
        """The error as stored with an idempotency key."""
        return {
            "code": self.code.name,
            "message": self.message,
            "field": self.field,
            "sku": self.sku,
            "requested": self.requested,
            "available": self.available,
            "current_version": self.current_version,
            "discount_rejection": self.discount_rejection,
            "decline_code": self.decline_code,
            "next_action_url": self.next_action_url,
            "order_id": self.order_id,
            "order_status": self.order_status,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any], code: type[Enum]) -> ShoppingError:
        """The error stored by :meth:`to_json`."""
        rejection = data.get("discount_rejection")
        status = data.get("order_status")
        return cls(
            code=code[str(data["code"])],
            message=str(data["message"]),
            field=data.get("field"),
            sku=data.get("sku"),
            requested=data.get("requested"),
            available=data.get("available"),
            current_version=data.get("current_version"),
            discount_rejection=DiscountRejection(rejection) if rejection else None,
            decline_code=data.get("decline_code"),
            next_action_url=data.get("next_action_url"),
            order_id=data.get("order_id"),
            order_status=OrderStatus(status) if status else None,
        )


def not_found(code: type[Enum], what: str, field: str) -> ShoppingError:
    """NOT_FOUND, worded the same whether the object is absent or someone else's."""
    return ShoppingError(code["NOT_FOUND"], f"No such {what}", field)


def typed_error(error: DataSourceError, code: type[Enum]) -> ShoppingError:
    """The typed failure of ``code``'s mutation for a data-source error; re-raises errors
    that mutation has no code for (they are unexpected there)."""
    found = _typed(error, code)
    if found is None or found.code.name not in code.__members__:
        raise error
    return found


def _typed(error: DataSourceError, code: type[Enum]) -> ShoppingError | None:
    members = code.__members__
    if isinstance(error, CartNotFound):
        return not_found(code, "cart", "cartId")
    if isinstance(error, OrderNotFound):
        return not_found(code, "order", "id")
    if isinstance(error, CartVersionConflict):
        return ShoppingError(
            code["VERSION_CONFLICT"],
            f"The cart changed: it is at version {error.actual}, not {error.expected}. "
            "Read it again and retry.",
            "expectedVersion",
            current_version=error.actual,
        )
    if isinstance(error, CartNotActive):
        return ShoppingError(
            code["CART_NOT_ACTIVE"],
            f"The cart is {error.status} and can no longer be changed",
            "cartId",
        )
    if isinstance(error, InvalidQuantity):
        return ShoppingError(
            code["INVALID_QUANTITY"],
            f"Quantity {error.quantity} of {error.sku} must be within "
            f"{MIN_LINE_QUANTITY}..{MAX_LINE_QUANTITY}",
            "quantity",
            sku=error.sku,
            requested=error.quantity,
        )
    if isinstance(error, InsufficientStock):
        return insufficient_stock(code, error.sku, error.requested, error.available)
    if isinstance(error, UnknownSku):
        return ShoppingError(
            code["UNKNOWN_SKU"], f"SKU {error.sku} is not for sale", "sku", sku=error.sku
        )
    if isinstance(error, CurrencyMismatch):
        return ShoppingError(code["CURRENCY_MISMATCH"], str(error), "currency")
    if isinstance(error, InvalidDiscount):
        return ShoppingError(
            code["DISCOUNT_CODE_INVALID"],
            f"The discount code {error.discount_code} cannot be used: {error.reason}",
            "code",
            discount_rejection=DiscountRejection(error.reason),
        )
    if isinstance(error, EmptyCart):
        return ShoppingError(code["CART_EMPTY"], "The cart has no lines", "cartId")
    if isinstance(error, IdempotencyKeyReused):
        return ShoppingError(
            code["IDEMPOTENCY_KEY_REUSED"],
            "This idempotency key was used with different arguments: use a new key",
            "idempotencyKey",
        )
    if isinstance(error, IdempotencyConflict):
        return ShoppingError(
            code["IDEMPOTENCY_CONFLICT"],
            "A request with this idempotency key is still running: retry later",
            "idempotencyKey",
        )
    if isinstance(error, IllegalTransition) and "ILLEGAL_TRANSITION" in members:
        return ShoppingError(
            code["ILLEGAL_TRANSITION"],
            f"The order is {error.from_status} and cannot become {error.to_status}",
            "id",
            order_id=error.order_id,
            order_status=OrderStatus(error.from_status),
        )
    return None


def insufficient_stock(code: type[Enum], sku: str, requested: int, available: int) -> ShoppingError:
    """INSUFFICIENT_STOCK with the SKU and both quantities."""
    return ShoppingError(
        code["INSUFFICIENT_STOCK"],
        f"Only {available} of {sku} available, {requested} requested",
        "quantity",
        sku=sku,
        requested=requested,
        available=available,
    )


def check_idempotency_key(key: str | None) -> str | None:
    """The key, if it is a usable one (BadUserInput otherwise)."""
    if key is not None and not 1 <= len(key) <= MAX_IDEMPOTENCY_KEY_CHARS:
        raise BadUserInput(
            f"idempotencyKey must be 1 to {MAX_IDEMPOTENCY_KEY_CHARS} characters, got {len(key)}"
        )
    return key


def fingerprint_of(arguments: object) -> dict[str, object]:
    """The arguments of a mutation that an idempotency key is bound to (not the key)."""
    if not dataclasses.is_dataclass(arguments) or isinstance(arguments, type):
        raise TypeError("mutation arguments are dataclasses")
    return {
        f.name: getattr(arguments, f.name)
        for f in dataclasses.fields(arguments)
        if f.name != "idempotency_key"
    }


async def once(
    run: Run[Any, Any],
    operation: str,
    key: str | None,
    action: Callable[[], Awaitable[T | ShoppingError]],
    *,
    encode: Callable[[T], Mapping[str, object]],
    decode: Callable[[Mapping[str, Any]], Awaitable[T | ShoppingError]],
    code: type[Enum],
) -> T | ShoppingError:
    """Run ``action`` once per idempotency ``key`` (always, when no key is given).

    Typed failures are stored and replayed like successes (Stripe replays 4xx answers); a
    success is stored as a reference and read again on replay. An exception stores nothing,
    so a retry runs the action again.
    """
    if key is None:
        return await action()
    shopping = shopping_of(run)
    fingerprint = request_fingerprint(operation, fingerprint_of(run.arguments))
    first: list[T | ShoppingError] = []

    async def operation_once() -> Mapping[str, object]:
        outcome = await action()
        first.append(outcome)
        if isinstance(outcome, ShoppingError):
            return {"error": outcome.to_json()}
        return {"ok": encode(outcome)}

    try:
        result = await run_idempotently(
            shopping.idempotency,
            f"{operation}:{principal(run.ctx)}",
            key,
            fingerprint,
            operation_once,
        )
    except (IdempotencyKeyReused, IdempotencyConflict) as error:
        return typed_error(error, code)
    if not result.replayed:
        return first[0]
    stored: Mapping[str, Any] = result.response
    if "error" in stored:
        return ShoppingError.from_json(stored["error"], code)
    return await decode(stored["ok"])


# --- catalog prices -----------------------------------------------------------------------


@dataclass(frozen=True)
class Sellable:
    """What the catalog says about a SKU in a cart: its variant and price, or a problem."""

    sku: str
    product: ProductRecord | None
    variant: VariantRecord | None
    problem: CartLineProblem | None

    @property
    def price(self) -> Money | None:
        """The current price, when the SKU can be bought in the cart's currency."""
        return None if self.problem is not None or self.variant is None else self.variant.price


async def sellables(
    run: Run[Any, Any], wanted: Iterable[tuple[str, str]], currency: str
) -> dict[str, Sellable]:
    """For (product id, SKU) pairs: each SKU's variant and price, batched through the
    ProductByIdLoader (one catalog round trip for the whole cart)."""
    pairs = list(dict.fromkeys(wanted))
    products = await run.ctx.loaders.product_by_id.load_many([p for p, _ in pairs])
    found: dict[str, Sellable] = {}
    for (_, sku), product in zip(pairs, products, strict=True):
        variant = (
            None if product is None else next((v for v in product.variants if v.sku == sku), None)
        )
        problem: CartLineProblem | None = None
        if product is None or variant is None:
            problem = CartLineProblem.UNKNOWN_SKU
        elif product.status is not ProductStatus.ACTIVE:
            problem = CartLineProblem.NOT_FOR_SALE
        elif variant.price.currency != currency:
            problem = CartLineProblem.CURRENCY_MISMATCH
        found[sku] = Sellable(sku=sku, product=product, variant=variant, problem=problem)
    return found


def sellable_problem(code: type[Enum], item: Sellable, currency: str) -> ShoppingError | None:
    """The typed error for a SKU that cannot be bought now, if it cannot."""
    if item.problem is CartLineProblem.UNKNOWN_SKU:
        return ShoppingError(
            code["UNKNOWN_SKU"], f"SKU {item.sku} is not in the catalog", "sku", sku=item.sku
        )
    if item.problem is CartLineProblem.NOT_FOR_SALE:
        status = item.product.status.value if item.product is not None else "gone"
        return ShoppingError(
            code["NOT_FOR_SALE"],
            f"SKU {item.sku} is not for sale (its product is {status})",
            "sku",
            sku=item.sku,
        )
    if item.problem is CartLineProblem.CURRENCY_MISMATCH and item.variant is not None:
        return ShoppingError(
            code["CURRENCY_MISMATCH"],
            f"SKU {item.sku} is priced in {item.variant.price.currency}, the cart in {currency}",
            "sku",
            sku=item.sku,
        )
    return None
