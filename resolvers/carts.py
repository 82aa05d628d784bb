"""Cart resolvers: reads priced from the catalog now, and the cart mutations.

Anonymous carts are addressed by their token (the ``x-cart-token`` header, returned once by
``cartCreate``), signed-in carts by the shopper's Cognito ``sub``; see ``resolvers.shopping``
for access, typed errors and idempotency keys.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import Any

from datasources.errors import DataSourceError
from datasources.events.publishing import publish_cart
from datasources.pricing import discount_amount, totals
from datasources.records import Money, ProductRecord, VariantRecord
from datasources.shopping_records import (
    MAX_LINE_QUANTITY,
    MIN_LINE_QUANTITY,
    CartAccess,
    CartLineRecord,
    CartRecord,
    DiscountRejection,
    PricedLine,
    Totals,
)
from resolvers.cart_holds import hold_more, hold_what_remains, holding, release_holds
from resolvers.errors import BadUserInput
from resolvers.kit import DataSource, Run, uses
from resolvers.shopping import (
    CURRENCY_PATTERN,
    MAX_CODE_CHARS,
    CartLineProblem,
    Sellable,
    ShoppingError,
    cart_access,
    check_idempotency_key,
    insufficient_stock,
    not_found,
    once,
    sellable_problem,
    sellables,
    shopping_of,
    signed_in_sub,
    typed_error,
)

MIN_ANONYMOUS_KEY_CHARS = 32
"""An anonymous caller's idempotency key for cartCreate is a bearer secret: no short keys."""


# --- cart reads ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CartLineView:
    """A cart line at its current catalog price (None, with a problem, when unsellable)."""

    sku: str
    product_id: str
    quantity: int
    unit_price: Money | None
    total: Money | None
    problem: CartLineProblem | None
    added_at: datetime


@dataclass(frozen=True)
class CartDiscountView:
    """The cart's discount code and what it takes off now (zero, with why, if unusable)."""

    code: str
    amount: Money
    rejection: DiscountRejection | None


@dataclass(frozen=True)
class CartPricing:
    """A cart priced now: lines, discount and totals (unsellable lines left out)."""

    lines: tuple[CartLineView, ...]
    discount: CartDiscountView | None
    totals: Totals


async def price_cart(run: Run[Any, Any], cart: CartRecord) -> CartPricing:
    """Price ``cart`` from the catalog, once per request and cart version."""
    memo_key = f"cart-pricing:{cart.id}:{cart.version}"
    cached: CartPricing | None = run.ctx.memo.get(memo_key)
    if cached is not None:
        return cached
    shopping = shopping_of(run)
    items = await sellables(
        run, ((line.product_id, line.sku) for line in cart.lines), cart.currency
    )
    views: list[CartLineView] = []
    priced: list[PricedLine] = []
    for line in cart.lines:
        view = _line_view(line, items[line.sku], cart.currency)
        views.append(view)
        if view.unit_price is not None and view.total is not None:
            priced.append(
                PricedLine(line.sku, line.product_id, line.quantity, view.unit_price, view.total)
            )
    subtotal = Money(sum(line.total.amount for line in priced), cart.currency)
    discount_view: CartDiscountView | None = None
    usable = None
    if cart.discount_code is not None:
        record = await shopping.discounts.discount_code(cart.discount_code)
        rejection = (
            DiscountRejection.NOT_FOUND
            if record is None
            else record.rejection(datetime.now(UTC), cart.currency)
        )
        usable = record if rejection is None else None
        discount_view = CartDiscountView(
            code=cart.discount_code,
            amount=discount_amount(usable, subtotal),
            rejection=rejection,
        )
    pricing = CartPricing(
        lines=tuple(views),
        discount=discount_view,
        totals=totals(
            priced, cart.currency, discount=usable, tax=shopping.tax, shipping=shopping.shipping
        ),
    )
    run.ctx.memo[memo_key] = pricing
    return pricing


def _line_view(line: CartLineRecord, item: Sellable, currency: str) -> CartLineView:
    price = item.price
    return CartLineView(
        sku=line.sku,
        product_id=line.product_id,
        quantity=line.quantity,
        unit_price=price,
        total=None if price is None else Money(price.amount * line.quantity, currency),
        problem=item.problem,
        added_at=line.added_at,
    )


