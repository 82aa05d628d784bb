"""Pricing of carts and orders: lines at catalog prices, discount, tax and shipping.

Pure functions on integer minor units, shared by cart reads (prices recomputed from the
catalog every time) and by the checkout transaction, so both show the same totals.
Rounding: a percentage discount rounds down (it never exceeds its percentage); tax rounds
half up.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from datasources.errors import CurrencyMismatch, UnknownSku
from datasources.ports import ShippingCalculator, TaxCalculator
from datasources.records import Money
from datasources.shopping_records import (
    CartLineRecord,
    DiscountCodeRecord,
    DiscountKind,
    PricedCart,
    PricedLine,
    Totals,
)

BASIS_POINTS = 10_000


@dataclass(frozen=True, slots=True)
class NoTax:
    """Prices include tax (or none is due): tax is zero."""

    def tax(self, lines: Sequence[PricedLine], taxable: Money) -> Money:
        """Zero in the taxable amount's currency."""
        return Money(0, taxable.currency)


@dataclass(frozen=True, slots=True)
class PercentageTax:
    """A single rate on the discounted subtotal, in basis points (2000 = 20 %)."""

    rate_basis_points: int

    def tax(self, lines: Sequence[PricedLine], taxable: Money) -> Money:
        """``taxable * rate``, rounded half up to a minor unit."""
        amount = (taxable.amount * self.rate_basis_points + BASIS_POINTS // 2) // BASIS_POINTS
        return Money(amount, taxable.currency)


@dataclass(frozen=True, slots=True)
class FlatRateShipping:
    """One shipping price per order, free from ``free_from`` (same currency) upwards."""

    amount: int = 0
    free_from: int | None = None

    def shipping(self, lines: Sequence[PricedLine], subtotal: Money) -> Money:
        """The flat rate, or zero for an empty or large enough order."""
        if not lines or (self.free_from is not None and subtotal.amount >= self.free_from):
            return Money(0, subtotal.currency)
        return Money(self.amount, subtotal.currency)


def discount_amount(discount: DiscountCodeRecord | None, subtotal: Money) -> Money:
    """What ``discount`` takes off ``subtotal`` (never more than the subtotal).

    The caller has checked the code's window, limit and currency
    (``DiscountCodeRecord.rejection``).
    """
    if discount is None:
        return Money(0, subtotal.currency)
    if discount.kind is DiscountKind.PERCENTAGE:
        amount = subtotal.amount * discount.value // BASIS_POINTS
    else:
        if discount.currency != subtotal.currency:
            raise CurrencyMismatch(subtotal.currency, str(discount.currency), "discount")
        amount = discount.value
    return Money(min(amount, subtotal.amount), subtotal.currency)


def price_lines(
    lines: Sequence[CartLineRecord], prices: Mapping[str, Money], currency: str
) -> tuple[PricedLine, ...]:
    """``lines`` at ``prices``; UnknownSku for a SKU without a price, CurrencyMismatch for a
    price in another currency than the cart's."""
    priced: list[PricedLine] = []
    for line in lines:
        price = prices.get(line.sku)
        if price is None:
            raise UnknownSku(line.sku)
        if price.currency != currency:
            raise CurrencyMismatch(currency, price.currency, f"the price of {line.sku}")
        priced.append(
            PricedLine(
                sku=line.sku,
                product_id=line.product_id,
                quantity=line.quantity,
                unit_price=price,
                total=Money(price.amount * line.quantity, currency),
            )
        )
    return tuple(priced)


def totals(
    lines: Sequence[PricedLine],
    currency: str,
    *,
    discount: DiscountCodeRecord | None,
    tax: TaxCalculator,
    shipping: ShippingCalculator,
) -> Totals:
    """Subtotal, discount, tax (on the discounted subtotal), shipping and total."""
    subtotal = Money(sum(line.total.amount for line in lines), currency)
    off = discount_amount(discount, subtotal)
    taxable = Money(subtotal.amount - off.amount, currency)
    tax_due = tax.tax(lines, taxable)
    shipping_due = shipping.shipping(lines, subtotal)
    for charge, what in ((tax_due, "tax"), (shipping_due, "shipping")):
        if charge.currency != currency:
            raise CurrencyMismatch(currency, charge.currency, what)
        if charge.amount < 0:
            raise ValueError(f"{what} must not be negative, got {charge.amount}")
    return Totals(
        subtotal=subtotal,
        discount=off,
        tax=tax_due,
        shipping=shipping_due,
        total=Money(taxable.amount + tax_due.amount + shipping_due.amount, currency),
    )


def price_cart(
    lines: Sequence[CartLineRecord],
    prices: Mapping[str, Money],
    currency: str,
    *,
    discount: DiscountCodeRecord | None = None,
    tax: TaxCalculator | None = None,
    shipping: ShippingCalculator | None = None,
) -> PricedCart:
    """A cart's lines at catalog ``prices`` with its totals (no tax/shipping unless given)."""
    priced = price_lines(lines, prices, currency)
    return PricedCart(
        lines=priced,
        totals=totals(
            priced,
            currency,
            discount=discount,
            tax=tax or NoTax(),
            shipping=shipping or FlatRateShipping(),
        ),
        discount_code=discount.code if discount is not None else None,
    )
