"""Order lines by product: the "bought together" recommendation reads the orders holding a
product, which without this index is a scan of every order line.

The index includes ``order_id`` so that the lookup is an index-only scan. It is built inside
the migrations' transaction (their advisory lock is transaction-scoped), which blocks writes
to order_lines while it builds: on a large live table, build it beforehand with
``CREATE INDEX CONCURRENTLY`` under the same name and this migration finds it there.

Revision ID: 0003_order_lines_by_product
Revises: 0002_shopping
Create Date: 2026-11-23
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003_order_lines_by_product"
down_revision: str | Sequence[str] | None = "0002_shopping"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_order_lines_product",
        "order_lines",
        ["product_id"],
        postgresql_include=["order_id"],
        if_not_exists=True,
    )


def downgrade() -> None:
    op.drop_index("ix_order_lines_product", table_name="order_lines", if_exists=True)