@uses(DataSource.SHOPPING_DB)
async def cart(run: Run[None, str]) -> CartRecord | None:
    """``Query.cart``: a cart the caller may see (their own, or the token's), else null."""
    return await shopping_of(run).carts.cart(run.arguments, cart_access(run.ctx))


@uses(DataSource.SHOPPING_DB, DataSource.CATALOG)
async def cart_lines(run: Run[CartRecord, None]) -> tuple[CartLineView, ...]:
    """``Cart.lines`` at current catalog prices."""
    return (await price_cart(run, run.source)).lines


@uses(DataSource.SHOPPING_DB, DataSource.CATALOG)
async def cart_totals(run: Run[CartRecord, None]) -> Totals:
    """``Cart.totals``: subtotal, discount, tax, shipping and total, priced now."""
    return (await price_cart(run, run.source)).totals


@uses(DataSource.SHOPPING_DB, DataSource.CATALOG)
async def cart_discount(run: Run[CartRecord, None]) -> CartDiscountView | None:
    """``Cart.discount``: the applied code and what it takes off now."""
    return (await price_cart(run, run.source)).discount


@uses(DataSource.CATALOG)
async def line_product(run: Run[Any, None]) -> ProductRecord | None:
    """``CartLine.product`` / ``OrderLine.product`` through the ProductByIdLoader."""
    product_id: str = run.source.product_id
    return await run.ctx.loaders.product_by_id.load(product_id)


@uses(DataSource.CATALOG)
async def line_variant(run: Run[Any, None]) -> VariantRecord | None:
    """``CartLine.variant`` / ``OrderLine.variant``: the SKU's variant in the catalog now."""
    product = await line_product(run)
    sku: str = run.source.sku
    return None if product is None else next((v for v in product.variants if v.sku == sku), None)


# --- cart mutations -----------------------------------------------------------------------


class CartCreateErrorCode(Enum):
    """Why cartCreate failed."""

    INVALID_CURRENCY = "INVALID_CURRENCY"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    IDEMPOTENCY_CONFLICT = "IDEMPOTENCY_CONFLICT"


class CartLinesAddErrorCode(Enum):
    """Why cartLinesAdd failed (nothing was added when the lines were invalid)."""

    NOT_FOUND = "NOT_FOUND"
    INVALID_QUANTITY = "INVALID_QUANTITY"
    UNKNOWN_SKU = "UNKNOWN_SKU"
    NOT_FOR_SALE = "NOT_FOR_SALE"
    CURRENCY_MISMATCH = "CURRENCY_MISMATCH"
    INSUFFICIENT_STOCK = "INSUFFICIENT_STOCK"
    CART_NOT_ACTIVE = "CART_NOT_ACTIVE"
    VERSION_CONFLICT = "VERSION_CONFLICT"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    IDEMPOTENCY_CONFLICT = "IDEMPOTENCY_CONFLICT"


class CartLineUpdateErrorCode(Enum):
    """Why cartLineUpdate failed."""

    NOT_FOUND = "NOT_FOUND"
    LINE_NOT_FOUND = "LINE_NOT_FOUND"
    INVALID_QUANTITY = "INVALID_QUANTITY"
    UNKNOWN_SKU = "UNKNOWN_SKU"
    NOT_FOR_SALE = "NOT_FOR_SALE"
    CURRENCY_MISMATCH = "CURRENCY_MISMATCH"
    INSUFFICIENT_STOCK = "INSUFFICIENT_STOCK"
    CART_NOT_ACTIVE = "CART_NOT_ACTIVE"
    VERSION_CONFLICT = "VERSION_CONFLICT"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    IDEMPOTENCY_CONFLICT = "IDEMPOTENCY_CONFLICT"


class CartLineRemoveErrorCode(Enum):
    """Why cartLineRemove failed."""

    NOT_FOUND = "NOT_FOUND"
    CART_NOT_ACTIVE = "CART_NOT_ACTIVE"
    VERSION_CONFLICT = "VERSION_CONFLICT"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    IDEMPOTENCY_CONFLICT = "IDEMPOTENCY_CONFLICT"


