"""Merchants' stock: read a SKU's levels and adjustment history, adjust its units on hand.

``inventoryAdjust`` changes the units on hand of a product's SKU (a delivery, a return, a
breakage, a recount) with an audit record naming the admin and the reason. It never takes
the units below what orders and live cart reservations hold: that is BELOW_COMMITTED, with
``requested`` (units asked to remove) and ``available`` (units that could be removed). A
committed adjustment publishes INVENTORY_CHANGED, so the availability counters, the search
index and ``onInventoryChanged`` subscribers follow.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any

from datasources.errors import (
    DataSourceError,
    InvalidQuantity,
    StockBelowCommitted,
    StockNotTracked,
)
from datasources.events.changes import inventory_changed
from datasources.events.publishing import publish_all
from datasources.shopping_records import (
    StockAdjustment,
    StockAdjustmentReason,
    StockAdjustmentRecord,
    StockLevel,
)
from resolvers.kit import DataSource, Run, uses
from resolvers.shopping import (
    ShoppingError,
    check_idempotency_key,
    once,
    shopping_of,
    signed_in_sub,
    typed_error,
)

MAX_HISTORY = 100


class InventoryAdjustErrorCode(Enum):
    """Why inventoryAdjust failed (nothing changed)."""

    NOT_FOUND = "NOT_FOUND"
    UNKNOWN_SKU = "UNKNOWN_SKU"
    STOCK_NOT_TRACKED = "STOCK_NOT_TRACKED"
    BELOW_COMMITTED = "BELOW_COMMITTED"
    INVALID_QUANTITY = "INVALID_QUANTITY"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    IDEMPOTENCY_CONFLICT = "IDEMPOTENCY_CONFLICT"


@dataclass(frozen=True)
class StockAdjustmentRequest:
    """Arguments of inventoryAdjust."""

    product_id: str
    sku: str
    delta: int
    reason: StockAdjustmentReason
    note: str | None = None
    idempotency_key: str | None = None


@dataclass(frozen=True)
class StockAdjusted:
    """inventoryAdjust succeeded: the audit record and the SKU's stock now."""

    adjustment: StockAdjustmentRecord
    stock: StockLevel


@dataclass(frozen=True)
class HistoryRequest:
    """The newest ``first`` adjustments of a stock level's SKU."""

    first: int


@uses(DataSource.SHOPPING_DB)
async def stock_level(run: Run[None, str]) -> StockLevel | None:
    """``Query.stockLevel``: a SKU's units on hand, allocated, reserved and available."""
    return (await shopping_of(run).inventory.stock_levels([run.arguments]))[0]


@uses(DataSource.SHOPPING_DB)
async def stock_adjustments(
    run: Run[StockLevel, HistoryRequest],
) -> tuple[StockAdjustmentRecord, ...]:
    """``StockLevel.adjustments``: the newest adjustments of the SKU, newest first."""
    first = min(max(run.arguments.first, 0), MAX_HISTORY)
    return await shopping_of(run).inventory.stock_adjustments(run.source.sku, limit=first)


@uses(DataSource.CATALOG, DataSource.SHOPPING_DB)
async def inventory_adjust(
    run: Run[None, StockAdjustmentRequest],
) -> StockAdjusted | ShoppingError:
    """``Mutation.inventoryAdjust``: change a SKU's units on hand, audited (module docs)."""
    request = run.arguments
    code = InventoryAdjustErrorCode
    shopping = shopping_of(run)

    async def action() -> StockAdjusted | ShoppingError:
        problem = await _sku_problem(run, request)
        if problem is not None:
            return problem
        adjustment = StockAdjustment(
            sku=request.sku,
            delta=request.delta,
            reason=request.reason,
            actor=f"admin:{signed_in_sub(run.ctx) or 'unknown'}",
            note=request.note,
        )
        try:
            record, level = await shopping.inventory.adjust_stock(adjustment)
        except DataSourceError as error:
            return _adjust_error(error)
        events = inventory_changed({level.sku: level.available}, {level.sku: request.product_id})
        await publish_all(run.ctx.sources.events, events)
        return StockAdjusted(record, level)

    async def decode(stored: Mapping[str, Any]) -> StockAdjusted | ShoppingError:
        record = _record_from_json(stored)
        level = (await shopping.inventory.stock_levels([record.sku]))[0]
        if level is None:  # stock rows are never deleted
            raise StockNotTracked(record.sku)
        return StockAdjusted(record, level)

    return await once(
        run,
        "inventoryAdjust",
        check_idempotency_key(request.idempotency_key),
        action,
        encode=lambda adjusted: _record_to_json(adjusted.adjustment),
        decode=decode,
        code=code,
    )


async def _sku_problem(run: Run[Any, Any], request: StockAdjustmentRequest) -> ShoppingError | None:
    code = InventoryAdjustErrorCode
    product = await run.ctx.loaders.product_by_id.load(request.product_id)
    if product is None:
        return ShoppingError(code.NOT_FOUND, "No such product", "productId")
    if all(variant.sku != request.sku for variant in product.variants):
        return ShoppingError(
            code.UNKNOWN_SKU,
            f"SKU {request.sku} is not a variant of product {request.product_id}",
            "sku",
            sku=request.sku,
        )
    return None


def _adjust_error(error: DataSourceError) -> ShoppingError:
    code = InventoryAdjustErrorCode
    if isinstance(error, StockBelowCommitted):
        return ShoppingError(
            code.BELOW_COMMITTED,
            f"{error.committed} units of {error.sku} are held by orders and carts: the units "
            "on hand cannot go below that",
            "delta",
            sku=error.sku,
            requested=-error.delta,
            available=error.removable,
        )
    if isinstance(error, StockNotTracked):
        return ShoppingError(
            code.STOCK_NOT_TRACKED, f"No stock is kept for {error.sku}", "sku", sku=error.sku
        )
    if isinstance(error, InvalidQuantity):
        return ShoppingError(
            code.INVALID_QUANTITY,
            f"delta must be non-zero and within {error.minimum}..{error.maximum} "
            "(the units on hand stay within the stock limit)",
            "delta",
            sku=error.sku,
            requested=error.quantity,
        )
    return typed_error(error, code)


def _record_to_json(record: StockAdjustmentRecord) -> dict[str, object]:
    return {
        "id": record.id,
        "sku": record.sku,
        "delta": record.delta,
        "on_hand_before": record.on_hand_before,
        "on_hand_after": record.on_hand_after,
        "reason": record.reason.value,
        "note": record.note,
        "actor": record.actor,
        "created_at": record.created_at.isoformat(),
    }


def _record_from_json(data: Mapping[str, Any]) -> StockAdjustmentRecord:
    return StockAdjustmentRecord(
        id=int(data["id"]),
        sku=str(data["sku"]),
        delta=int(data["delta"]),
        on_hand_before=int(data["on_hand_before"]),
        on_hand_after=int(data["on_hand_after"]),
        reason=StockAdjustmentReason(data["reason"]),
        note=data.get("note"),
        actor=str(data["actor"]),
        created_at=datetime.fromisoformat(str(data["created_at"])),
    )
