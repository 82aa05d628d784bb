"""Stock adjustments by merchants (an audit row per change of ``on_hand``) and voided payments.

``stock_adjustments`` records who changed a SKU's units on hand, by how much, why, and the
levels before and after. The ``payments.status`` check gains VOIDED: an authorization
cancelled with the provider when its order was cancelled before capture.

Revision ID: 0004_stock_adjustments_and_voids
Revises: 0003_order_lines_by_product
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_stock_adjustments_and_voids"
down_revision: str | Sequence[str] | None = "0003_order_lines_by_product"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PAYMENT_STATUSES = (
    "'AUTHORIZED', 'CAPTURED', 'DECLINED', 'REQUIRES_ACTION', 'TIMED_OUT', 'REFUNDED'"
)
_REASONS = "'RECEIVED', 'RETURNED', 'DAMAGED', 'LOST', 'COUNT_CORRECTION'"


def upgrade() -> None:
    op.create_table(
        "stock_adjustments",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("sku", sa.Text(), nullable=False),
        sa.Column("delta", sa.Integer(), nullable=False),
        sa.Column("on_hand_before", sa.Integer(), nullable=False),
        sa.Column("on_hand_after", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name="pk_stock_adjustments"),
        sa.ForeignKeyConstraint(["sku"], ["stock_items.sku"], name="fk_stock_adjustments_sku"),
        sa.CheckConstraint("delta <> 0", name="ck_stock_adjustments_delta"),
        sa.CheckConstraint(
            "on_hand_after = on_hand_before + delta AND on_hand_after >= 0",
            name="ck_stock_adjustments_levels",
        ),
        sa.CheckConstraint(f"reason IN ({_REASONS})", name="ck_stock_adjustments_reason"),
    )
    op.create_index("ix_stock_adjustments_sku", "stock_adjustments", ["sku", "id"])
    _payment_statuses(f"{_PAYMENT_STATUSES}, 'VOIDED'")


def downgrade() -> None:
    op.execute("UPDATE payments SET status = 'DECLINED' WHERE status = 'VOIDED'")
    _payment_statuses(_PAYMENT_STATUSES)
    op.drop_index("ix_stock_adjustments_sku", table_name="stock_adjustments")
    op.drop_table("stock_adjustments")


def _payment_statuses(allowed: str) -> None:
    op.drop_constraint("ck_payments_status", "payments", type_="check")
    op.create_check_constraint("ck_payments_status", "payments", f"status IN ({allowed})")