class CartDiscountCodeErrorCode(Enum):
    """Why cartDiscountCodeApply or cartDiscountCodeRemove failed."""

    NOT_FOUND = "NOT_FOUND"
    DISCOUNT_CODE_INVALID = "DISCOUNT_CODE_INVALID"
    CART_NOT_ACTIVE = "CART_NOT_ACTIVE"
    VERSION_CONFLICT = "VERSION_CONFLICT"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    IDEMPOTENCY_CONFLICT = "IDEMPOTENCY_CONFLICT"


class CartMergeErrorCode(Enum):
    """Why cartMerge failed."""

    NOT_FOUND = "NOT_FOUND"
    CART_NOT_ACTIVE = "CART_NOT_ACTIVE"
    CURRENCY_MISMATCH = "CURRENCY_MISMATCH"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    IDEMPOTENCY_CONFLICT = "IDEMPOTENCY_CONFLICT"


@dataclass(frozen=True)
class CartSuccess:
    """A cart mutation succeeded: the cart as stored now."""

    cart: CartRecord


@dataclass(frozen=True)
class CartCreated:
    """cartCreate succeeded: the cart, and the token of an anonymous cart (shown once)."""

    cart: CartRecord
    cart_token: str | None


@dataclass(frozen=True)
class NewCart:
    """Arguments of cartCreate."""

    currency: str
    idempotency_key: str | None = None


@dataclass(frozen=True)
class LineToAdd:
    """A SKU of a product and how many units to add."""

    product_id: str
    sku: str
    quantity: int


@dataclass(frozen=True)
class CartLinesAddition:
    """Arguments of cartLinesAdd."""

    cart_id: str
    lines: tuple[LineToAdd, ...]
    expected_version: int | None = None
    idempotency_key: str | None = None


@dataclass(frozen=True)
class CartLineChange:
    """Arguments of cartLineUpdate (quantity 0 removes the line)."""

    cart_id: str
    sku: str
    quantity: int
    expected_version: int | None = None
    idempotency_key: str | None = None


@dataclass(frozen=True)
class CartLineRemoval:
    """Arguments of cartLineRemove."""

    cart_id: str
    sku: str
    expected_version: int | None = None
    idempotency_key: str | None = None


@dataclass(frozen=True)
class DiscountCodeChange:
    """Arguments of cartDiscountCodeApply (a code) and cartDiscountCodeRemove (None)."""

    cart_id: str
    code: str | None
    expected_version: int | None = None
    idempotency_key: str | None = None


@dataclass(frozen=True)
class CartMergeRequest:
    """Arguments of cartMerge (the anonymous cart's token comes in ``x-cart-token``)."""

    anonymous_cart_id: str
    idempotency_key: str | None = None


CartOutcome = CartSuccess | ShoppingError


def _cart_ref(success: CartSuccess) -> Mapping[str, object]:
    return {"cart_id": success.cart.id}


def _cart_replay(
    run: Run[Any, Any], code: type[Enum]
) -> Callable[[Mapping[str, Any]], Awaitable[CartOutcome]]:
    async def decode(stored: Mapping[str, Any]) -> CartOutcome:
        found = await shopping_of(run).carts.cart(str(stored["cart_id"]), cart_access(run.ctx))
        return CartSuccess(found) if found is not None else not_found(code, "cart", "cartId")

    return decode


async def _cart_once(
    run: Run[Any, Any],
    operation: str,
    idempotency_key: str | None,
    code: type[Enum],
    action: Callable[[], Awaitable[CartOutcome]],
) -> CartOutcome:
    """Run a cart mutation once per idempotency key; a replay re-reads the stored cart.
    A first run that changed the cart publishes CART_CHANGED."""
    return await once(
        run,
        operation,
        check_idempotency_key(idempotency_key),
        _publishing(run, action),
        encode=_cart_ref,
        decode=_cart_replay(run, code),
        code=code,
    )


def _publishing(
    run: Run[Any, Any], action: Callable[[], Awaitable[CartOutcome]]
) -> Callable[[], Awaitable[CartOutcome]]:
    """``action``, publishing CART_CHANGED after it stored a change."""

    async def publish_after() -> CartOutcome:
        outcome = await action()
        if isinstance(outcome, CartSuccess):
            await publish_cart(run.ctx.sources.events, outcome.cart)
        return outcome

    return publish_after


async def _cart_write(code: type[Enum], write: Awaitable[CartRecord]) -> CartOutcome:
    """The outcome of one cart write (a coroutine of the cart store), typed on failure."""
    try:
        return CartSuccess(await write)
    except DataSourceError as error:
        return typed_error(error, code)


