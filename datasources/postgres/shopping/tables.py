"""SQLAlchemy Core tables of the shopping revisions (0002_shopping on; 0001's idempotency_records).

The migrations are the source of truth for the schema; these declarations only describe the
columns the adapters read and write (no constraints, no ``create_all``).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

metadata = sa.MetaData()

_TS = sa.DateTime(timezone=True)
_UUID = postgresql.UUID(as_uuid=True)
_DB = sa.FetchedValue()  # the column has a server default (see the migration)

stock_items = sa.Table(
    "stock_items",
    metadata,
    sa.Column("sku", sa.Text, primary_key=True),
    sa.Column("on_hand", sa.Integer, nullable=False, server_default=_DB),
    sa.Column("allocated", sa.Integer, nullable=False, server_default=_DB),
    sa.Column("version", sa.BigInteger, nullable=False, server_default=_DB),
    sa.Column("updated_at", _TS, nullable=False, server_default=_DB),
)

stock_reservations = sa.Table(
    "stock_reservations",
    metadata,
    sa.Column("id", _UUID, primary_key=True, server_default=_DB),
    sa.Column("sku", sa.Text, nullable=False),
    sa.Column("cart_id", _UUID, nullable=False),
    sa.Column("quantity", sa.Integer, nullable=False),
    sa.Column("created_at", _TS, nullable=False, server_default=_DB),
    sa.Column("expires_at", _TS, nullable=False),
    sa.Column("released_at", _TS),
    sa.Column("release_reason", sa.Text),
)

discount_codes = sa.Table(
    "discount_codes",
    metadata,
    sa.Column("code", sa.Text, primary_key=True),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("value", sa.BigInteger, nullable=False),
    sa.Column("currency", sa.CHAR(3)),
    sa.Column("starts_at", _TS),
    sa.Column("ends_at", _TS),
    sa.Column("usage_limit", sa.Integer),
    sa.Column("times_used", sa.Integer, nullable=False, server_default=_DB),
    sa.Column("active", sa.Boolean, nullable=False, server_default=_DB),
    sa.Column("created_at", _TS, nullable=False, server_default=_DB),
)

carts = sa.Table(
    "carts",
    metadata,
    sa.Column("id", _UUID, primary_key=True, server_default=_DB),
    sa.Column("owner_sub", sa.Text),
    sa.Column("anonymous_token_hash", sa.Text),
    sa.Column("currency", sa.CHAR(3), nullable=False),
    sa.Column("status", sa.Text, nullable=False, server_default=_DB),
    sa.Column("discount_code", sa.Text),
    sa.Column("merged_into", _UUID),
    sa.Column("version", sa.Integer, nullable=False, server_default=_DB),
    sa.Column("created_at", _TS, nullable=False, server_default=_DB),
    sa.Column("updated_at", _TS, nullable=False, server_default=_DB),
)

cart_lines = sa.Table(
    "cart_lines",
    metadata,
    sa.Column("cart_id", _UUID, primary_key=True),
    sa.Column("sku", sa.Text, primary_key=True),
    sa.Column("product_id", sa.Text, nullable=False),
    sa.Column("quantity", sa.Integer, nullable=False),
    sa.Column("added_at", _TS, nullable=False, server_default=_DB),
)

orders = sa.Table(
    "orders",
    metadata,
    sa.Column("id", _UUID, primary_key=True, server_default=_DB),
    sa.Column("number", sa.BigInteger, nullable=False, server_default=_DB),
    sa.Column("owner_sub", sa.Text, nullable=False),
    sa.Column("cart_id", _UUID, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("currency", sa.CHAR(3), nullable=False),
    sa.Column("subtotal", sa.BigInteger, nullable=False),
    sa.Column("discount_total", sa.BigInteger, nullable=False),
    sa.Column("tax_total", sa.BigInteger, nullable=False),
    sa.Column("shipping_total", sa.BigInteger, nullable=False),
    sa.Column("total", sa.BigInteger, nullable=False),
    sa.Column("discount_code", sa.Text),
    sa.Column("idempotency_key", sa.Text),
    sa.Column("created_at", _TS, nullable=False, server_default=_DB),
    sa.Column("updated_at", _TS, nullable=False, server_default=_DB),
)

order_lines = sa.Table(
    "order_lines",
    metadata,
    sa.Column("order_id", _UUID, primary_key=True),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("sku", sa.Text, primary_key=True),
    sa.Column("product_id", sa.Text, nullable=False),
    sa.Column("quantity", sa.Integer, nullable=False),
    sa.Column("unit_price", sa.BigInteger, nullable=False),
    sa.Column("line_total", sa.BigInteger, nullable=False),
    sa.Column("currency", sa.CHAR(3), nullable=False),
)

order_events = sa.Table(
    "order_events",
    metadata,
    sa.Column("id", sa.BigInteger, primary_key=True, server_default=_DB),
    sa.Column("order_id", _UUID, nullable=False),
    sa.Column("from_status", sa.Text),
    sa.Column("to_status", sa.Text, nullable=False),
    sa.Column("actor", sa.Text, nullable=False),
    sa.Column("at", _TS, nullable=False, server_default=_DB),
    sa.Column("note", sa.Text),
)

payments = sa.Table(
    "payments",
    metadata,
    sa.Column("id", _UUID, primary_key=True, server_default=_DB),
    sa.Column("order_id", _UUID, nullable=False),
    sa.Column("provider", sa.Text, nullable=False),
    sa.Column("provider_ref", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("amount", sa.BigInteger, nullable=False),
    sa.Column("currency", sa.CHAR(3), nullable=False),
    sa.Column("failure_code", sa.Text),
    sa.Column("next_action_url", sa.Text),
    sa.Column("created_at", _TS, nullable=False, server_default=_DB),
    sa.Column("updated_at", _TS, nullable=False, server_default=_DB),
)

idempotency_records = sa.Table(
    "idempotency_records",
    metadata,
    sa.Column("scope", sa.Text, primary_key=True),
    sa.Column("key", sa.Text, primary_key=True),
    sa.Column("request_hash", sa.Text, nullable=False),
    sa.Column("response", postgresql.JSONB),
    sa.Column("created_at", _TS, nullable=False, server_default=_DB),
    sa.Column("expires_at", _TS, nullable=False),
)
