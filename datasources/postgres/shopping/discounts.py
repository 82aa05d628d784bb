"""Discount codes on PostgreSQL, and their redemption inside the checkout transaction.

A code's use is counted by one conditional ``UPDATE ... SET times_used = times_used + 1
WHERE ... times_used < usage_limit``: the row lock serialises concurrent checkouts, and one
that waited re-checks the condition against the committed count, so the last use of a
limited code is taken exactly once (``CHECK (times_used <= usage_limit)`` backs it up).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncEngine

from datasources.errors import AlreadyExists, InvalidDiscount
from datasources.postgres.shopping.db import Database, Tx
from datasources.postgres.shopping.tables import discount_codes
from datasources.shopping_records import DiscountCodeRecord, DiscountKind, DiscountRejection

NOW = "COALESCE(CAST(:now AS timestamptz), now())"
CODE_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9_-]{1,63}$")
CURRENCY_PATTERN = re.compile(r"^[A-Z]{3}$")

_COLUMNS = (
    "code, kind, value, currency, starts_at, ends_at, usage_limit, times_used, active, "
    "now() AS db_now"
)

_SELECT = sa.text(f"SELECT {_COLUMNS} FROM discount_codes WHERE code = :code")

_REDEEM = sa.text(
    "UPDATE discount_codes SET times_used = times_used + 1 "
    "WHERE code = :code AND active "
    f"AND (starts_at IS NULL OR starts_at <= {NOW}) "
    f"AND (ends_at IS NULL OR ends_at > {NOW}) "
    "AND (usage_limit IS NULL OR times_used < usage_limit) "
    "AND (kind = 'PERCENTAGE' OR currency = :currency) "
    f"RETURNING {_COLUMNS}"
)

_GIVE_BACK = sa.text(
    "UPDATE discount_codes SET times_used = times_used - 1 WHERE code = :code AND times_used > 0"
)


def normalise_code(code: str) -> str:
    """Codes are case-insensitive and stored upper-case."""
    return code.strip().upper()


def discount_from_row(row: Any) -> DiscountCodeRecord:
    """A record from a ``discount_codes`` row."""
    return DiscountCodeRecord(
        code=row.code,
        kind=DiscountKind(row.kind),
        value=int(row.value),
        currency=row.currency,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        usage_limit=row.usage_limit,
        times_used=row.times_used,
        active=row.active,
    )


async def usable_discount(
    tx: Tx, code: str, currency: str, now: datetime | None
) -> DiscountCodeRecord:
    """The code if a ``currency`` cart may use it at ``now`` (not counting a use), else
    InvalidDiscount with the reason."""
    row = await tx.row("discount.get", _SELECT, {"code": normalise_code(code)})
    if row is None:
        raise InvalidDiscount(normalise_code(code), DiscountRejection.NOT_FOUND.value)
    discount = discount_from_row(row)
    rejection = discount.rejection(now or row.db_now, currency)
    if rejection is not None:
        raise InvalidDiscount(discount.code, rejection.value)
    return discount


async def redeem_discount(
    tx: Tx, code: str, currency: str, now: datetime | None
) -> DiscountCodeRecord:
    """Count one use of ``code`` inside the caller's transaction, or raise InvalidDiscount.

    The record returned carries the use just counted.
    """
    row = await tx.row("discount.redeem", _REDEEM, {"code": code, "currency": currency, "now": now})
    if row is not None:
        return discount_from_row(row)
    current = await tx.row("discount.get", _SELECT, {"code": code})
    if current is None:
        raise InvalidDiscount(code, DiscountRejection.NOT_FOUND.value)
    rejection = discount_from_row(current).rejection(now or current.db_now, currency)
    raise InvalidDiscount(code, (rejection or DiscountRejection.EXHAUSTED).value)


async def give_back_discount(tx: Tx, code: str) -> None:
    """Undo one use of ``code`` (its order was cancelled before payment)."""
    await tx.execute("discount.give_back", _GIVE_BACK, {"code": code})


def validate_discount(code: DiscountCodeRecord) -> DiscountCodeRecord:
    """The code normalised; ValueError when it breaks the rules the table enforces."""
    normalised = normalise_code(code.code)
    if not CODE_PATTERN.match(normalised):
        raise ValueError(f"discount code {code.code!r} must be 2-64 letters, digits, - or _")
    if code.kind is DiscountKind.PERCENTAGE:
        if not 1 <= code.value <= 10_000 or code.currency is not None:
            raise ValueError("a PERCENTAGE code takes 1..10000 basis points and no currency")
    elif code.value <= 0 or code.currency is None or not CURRENCY_PATTERN.match(code.currency):
        raise ValueError("a FIXED code takes a positive amount and an ISO 4217 currency")
    if code.starts_at is not None and code.ends_at is not None and code.starts_at >= code.ends_at:
        raise ValueError("a discount code's window must start before it ends")
    if code.usage_limit is not None and code.usage_limit < 0:
        raise ValueError("usage_limit must not be negative")
    if code.times_used < 0 or (code.usage_limit is not None and code.times_used > code.usage_limit):
        raise ValueError("times_used must be within 0..usage_limit")
    return DiscountCodeRecord(
        code=normalised,
        kind=code.kind,
        value=code.value,
        currency=code.currency,
        starts_at=code.starts_at,
        ends_at=code.ends_at,
        usage_limit=code.usage_limit,
        times_used=code.times_used,
        active=code.active,
    )


class PostgresDiscountCodes:
    """The DiscountCodes port on PostgreSQL."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._db = Database(engine)

    async def create_discount_code(self, code: DiscountCodeRecord) -> DiscountCodeRecord:
        """Store a new code (upper-cased); AlreadyExists when taken."""
        valid = validate_discount(code)
        statement = discount_codes.insert().values(
            code=valid.code,
            kind=valid.kind.value,
            value=valid.value,
            currency=valid.currency,
            starts_at=valid.starts_at,
            ends_at=valid.ends_at,
            usage_limit=valid.usage_limit,
            times_used=valid.times_used,
            active=valid.active,
        )
        try:
            async with self._db.autocommit() as tx:
                await tx.execute("discount.create", statement)
        except sa_exc.IntegrityError as error:
            if "pk_discount_codes" in str(error.orig):
                raise AlreadyExists(f"discount code {valid.code} exists already") from error
            raise
        return valid

    async def discount_code(self, code: str) -> DiscountCodeRecord | None:
        """The code (case-insensitive), if it exists."""
        async with self._db.autocommit() as tx:
            row = await tx.row("discount.get", _SELECT, {"code": normalise_code(code)})
        return discount_from_row(row) if row is not None else None