@uses(DataSource.SHOPPING_DB)
async def cart_create(run: Run[None, NewCart]) -> CartCreated | ShoppingError:
    """``Mutation.cartCreate``: a new anonymous cart and its token, or the signed-in
    shopper's open cart (created if they have none)."""
    arguments = run.arguments
    code = CartCreateErrorCode
    shopping = shopping_of(run)
    sub = signed_in_sub(run.ctx)

    async def action() -> CartCreated | ShoppingError:
        currency = arguments.currency.strip().upper()
        if not CURRENCY_PATTERN.match(currency):
            return ShoppingError(
                code.INVALID_CURRENCY,
                f"currency must be an ISO 4217 code such as EUR, got {arguments.currency!r}",
                "currency",
            )
        if sub is not None:
            return CartCreated(await shopping.carts.open_cart(sub, currency), None)
        created = await shopping.carts.create_anonymous_cart(currency)
        return CartCreated(created.cart, created.token)

    async def decode(stored: Mapping[str, Any]) -> CartCreated | ShoppingError:
        token = stored.get("cart_token")
        access = CartAccess.token(token) if token else cart_access(run.ctx)
        found = await shopping.carts.cart(str(stored["cart_id"]), access)
        if found is None:  # carts are never deleted
            raise RuntimeError(f"the cart {stored['cart_id']} of a replayed cartCreate is gone")
        return CartCreated(found, token)

    key = check_idempotency_key(arguments.idempotency_key)
    if sub is None and key is not None and len(key) < MIN_ANONYMOUS_KEY_CHARS:
        raise BadUserInput(
            "An anonymous cartCreate's idempotencyKey returns the cart token to whoever sends "
            f"it again: use a random key of at least {MIN_ANONYMOUS_KEY_CHARS} characters "
            "(a UUID)"
        )
    return await once(
        run,
        "cartCreate",
        key,
        action,
        # The token is stored with the key so that a retried anonymous cartCreate gets the
        # same cart: the key is as secret as the token it returns (hence random and long).
        encode=lambda made: {"cart_id": made.cart.id, "cart_token": made.cart_token},
        decode=decode,
        code=code,
    )


async def _stock_problem(
    run: Run[Any, Any], code: type[Enum], cart: CartRecord, wanted: Mapping[str, int]
) -> ShoppingError | None:
    """INSUFFICIENT_STOCK for the first SKU (in SKU order) of which fewer units are
    available now than the cart would hold (the checkout re-checks under row locks). With
    cart holds on, the cart's new quantities are held at once (``cart_holds.hold_more``)."""
    if holding(run):
        return await hold_more(run, code, cart, wanted)
    available = await shopping_of(run).inventory.available(sorted(wanted))
    for sku in sorted(wanted):
        if wanted[sku] > available.get(sku, 0):
            return insufficient_stock(code, sku, wanted[sku], available.get(sku, 0))
    return None


def _quantity_problem(code: type[Enum], sku: str, quantity: int) -> ShoppingError | None:
    if MIN_LINE_QUANTITY <= quantity <= MAX_LINE_QUANTITY:
        return None
    return ShoppingError(
        code["INVALID_QUANTITY"],
        f"Quantity {quantity} of {sku} must be within {MIN_LINE_QUANTITY}..{MAX_LINE_QUANTITY} "
        "per line",
        "quantity",
        sku=sku,
        requested=quantity,
    )


def _merged(lines: Sequence[LineToAdd]) -> list[LineToAdd]:
    """Lines of the same SKU added up (first product id wins), in input order."""
    merged: dict[str, LineToAdd] = {}
    for line in lines:
        seen = merged.get(line.sku)
        merged[line.sku] = (
            line
            if seen is None
            else LineToAdd(seen.product_id, line.sku, seen.quantity + line.quantity)
        )
    return list(merged.values())


