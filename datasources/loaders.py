"""Per-request DataLoaders (AppSync's BatchInvoke): one batched round trip per field level.

Built fresh for every request in the gateway's context getter, never at module level, so
nothing is cached across requests or identities.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from strawberry.dataloader import DataLoader

from datasources.asset_budgets import AssetBudgetRecord, budgets_by_report_keys
from datasources.ports import BlobStore, CatalogReader, OrderStore
from datasources.records import AssetRecord, CategoryRecord, ProductRecord, StockRecord
from datasources.shopping_records import OrderEventRecord, PaymentRecord

T = TypeVar("T")


def _loader(
    load: Callable[[Sequence[str]], Awaitable[list[T | None]]], batching: bool
) -> DataLoader[str, T | None]:
    async def load_fn(keys: list[str]) -> list[T | None]:
        return await load(keys)

    if batching:
        return DataLoader(load_fn=load_fn)
    return DataLoader(load_fn=load_fn, max_batch_size=1, cache=False)


def _list_loader(
    load: Callable[[Sequence[str]], Awaitable[list[tuple[T, ...]]]], batching: bool
) -> DataLoader[str, tuple[T, ...]]:
    async def load_fn(keys: list[str]) -> list[tuple[T, ...]]:
        return await load(keys)

    if batching:
        return DataLoader(load_fn=load_fn)
    return DataLoader(load_fn=load_fn, max_batch_size=1, cache=False)


@dataclass(frozen=True)
class Loaders:
    """The request's loaders, named ``XByYLoader`` after what they fetch and by which key."""

    product_by_id: DataLoader[str, ProductRecord | None]
    category_by_id: DataLoader[str, CategoryRecord | None]
    asset_by_id: DataLoader[str, AssetRecord | None]
    stock_by_sku: DataLoader[str, StockRecord | None]
    events_by_order_id: DataLoader[str, tuple[OrderEventRecord, ...]] | None = None
    """None where no order store is configured (no database)."""
    payments_by_order_id: DataLoader[str, tuple[PaymentRecord, ...]] | None = None
    budget_by_report_key: DataLoader[str, AssetBudgetRecord | None] | None = None
    """An asset's budgets from its ingest report in the asset bucket (None: no bucket)."""

    @classmethod
    def for_request(
        cls,
        catalog: CatalogReader,
        *,
        orders: OrderStore | None = None,
        blobs: BlobStore | None = None,
        batching: bool = True,
    ) -> Loaders:
        """Fresh loaders over ``catalog`` (and ``orders``, ``blobs``); ``batching=False``
        gives the naive one-call-per-key behaviour (used only as the benchmark baseline)."""

        async def budgets(keys: Sequence[str]) -> list[AssetBudgetRecord | None]:
            assert blobs is not None
            return await budgets_by_report_keys(blobs, keys)

        return cls(
            product_by_id=_loader(catalog.products_by_ids, batching),
            category_by_id=_loader(catalog.categories_by_ids, batching),
            asset_by_id=_loader(catalog.assets_by_ids, batching),
            stock_by_sku=_loader(catalog.stock_by_skus, batching),
            events_by_order_id=None
            if orders is None
            else _list_loader(orders.events_by_order_ids, batching),
            payments_by_order_id=None
            if orders is None
            else _list_loader(orders.payments_by_order_ids, batching),
            budget_by_report_key=None if blobs is None else _loader(budgets, batching),
        )
