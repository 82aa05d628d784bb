"""Shopping enums, registered with strawberry before any type or input uses them."""

from __future__ import annotations

import strawberry

from datasources.shopping_records import (
    CartStatus,
    DiscountRejection,
    OrderStatus,
    PaymentStatus,
    StockAdjustmentReason,
)
from resolvers.shopping import CartLineProblem

strawberry.enum(CartStatus, description="Lifecycle of a cart.")
strawberry.enum(OrderStatus, description="States of an order (see the order state machine).")
strawberry.enum(PaymentStatus, description="State of one payment attempt.")
strawberry.enum(DiscountRejection, description="Why a discount code cannot be used now.")
strawberry.enum(CartLineProblem, description="Why a cart line has no price right now.")
strawberry.enum(StockAdjustmentReason, description="Why a merchant changed the units on hand.")

__all__ = [
    "CartLineProblem",
    "CartStatus",
    "DiscountRejection",
    "OrderStatus",
    "PaymentStatus",
    "StockAdjustmentReason",
]