@uses(DataSource.SHOPPING_DB, DataSource.CATALOG)
async def cart_lines_add(run: Run[None, CartLinesAddition]) -> CartOutcome:
    """``Mutation.cartLinesAdd``: validate every line against the catalog, the 1..99 limit
    and the stock available now, then add them (to existing lines of the same SKU)."""
    arguments = run.arguments
    code = CartLinesAddErrorCode
    shopping = shopping_of(run)
    access = cart_access(run.ctx)

    async def action() -> CartOutcome:
        current = await shopping.carts.cart(arguments.cart_id, access)
        if current is None:
            return not_found(code, "cart", "cartId")
        lines = _merged(arguments.lines)
        if not lines:
            return ShoppingError(code.INVALID_QUANTITY, "Pass at least one line", "lines")
        wanted: dict[str, int] = {}
        for line in lines:
            held = current.line(line.sku)
            total = line.quantity + (held.quantity if held is not None else 0)
            problem = _quantity_problem(code, line.sku, line.quantity) or _quantity_problem(
                code, line.sku, total
            )
            if problem is not None:
                return problem
            wanted[line.sku] = total
        items = await sellables(run, ((x.product_id, x.sku) for x in lines), current.currency)
        for line in lines:
            problem = sellable_problem(code, items[line.sku], current.currency)
            if problem is not None:
                return problem
        problem = await _stock_problem(run, code, current, wanted)
        if problem is not None:
            return problem
        outcome = await _add_lines(run, code, current, lines)
        if isinstance(outcome, ShoppingError) and holding(run):
            # held for lines that were not all stored: hold what the cart has instead
            stored = await shopping.carts.cart(arguments.cart_id, access)
            if stored is not None:
                await hold_what_remains(run, stored)
        return outcome

    return await _cart_once(run, "cartLinesAdd", arguments.idempotency_key, code, action)


async def _add_lines(
    run: Run[None, CartLinesAddition],
    code: type[Enum],
    current: CartRecord,
    lines: Sequence[LineToAdd],
) -> CartOutcome:
    """Store the checked lines one by one (each on the version the previous one left)."""
    arguments = run.arguments
    shopping = shopping_of(run)
    access = cart_access(run.ctx)
    version = arguments.expected_version
    cart_now = current
    for line in lines:
        outcome = await _cart_write(
            code,
            shopping.carts.add_line(
                arguments.cart_id,
                access,
                sku=line.sku,
                product_id=line.product_id,
                quantity=line.quantity,
                expected_version=version,
            ),
        )
        if isinstance(outcome, ShoppingError):
            return outcome
        cart_now = outcome.cart
        version = None if version is None else cart_now.version
    return CartSuccess(cart_now)


@uses(DataSource.SHOPPING_DB, DataSource.CATALOG)
async def cart_line_update(run: Run[None, CartLineChange]) -> CartOutcome:
    """``Mutation.cartLineUpdate``: set a line's quantity (0 removes it); more units are
    checked against the catalog and the stock available now."""
    arguments = run.arguments
    code = CartLineUpdateErrorCode
    shopping = shopping_of(run)
    access = cart_access(run.ctx)

    async def action() -> CartOutcome:
        current = await shopping.carts.cart(arguments.cart_id, access)
        if current is None:
            return not_found(code, "cart", "cartId")
        held = current.line(arguments.sku)
        if held is None:
            return ShoppingError(
                code.LINE_NOT_FOUND,
                f"The cart has no line for {arguments.sku}: add it with cartLinesAdd",
                "sku",
                sku=arguments.sku,
            )
        if arguments.quantity != 0:
            problem = _quantity_problem(code, arguments.sku, arguments.quantity)
            if problem is not None:
                return problem
        if arguments.quantity > held.quantity:
            items = await sellables(run, [(held.product_id, held.sku)], current.currency)
            problem = sellable_problem(code, items[held.sku], current.currency)
            problem = problem or await _stock_problem(
                run, code, current, {held.sku: arguments.quantity}
            )
            if problem is not None:
                return problem
        outcome = await _cart_write(
            code,
            shopping.carts.set_line_quantity(
                arguments.cart_id,
                access,
                sku=arguments.sku,
                quantity=arguments.quantity,
                expected_version=arguments.expected_version,
            ),
        )
        if isinstance(outcome, ShoppingError):
            await hold_what_remains(run, current)  # undo what hold_more took for it
        elif arguments.quantity < held.quantity:
            await hold_what_remains(run, outcome.cart)
        return outcome

    return await _cart_once(run, "cartLineUpdate", arguments.idempotency_key, code, action)


