"""Revision 0002_shopping: the tables exist at head and their constraints hold the invariants."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import pytest
from alembic import command

from datasources.postgres.migrate import (
    alembic_config,
    apply_migrations_async,
    current_revision_async,
    head_revision,
)
from datasources.postgres.shopping.orders import BOUGHT_TOGETHER_SQL
from gateway.local_stack.scratch_databases import scratch_database
from tests.integration.shopping.support import fetch

pytestmark = pytest.mark.integration

SHOPPING_TABLES = [
    "cart_lines",
    "carts",
    "discount_codes",
    "order_events",
    "order_lines",
    "orders",
    "payments",
    "stock_adjustments",
    "stock_items",
    "stock_reservations",
]


@pytest.fixture
async def empty_database(shopping_server_url: str) -> AsyncIterator[str]:
    async with scratch_database(shopping_server_url, "vitrine_shop_mig", migrated=False) as url:
        yield url


async def _tables(url: str) -> list[str]:
    rows = await fetch(
        url,
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' "
        "ORDER BY table_name",
    )
    return [row["table_name"] for row in rows]


async def _violation(url: str, sql: str) -> str:
    """The name of the constraint that refuses ``sql``."""
    connection = await asyncpg.connect(url)
    try:
        with pytest.raises(asyncpg.IntegrityConstraintViolationError) as refused:
            await connection.execute(sql)
        return str(refused.value.constraint_name)
    finally:
        await connection.close()


async def test_migrations_build_the_shopping_tables_at_head(database_url):
    # given the module's database, migrated by the fixture
    # when its revision and tables are read
    revision = await current_revision_async(database_url)
    tables = await _tables(database_url)

    # then it is at head with every shopping table beside 0001's
    assert revision == "0004_stock_adjustments_and_voids" == head_revision()
    assert tables == sorted(
        ["alembic_version", "customers", "idempotency_records", *SHOPPING_TABLES]
    )
    money = await fetch(
        database_url,
        "SELECT table_name, column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = 'public' AND column_name IN "
        "('subtotal', 'total', 'unit_price', 'line_total', 'amount') ORDER BY 1, 2",
    )
    assert [tuple(row) for row in money] == [
        ("order_lines", "line_total", "bigint"),
        ("order_lines", "unit_price", "bigint"),
        ("orders", "subtotal", "bigint"),
        ("orders", "total", "bigint"),
        ("payments", "amount", "bigint"),
    ]


async def test_stock_rows_can_never_be_oversold_or_negative(database_url):
    # given the stock table
    # when rows break the stock invariants
    over = await _violation(
        database_url, "INSERT INTO stock_items (sku, on_hand, allocated) VALUES ('X1', 2, 3)"
    )
    negative = await _violation(
        database_url, "INSERT INTO stock_items (sku, on_hand, allocated) VALUES ('X2', -1, 0)"
    )
    negative_allocation = await _violation(
        database_url, "INSERT INTO stock_items (sku, on_hand, allocated) VALUES ('X3', 1, -1)"
    )

    # then the database refuses each with its named constraint
    assert over == "ck_stock_items_allocated_within_on_hand"
    # (allocated >= 0 and allocated <= on_hand imply on_hand >= 0: either check may fire first)
    assert negative in {"ck_stock_items_on_hand_not_negative", over}
    assert negative_allocation == "ck_stock_items_allocated_not_negative"


async def test_cart_lines_keep_quantities_within_1_to_99_and_one_line_per_sku(database_url):
    # given a cart
    rows = await fetch(
        database_url,
        "INSERT INTO carts (owner_sub, currency) VALUES ('schema-1', 'EUR') RETURNING id",
    )
    cart = rows[0]["id"]
    insert = (
        "INSERT INTO cart_lines (cart_id, sku, product_id, quantity) VALUES ('{}', '{}', 'p', {})"
    )

    # when lines with bad quantities or a duplicate SKU are inserted
    zero = await _violation(database_url, insert.format(cart, "S1", 0))
    hundred = await _violation(database_url, insert.format(cart, "S1", 100))
    await fetch(database_url, insert.format(cart, "S1", 99))
    duplicate = await _violation(database_url, insert.format(cart, "S1", 1))
    bad_currency = await _violation(
        database_url, "INSERT INTO carts (owner_sub, currency) VALUES ('schema-2', 'eur')"
    )
    no_owner = await _violation(database_url, "INSERT INTO carts (currency) VALUES ('EUR')")
    second_open = await _violation(
        database_url, "INSERT INTO carts (owner_sub, currency) VALUES ('schema-1', 'EUR')"
    )

    # then each is refused by its constraint
    assert zero == hundred == "ck_cart_lines_quantity"
    assert duplicate == "pk_cart_lines"
    assert bad_currency == "ck_carts_currency"
    assert no_owner == "ck_carts_has_owner"
    assert second_open == "uq_carts_open_owner"


async def test_discount_codes_cannot_be_used_beyond_their_limit(database_url):
    # given a code with one use left
    await fetch(
        database_url,
        "INSERT INTO discount_codes (code, kind, value, usage_limit, times_used) "
        "VALUES ('LAST1', 'PERCENTAGE', 1000, 2, 1)",
    )

    # when it is used twice more
    await fetch(database_url, "UPDATE discount_codes SET times_used = 2 WHERE code = 'LAST1'")
    over = await _violation(
        database_url, "UPDATE discount_codes SET times_used = 3 WHERE code = 'LAST1'"
    )
    fixed_without_currency = await _violation(
        database_url, "INSERT INTO discount_codes (code, kind, value) VALUES ('F1', 'FIXED', 500)"
    )

    # then the third use is refused, as is a fixed amount without a currency
    assert over == "ck_discount_codes_times_used"
    assert fixed_without_currency == "ck_discount_codes_value"


async def test_order_totals_must_add_up(database_url):
    # given a cart to order from
    rows = await fetch(
        database_url,
        "INSERT INTO carts (owner_sub, currency) VALUES ('schema-3', 'EUR') RETURNING id",
    )
    cart = rows[0]["id"]

    # when an order whose total is not subtotal - discount + tax + shipping is inserted
    wrong = await _violation(
        database_url,
        "INSERT INTO orders (owner_sub, cart_id, status, currency, subtotal, discount_total, "
        f"tax_total, shipping_total, total) VALUES ('schema-3', '{cart}', 'PAID', 'EUR', "
        "1000, 100, 190, 0, 1000)",
    )
    unknown_status = await _violation(
        database_url,
        "INSERT INTO orders (owner_sub, cart_id, status, currency, subtotal, discount_total, "
        f"tax_total, shipping_total, total) VALUES ('schema-3', '{cart}', 'SHIPPED', 'EUR', "
        "1000, 0, 0, 0, 1000)",
    )

    # then both are refused
    assert wrong == "ck_orders_total"
    assert unknown_status == "ck_orders_status"


async def test_downgrade_to_0001_removes_the_shopping_tables_and_upgrade_restores_them(
    empty_database,
):
    # given a database at head
    await apply_migrations_async(empty_database)

    # when it is downgraded one revision
    config = alembic_config(empty_database)
    await asyncio.to_thread(command.downgrade, config, "0001_customers_and_idempotency")

    # then only 0001's tables are left
    assert await current_revision_async(empty_database) == "0001_customers_and_idempotency"
    assert await _tables(empty_database) == ["alembic_version", "customers", "idempotency_records"]

    # and upgrading again rebuilds the shopping tables
    assert await apply_migrations_async(empty_database) == "0004_stock_adjustments_and_voids"
    assert set(SHOPPING_TABLES) <= set(await _tables(empty_database))


async def test_bought_together_finds_the_product_lines_through_their_index(database_url):
    # given the migrated schema, with sequential scans priced out of the planner's choice
    query = BOUGHT_TOGETHER_SQL.replace(":product", "'demo-harbor-sofa'").replace(":first", "8")
    connection = await asyncpg.connect(database_url)
    try:
        await connection.execute("SET enable_seqscan = off")
        # when the "bought together" query is planned
        plan = await connection.fetchval(f"EXPLAIN (FORMAT JSON) {query}")
    finally:
        await connection.close()
    # then the lines of the product are read through ix_order_lines_product
    assert "ix_order_lines_product" in plan
