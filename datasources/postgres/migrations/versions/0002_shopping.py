"""Shopping: stock, reservations, carts, discount codes, orders, their events and payments.

Money is integer minor units (bigint) with an ISO 4217 currency beside it. Statuses are text
with CHECK constraints (not PostgreSQL enums), so adding a status is a one-line migration.

Revision ID: 0002_shopping
Revises: 0001_customers_and_idempotency
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002_shopping"
down_revision: str | Sequence[str] | None = "0001_customers_and_idempotency"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CURRENCY = "~ '^[A-Z]{3}$'"


def _uuid_pk() -> sa.Column[object]:
    return sa.Column(
        "id",
        postgresql.UUID(as_uuid=True),
        server_default=sa.text("gen_random_uuid()"),
        nullable=False,
    )


def _timestamp(name: str, *, nullable: bool = False, default_now: bool = True) -> sa.Column[object]:
    return sa.Column(
        name,
        sa.DateTime(timezone=True),
        server_default=sa.text("now()") if default_now else None,
        nullable=nullable,
    )


def upgrade() -> None:
    op.create_table(
        "stock_items",
        sa.Column("sku", sa.Text(), nullable=False),
        sa.Column("on_hand", sa.Integer(), server_default="0", nullable=False),
        sa.Column("allocated", sa.Integer(), server_default="0", nullable=False),
        sa.Column("version", sa.BigInteger(), server_default="1", nullable=False),
        _timestamp("updated_at"),
        sa.PrimaryKeyConstraint("sku", name="pk_stock_items"),
        sa.CheckConstraint("on_hand >= 0", name="ck_stock_items_on_hand_not_negative"),
        sa.CheckConstraint("allocated >= 0", name="ck_stock_items_allocated_not_negative"),
        sa.CheckConstraint("allocated <= on_hand", name="ck_stock_items_allocated_within_on_hand"),
    )

    op.create_table(
        "discount_codes",
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.CHAR(3), nullable=True),
        _timestamp("starts_at", nullable=True, default_now=False),
        _timestamp("ends_at", nullable=True, default_now=False),
        sa.Column("usage_limit", sa.Integer(), nullable=True),
        sa.Column("times_used", sa.Integer(), server_default="0", nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        _timestamp("created_at"),
        sa.PrimaryKeyConstraint("code", name="pk_discount_codes"),
        sa.CheckConstraint("code = upper(code) AND code <> ''", name="ck_discount_codes_code"),
        sa.CheckConstraint("kind IN ('PERCENTAGE', 'FIXED')", name="ck_discount_codes_kind"),
        # PERCENTAGE values are basis points (1500 = 15 %); FIXED values are minor units.
        sa.CheckConstraint(
            "(kind = 'PERCENTAGE' AND value BETWEEN 1 AND 10000 AND currency IS NULL) "
            "OR (kind = 'FIXED' AND value > 0 AND currency IS NOT NULL)",
            name="ck_discount_codes_value",
        ),
        sa.CheckConstraint(f"currency {CURRENCY}", name="ck_discount_codes_currency"),
        sa.CheckConstraint(
            "starts_at IS NULL OR ends_at IS NULL OR starts_at < ends_at",
            name="ck_discount_codes_window",
        ),
        sa.CheckConstraint(
            "usage_limit IS NULL OR usage_limit >= 0", name="ck_discount_codes_usage_limit"
        ),
        sa.CheckConstraint(
            "times_used >= 0 AND (usage_limit IS NULL OR times_used <= usage_limit)",
            name="ck_discount_codes_times_used",
        ),
    )

    op.create_table(
        "carts",
        _uuid_pk(),
        sa.Column("owner_sub", sa.Text(), nullable=True),
        sa.Column("anonymous_token_hash", sa.Text(), nullable=True),
        sa.Column("currency", sa.CHAR(3), nullable=False),
        sa.Column("status", sa.Text(), server_default="ACTIVE", nullable=False),
        sa.Column("discount_code", sa.Text(), nullable=True),
        sa.Column("merged_into", postgresql.UUID(as_uuid=True), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_carts"),
        sa.ForeignKeyConstraint(
            ["discount_code"], ["discount_codes.code"], name="fk_carts_discount_code"
        ),
        sa.ForeignKeyConstraint(["merged_into"], ["carts.id"], name="fk_carts_merged_into"),
        sa.CheckConstraint(
            "owner_sub IS NOT NULL OR anonymous_token_hash IS NOT NULL", name="ck_carts_has_owner"
        ),
        sa.CheckConstraint(
            "status IN ('ACTIVE', 'CHECKING_OUT', 'COMPLETED', 'MERGED')", name="ck_carts_status"
        ),
        sa.CheckConstraint(f"currency {CURRENCY}", name="ck_carts_currency"),
        sa.CheckConstraint("version >= 1", name="ck_carts_version"),
        sa.UniqueConstraint("anonymous_token_hash", name="uq_carts_anonymous_token_hash"),
    )
    # A shopper has at most one open cart (being edited or being paid for).
    op.create_index(
        "uq_carts_open_owner",
        "carts",
        ["owner_sub"],
        unique=True,
        postgresql_where=sa.text("status IN ('ACTIVE', 'CHECKING_OUT')"),
    )

    op.create_table(
        "cart_lines",
        sa.Column("cart_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("sku", sa.Text(), nullable=False),
        sa.Column("product_id", sa.Text(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        _timestamp("added_at"),
        sa.PrimaryKeyConstraint("cart_id", "sku", name="pk_cart_lines"),
        sa.ForeignKeyConstraint(
            ["cart_id"], ["carts.id"], name="fk_cart_lines_cart_id", ondelete="CASCADE"
        ),
        sa.CheckConstraint("quantity BETWEEN 1 AND 99", name="ck_cart_lines_quantity"),
    )

    op.create_table(
        "stock_reservations",
        _uuid_pk(),
        sa.Column("sku", sa.Text(), nullable=False),
        sa.Column("cart_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        _timestamp("created_at"),
        _timestamp("expires_at", default_now=False),
        _timestamp("released_at", nullable=True, default_now=False),
        sa.Column("release_reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_stock_reservations"),
        sa.ForeignKeyConstraint(["sku"], ["stock_items.sku"], name="fk_stock_reservations_sku"),
        sa.ForeignKeyConstraint(
            ["cart_id"], ["carts.id"], name="fk_stock_reservations_cart_id", ondelete="CASCADE"
        ),
        sa.CheckConstraint("quantity > 0", name="ck_stock_reservations_quantity"),
        sa.CheckConstraint("expires_at > created_at", name="ck_stock_reservations_expiry"),
        sa.CheckConstraint(
            "(released_at IS NULL) = (release_reason IS NULL)",
            name="ck_stock_reservations_release",
        ),
        sa.CheckConstraint(
            "release_reason IS NULL "
            "OR release_reason IN ('RELEASED', 'REPLACED', 'EXPIRED', 'ALLOCATED', 'MERGED')",
            name="ck_stock_reservations_release_reason",
        ),
    )
    # Unreleased holds, per SKU (the availability sum) and one per cart and SKU.
    op.create_index(
        "ix_stock_reservations_unreleased_sku",
        "stock_reservations",
        ["sku", "expires_at"],
        postgresql_where=sa.text("released_at IS NULL"),
    )
    op.create_index(
        "uq_stock_reservations_unreleased_cart_sku",
        "stock_reservations",
        ["cart_id", "sku"],
        unique=True,
        postgresql_where=sa.text("released_at IS NULL"),
    )

    op.create_table(
        "orders",
        _uuid_pk(),
        sa.Column("number", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("owner_sub", sa.Text(), nullable=False),
        sa.Column("cart_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("currency", sa.CHAR(3), nullable=False),
        sa.Column("subtotal", sa.BigInteger(), nullable=False),
        sa.Column("discount_total", sa.BigInteger(), nullable=False),
        sa.Column("tax_total", sa.BigInteger(), nullable=False),
        sa.Column("shipping_total", sa.BigInteger(), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.Column("discount_code", sa.Text(), nullable=True),
        sa.Column("idempotency_key", sa.Text(), nullable=True),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_orders"),
        sa.UniqueConstraint("number", name="uq_orders_number"),
        sa.UniqueConstraint("owner_sub", "idempotency_key", name="uq_orders_idempotency_key"),
        sa.ForeignKeyConstraint(["cart_id"], ["carts.id"], name="fk_orders_cart_id"),
        sa.ForeignKeyConstraint(
            ["discount_code"], ["discount_codes.code"], name="fk_orders_discount_code"
        ),
        sa.CheckConstraint(
            "status IN ('PENDING_PAYMENT', 'PAID', 'FULFILLED', 'CANCELLED', 'REFUNDED')",
            name="ck_orders_status",
        ),
        sa.CheckConstraint(f"currency {CURRENCY}", name="ck_orders_currency"),
        sa.CheckConstraint(
            "subtotal >= 0 AND discount_total >= 0 AND discount_total <= subtotal "
            "AND tax_total >= 0 AND shipping_total >= 0",
            name="ck_orders_amounts",
        ),
        sa.CheckConstraint(
            "total = subtotal - discount_total + tax_total + shipping_total",
            name="ck_orders_total",
        ),
    )
    # A cart turns into at most one order that is not cancelled.
    op.create_index(
        "uq_orders_live_cart",
        "orders",
        ["cart_id"],
        unique=True,
        postgresql_where=sa.text("status <> 'CANCELLED'"),
    )
    # Keyset pagination: a shopper's history and the merchants' listing by status.
    op.create_index("ix_orders_owner_number", "orders", ["owner_sub", sa.text("number DESC")])
    op.create_index("ix_orders_status_number", "orders", ["status", sa.text("number DESC")])

    op.create_table(
        "order_lines",
        sa.Column("order_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("sku", sa.Text(), nullable=False),
        sa.Column("product_id", sa.Text(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price", sa.BigInteger(), nullable=False),
        sa.Column("line_total", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.CHAR(3), nullable=False),
        sa.PrimaryKeyConstraint("order_id", "sku", name="pk_order_lines"),
        sa.UniqueConstraint("order_id", "position", name="uq_order_lines_position"),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name="fk_order_lines_order_id", ondelete="CASCADE"
        ),
        sa.CheckConstraint("quantity BETWEEN 1 AND 99", name="ck_order_lines_quantity"),
        sa.CheckConstraint("unit_price >= 0", name="ck_order_lines_unit_price"),
        sa.CheckConstraint("line_total = unit_price * quantity", name="ck_order_lines_total"),
        sa.CheckConstraint(f"currency {CURRENCY}", name="ck_order_lines_currency"),
    )

    op.create_table(
        "order_events",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("order_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("from_status", sa.Text(), nullable=True),
        sa.Column("to_status", sa.Text(), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        _timestamp("at"),
        sa.Column("note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_order_events"),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name="fk_order_events_order_id", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_order_events_order_id", "order_events", ["order_id", "id"])

    op.create_table(
        "payments",
        _uuid_pk(),
        sa.Column("order_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("provider", sa.Text(), nullable=False),
        sa.Column("provider_ref", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.CHAR(3), nullable=False),
        sa.Column("failure_code", sa.Text(), nullable=True),
        sa.Column("next_action_url", sa.Text(), nullable=True),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_payments"),
        # A replayed provider callback finds its payment instead of adding a second one.
        sa.UniqueConstraint("provider", "provider_ref", name="uq_payments_provider_ref"),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name="fk_payments_order_id"),
        sa.CheckConstraint(
            "status IN ('AUTHORIZED', 'CAPTURED', 'DECLINED', 'REQUIRES_ACTION', 'TIMED_OUT', "
            "'REFUNDED')",
            name="ck_payments_status",
        ),
        sa.CheckConstraint("amount >= 0", name="ck_payments_amount"),
        sa.CheckConstraint(f"currency {CURRENCY}", name="ck_payments_currency"),
    )
    op.create_index("ix_payments_order_id", "payments", ["order_id"])


def downgrade() -> None:
    op.drop_table("payments")
    op.drop_table("order_events")
    op.drop_table("order_lines")
    op.drop_table("orders")
    op.drop_table("stock_reservations")
    op.drop_table("cart_lines")
    op.drop_table("carts")
    op.drop_table("discount_codes")
    op.drop_table("stock_items")