@uses(DataSource.SHOPPING_DB)
async def cart_line_remove(run: Run[None, CartLineRemoval]) -> CartOutcome:
    """``Mutation.cartLineRemove``: remove a SKU's line (a line already gone is fine)."""
    arguments = run.arguments
    code = CartLineRemoveErrorCode
    shopping = shopping_of(run)
    access = cart_access(run.ctx)

    async def action() -> CartOutcome:
        outcome = await _cart_write(
            code,
            shopping.carts.remove_line(
                arguments.cart_id,
                access,
                sku=arguments.sku,
                expected_version=arguments.expected_version,
            ),
        )
        if isinstance(outcome, CartSuccess):
            await hold_what_remains(run, outcome.cart)
        return outcome

    return await _cart_once(run, "cartLineRemove", arguments.idempotency_key, code, action)


@uses(DataSource.SHOPPING_DB)
async def cart_discount_code_apply(run: Run[None, DiscountCodeChange]) -> CartOutcome:
    """``Mutation.cartDiscountCodeApply``: attach a code usable now (window, limit, currency)."""
    arguments = run.arguments
    code = CartDiscountCodeErrorCode
    shopping = shopping_of(run)
    access = cart_access(run.ctx)
    discount = (arguments.code or "").strip()

    async def action() -> CartOutcome:
        if not discount or len(discount) > MAX_CODE_CHARS:
            return ShoppingError(
                code.DISCOUNT_CODE_INVALID,
                "No such discount code",
                "code",
                discount_rejection=DiscountRejection.NOT_FOUND,
            )
        return await _cart_write(
            code,
            shopping.carts.apply_discount(
                arguments.cart_id, access, discount, expected_version=arguments.expected_version
            ),
        )

    return await _cart_once(run, "cartDiscountCodeApply", arguments.idempotency_key, code, action)


@uses(DataSource.SHOPPING_DB)
async def cart_discount_code_remove(run: Run[None, DiscountCodeChange]) -> CartOutcome:
    """``Mutation.cartDiscountCodeRemove``: detach the cart's discount code, if any."""
    arguments = run.arguments
    code = CartDiscountCodeErrorCode
    shopping = shopping_of(run)
    access = cart_access(run.ctx)

    async def action() -> CartOutcome:
        return await _cart_write(
            code,
            shopping.carts.remove_discount(
                arguments.cart_id, access, expected_version=arguments.expected_version
            ),
        )

    return await _cart_once(run, "cartDiscountCodeRemove", arguments.idempotency_key, code, action)


@uses(DataSource.SHOPPING_DB)
async def cart_merge(run: Run[None, CartMergeRequest]) -> CartOutcome:
    """``Mutation.cartMerge``: at sign-in, move the anonymous cart whose token is in
    ``x-cart-token`` into the shopper's open cart (quantities add up, capped at 99)."""
    arguments = run.arguments
    code = CartMergeErrorCode
    shopping = shopping_of(run)
    sub = signed_in_sub(run.ctx)
    token = run.ctx.cart_token

    async def action() -> CartOutcome:
        if sub is None or not token:
            return ShoppingError(
                code.NOT_FOUND,
                "No such cart: send the anonymous cart's token in the x-cart-token header",
                "anonymousCartId",
            )
        anonymous = await shopping.carts.cart(arguments.anonymous_cart_id, CartAccess.token(token))
        if anonymous is None:
            return not_found(code, "cart", "anonymousCartId")
        mine = await shopping.carts.open_cart(sub, anonymous.currency)
        if mine.currency != anonymous.currency:
            return ShoppingError(
                code.CURRENCY_MISMATCH,
                f"The anonymous cart is in {anonymous.currency}, yours in {mine.currency}",
                "anonymousCartId",
            )
        outcome = await _cart_write(
            code,
            shopping.carts.merge_anonymous(arguments.anonymous_cart_id, token, sub),
        )
        if isinstance(outcome, CartSuccess):
            await release_holds(run, arguments.anonymous_cart_id)
            await hold_what_remains(run, outcome.cart)
        return outcome

    async def decode(stored: Mapping[str, Any]) -> CartOutcome:
        found = await shopping.carts.cart(str(stored["cart_id"]), cart_access(run.ctx))
        return CartSuccess(found) if found is not None else not_found(code, "cart", "cartId")

    return await once(
        run,
        "cartMerge",
        check_idempotency_key(arguments.idempotency_key),
        _publishing(run, action),
        encode=_cart_ref,
        decode=decode,
        code=code,
    )
