"""The oversell proof, reusable by tests and ``make bench``: many shoppers check out at once.

``run_concurrent_checkouts`` stocks two fresh SKUs (50 of A, 30 of B), gives every shopper a
cart (single units of A or B first, so that demand can always use up the last units, then
mixed carts of both), fires every full checkout at once as asyncio tasks, each taking its own
pooled connection, and then checks the books. Violations it looks for:

- a failure other than INSUFFICIENT_STOCK, or an INSUFFICIENT_STOCK that was not true at the
  end (stock only falls during the run, so a true shortage stays true);
- an order whose lines differ from its shopper's cart, or an order not PAID;
- units sold (order lines) that differ from the stock drop, more units sold than stocked,
  negative or over-allocated stock;
- with at least as many shoppers as units, stock left over (the single-unit carts alone
  could have bought it).

Size the engine's pool for real concurrency (e.g. ``pool_size=30, max_overflow=0``).
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections import Counter
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from datasources.errors import DataSourceError, InsufficientStock
from datasources.payments.simulated import SUCCEED, TestPaymentProvider
from datasources.postgres.shopping.checkout import PostgresCheckout
from datasources.postgres.shopping.db import Database
from datasources.postgres.shopping.inventory import PostgresInventory
from datasources.records import Money
from datasources.shopping_records import (
    CheckoutOutcome,
    CheckoutRequest,
    ConcurrencyReport,
    OrderRecord,
)

UNITS_A = 50
UNITS_B = 30
CURRENCY = "EUR"

_CREATE_CARTS = sa.text(
    "INSERT INTO carts (id, owner_sub, currency) "
    "SELECT unnest(CAST(:ids AS uuid[])), unnest(CAST(:owners AS text[])), :currency"
)
_CREATE_LINES = sa.text(
    "INSERT INTO cart_lines (cart_id, sku, product_id, quantity) "
    "SELECT unnest(CAST(:cart_ids AS uuid[])), unnest(CAST(:skus AS text[])), "
    "unnest(CAST(:product_ids AS text[])), unnest(CAST(:quantities AS int[]))"
)
_SOLD = sa.text(
    "SELECT l.sku, sum(l.quantity)::bigint AS sold, count(DISTINCT o.id) AS orders, "
    "bool_and(o.status = 'PAID') AS all_paid "
    "FROM orders o JOIN order_lines l ON l.order_id = o.id "
    "WHERE o.owner_sub LIKE :owners AND o.status <> 'CANCELLED' GROUP BY l.sku"
)
_STOCK = sa.text(
    "SELECT sku, on_hand, allocated FROM stock_items WHERE sku = ANY(CAST(:skus AS text[]))"
)


@dataclass(frozen=True, slots=True)
class _Shopper:
    owner_sub: str
    cart_id: str
    demand: dict[str, int]


def _demands(shoppers: int, sku_a: str, sku_b: str, rng: random.Random) -> list[dict[str, int]]:
    singles: list[dict[str, int]] = [{sku_a: 1}] * UNITS_A + [{sku_b: 1}] * UNITS_B
    demands = [dict(d) for d in singles[:shoppers]]
    while len(demands) < shoppers:
        shape = rng.random()
        if shape < 0.5:
            demands.append({sku_a: rng.randint(1, 3), sku_b: rng.randint(1, 3)})
        elif shape < 0.75:
            demands.append({sku_a: rng.randint(1, 4)})
        else:
            demands.append({sku_b: rng.randint(1, 4)})
    rng.shuffle(demands)
    return demands


async def run_concurrent_checkouts(
    engine: AsyncEngine, shoppers: int, seed: int, *, cleanup: bool = True
) -> ConcurrencyReport:
    """Fire ``shoppers`` full checkouts at once against 50 of SKU A and 30 of SKU B.

    Needs a database migrated to head. Every run uses fresh SKUs and shoppers (named after
    ``seed`` and a random suffix) so runs can repeat on one database; ``cleanup`` deletes
    the run's rows afterwards unless a violation was found.
    """
    if shoppers < 1:
        raise ValueError("at least one shopper")
    rng = random.Random(seed)
    run = f"{seed}-{uuid.uuid4().hex[:10]}"
    sku_a, sku_b = f"RACE-{run}-A", f"RACE-{run}-B"
    owners_like = f"race:{run}:%"
    db = Database(engine)
    inventory = PostgresInventory(engine)
    checkout = PostgresCheckout(engine)
    provider = TestPaymentProvider()
    prices = {sku_a: Money(1999, CURRENCY), sku_b: Money(4999, CURRENCY)}

    await inventory.put_stock(sku_a, UNITS_A)
    await inventory.put_stock(sku_b, UNITS_B)
    team = [
        _Shopper(owner_sub=f"race:{run}:{i}", cart_id=str(uuid.uuid4()), demand=demand)
        for i, demand in enumerate(_demands(shoppers, sku_a, sku_b, rng))
    ]
    lines = [(s.cart_id, sku, q) for s in team for sku, q in s.demand.items()]
    async with db.transaction("race.setup") as tx:
        await tx.execute(
            "race.create_carts",
            _CREATE_CARTS,
            {
                "ids": [s.cart_id for s in team],
                "owners": [s.owner_sub for s in team],
                "currency": CURRENCY,
            },
        )
        await tx.execute(
            "race.create_lines",
            _CREATE_LINES,
            {
                "cart_ids": [cart for cart, _, _ in lines],
                "skus": [sku for _, sku, _ in lines],
                "product_ids": [f"product-{sku[-1]}" for _, sku, _ in lines],
                "quantities": [q for _, _, q in lines],
            },
        )

    async def shop(shopper: _Shopper) -> OrderRecord | BaseException:
        request = CheckoutRequest(
            cart_id=shopper.cart_id,
            owner_sub=shopper.owner_sub,
            prices=prices,
            idempotency_key=f"race-{shopper.cart_id}",
        )
        try:
            result = await checkout.checkout(request, payment_token=SUCCEED, provider=provider)
        except Exception as error:
            return error
        if result.outcome is not CheckoutOutcome.PAID:
            return RuntimeError(f"checkout ended {result.outcome.value}")
        return result.order

    started = time.perf_counter()
    outcomes = await asyncio.gather(*(shop(s) for s in team))
    seconds = time.perf_counter() - started

    violations: list[str] = []
    failures: Counter[str] = Counter()
    shortages: list[InsufficientStock] = []
    orders = 0
    for shopper, outcome in zip(team, outcomes, strict=True):
        if isinstance(outcome, OrderRecord):
            orders += 1
            bought = {line.sku: line.quantity for line in outcome.lines}
            if bought != shopper.demand:
                violations.append(f"{shopper.owner_sub} asked {shopper.demand}, got {bought}")
            continue
        code = outcome.code if isinstance(outcome, DataSourceError) else type(outcome).__name__
        failures[code] += 1
        if isinstance(outcome, InsufficientStock):
            shortages.append(outcome)
        else:
            detail = str(outcome).splitlines()[0][:200] if str(outcome) else ""
            violations.append(f"{shopper.owner_sub} failed with {code}: {detail}")

    async with db.autocommit() as tx:
        sold_rows = await tx.rows("race.sold", _SOLD, {"owners": owners_like})
        stock_rows = await tx.rows("race.stock", _STOCK, {"skus": [sku_a, sku_b]})
    sold = {row.sku: int(row.sold) for row in sold_rows}
    if any(not row.all_paid for row in sold_rows):
        violations.append("an order of the run is not PAID")
    stocked = {sku_a: UNITS_A, sku_b: UNITS_B}
    left: dict[str, int] = {}
    for row in stock_rows:
        drop = row.allocated  # fresh SKUs start with nothing allocated; on_hand is unchanged
        left[row.sku] = row.on_hand - row.allocated
        if row.on_hand != stocked[row.sku]:
            violations.append(f"{row.sku}: on hand changed to {row.on_hand}")
        if row.allocated < 0 or row.allocated > row.on_hand:
            violations.append(f"{row.sku}: allocated {row.allocated} of {row.on_hand} on hand")
        if sold.get(row.sku, 0) != drop:
            violations.append(f"{row.sku}: order lines {sold.get(row.sku, 0)} != stock drop {drop}")
        if sold.get(row.sku, 0) > stocked[row.sku]:
            violations.append(f"{row.sku}: sold {sold[row.sku]} of {stocked[row.sku]}")
    for shortage in shortages:
        if left.get(shortage.sku, 0) >= shortage.requested:
            violations.append(
                f"spurious shortage of {shortage.sku}: {shortage.requested} requested, "
                f"{left.get(shortage.sku, 0)} left at the end"
            )
    expected_sell_out = shoppers >= UNITS_A + UNITS_B
    if expected_sell_out and any(left.get(sku, 0) != 0 for sku in stocked):
        violations.append(f"stock left over although every unit had a buyer: {left}")
    if orders + sum(failures.values()) != shoppers:
        violations.append("some checkouts neither succeeded nor failed")

    if cleanup and not violations:  # a failed run's rows stay for inspection
        await _cleanup(db, owners_like, [sku_a, sku_b])
    return ConcurrencyReport(
        shoppers=shoppers,
        orders=orders,
        failures=dict(failures),
        units_sold={sku: sold.get(sku, 0) for sku in stocked},
        units_stocked=stocked,
        violations=tuple(violations),
        seconds=seconds,
        checkouts_per_second=shoppers / seconds if seconds > 0 else 0.0,
        expected_sell_out=expected_sell_out,
        seed=seed,
        notes=(f"skus {sku_a}, {sku_b}",),
    )


async def _cleanup(db: Database, owners_like: str, skus: list[str]) -> None:
    async with db.transaction("race.cleanup") as tx:
        await tx.execute(
            "race.cleanup",
            sa.text(
                "WITH gone AS (SELECT id FROM orders WHERE owner_sub LIKE :owners), "
                "p AS (DELETE FROM payments WHERE order_id IN (SELECT id FROM gone)) "
                "DELETE FROM orders WHERE id IN (SELECT id FROM gone)"
            ),
            {"owners": owners_like},
        )
        await tx.execute(
            "race.cleanup",
            sa.text("DELETE FROM carts WHERE owner_sub LIKE :owners"),
            {"owners": owners_like},
        )
        await tx.execute(
            "race.cleanup",
            sa.text("DELETE FROM stock_items WHERE sku = ANY(CAST(:skus AS text[]))"),
            {"skus": skus},
        )
