"""The catalog on DynamoDB, through PynamoDB (sync, so every call runs in a worker thread)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from functools import partial
from typing import Any, TypeVar

from botocore.exceptions import BotoCoreError
from pynamodb.connection import Connection
from pynamodb.exceptions import PynamoDBException, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from datasources.dynamodb import codecs
from datasources.dynamodb.models import (
    BY_KIND_INDEX,
    CatalogModels,
    TableConfig,
    asset_key,
    build_models,
    category_key,
    product_key,
    slug_key,
    stock_key,
)
from datasources.errors import AlreadyExists, DataSourceUnavailable, NotFound, VersionConflict
from datasources.instrumentation import record_call
from datasources.job_records import RenderOutput
from datasources.listing import paginate
from datasources.records import (
    AssetRecord,
    CategoryRecord,
    Page,
    ProductFilter,
    ProductPageRequest,
    ProductRecord,
    ProductStatus,
    StockRecord,
)

T = TypeVar("T")
SERVICE = "dynamodb"
_BATCH_GET_LIMIT = 100
_RENDER_WRITE_TRIES = 5
_CONDITION_FAILED = "ConditionalCheckFailedException"


class DynamoDBCatalog:
    """Catalog port on one DynamoDB table (single-table design, see ``models``)."""

    def __init__(self, config: TableConfig) -> None:
        self._config = config
        self._models: CatalogModels = build_models(config)

    @property
    def models(self) -> CatalogModels:
        """The PynamoDB classes bound to this table."""
        return self._models

    async def _run(self, operation: str, call: Callable[[], T]) -> T:
        with record_call(SERVICE, operation):
            try:
                return await asyncio.to_thread(call)
            except (TransactWriteError, UpdateError):
                raise
            except (PynamoDBException, BotoCoreError) as error:
                raise self._unavailable(error) from error

    def _unavailable(self, error: Exception) -> DataSourceUnavailable:
        cause = getattr(error, "cause", None) or error
        detail = f"{type(cause).__name__}: {cause}"
        return DataSourceUnavailable(
            f"DynamoDB table {self._config.table_name!r} at {self._config.endpoint_url or 'AWS'}",
            detail,
        )

    # -- set-up -----------------------------------------------------------------------------

    async def ensure_table(self) -> None:
        """Create the table and its index when missing (local stack and tests only)."""

        def create() -> None:
            if not self._models.item.exists():
                self._models.item.create_table(wait=True, billing_mode="PAY_PER_REQUEST")

        await self._run("CreateTable", create)

    async def check(self) -> None:
        """Raise DataSourceUnavailable unless the table answers."""

        def describe() -> None:
            connection = Connection(
                region=self._config.region,
                host=self._config.endpoint_url,
                connect_timeout_seconds=self._config.connect_timeout_seconds,
                max_retry_attempts=0,
                aws_access_key_id=self._config.access_key_id,
                aws_secret_access_key=self._config.secret_access_key,
            )
            connection.describe_table(self._config.table_name)

        await self._run("DescribeTable", describe)

    # -- reads ------------------------------------------------------------------------------

    async def _batch_get(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], Any]:
        found: dict[tuple[str, str], Any] = {}
        unique = list(dict.fromkeys(keys))
        for start in range(0, len(unique), _BATCH_GET_LIMIT):
            chunk = unique[start : start + _BATCH_GET_LIMIT]
            items = await self._run("BatchGetItem", partial(_fetch_batch, self._models.item, chunk))
            found.update({(item.pk, item.sk): item for item in items})
        return found

    async def _get_many(
        self, keys: Sequence[tuple[str, str]], convert: Callable[[Any], T]
    ) -> list[T | None]:
        if not keys:
            return []
        found = await self._batch_get(keys)
        return [convert(found[key]) if key in found else None for key in keys]

    async def products_by_ids(self, ids: Sequence[str]) -> list[ProductRecord | None]:
        """Products for ``ids`` in one BatchGetItem per 100 keys."""
        return await self._get_many([product_key(i) for i in ids], codecs.item_to_product)

    async def product_by_slug(self, slug: str) -> ProductRecord | None:
        """The product that reserved ``slug``."""
        pk, sk = slug_key(slug)
        found = await self._batch_get([(pk, sk)])
        if (pk, sk) not in found:
            return None
        products = await self.products_by_ids([found[(pk, sk)].product_id])
        return products[0]

    async def list_products(self, request: ProductPageRequest) -> Page[ProductRecord]:
        """Query the product partition of the by-kind index with the filter pushed down."""
        condition = self._filter_condition(request.filter)

        def query() -> list[Any]:
            return list(self._models.item.by_kind.query("PRODUCT", filter_condition=condition))

        items = await self._run("Query", query)
        return paginate((codecs.item_to_product(i) for i in items), request)

    async def product_batches(
        self, statuses: Sequence[ProductStatus], size: int
    ) -> AsyncIterator[Sequence[ProductRecord]]:
        """Products in ``statuses``, one by-kind Query page (at most ``size`` items) per batch."""
        condition = self._models.product.status.is_in(*(s.value for s in statuses))
        after: dict[str, Any] | None = None
        while True:
            items, after = await self._run(
                "Query", partial(self._product_page, condition, size, after)
            )
            if items:
                yield [codecs.item_to_product(i) for i in items]
            if after is None:
                return

    def _product_page(
        self, condition: Any, size: int, after: dict[str, Any] | None
    ) -> tuple[list[Any], dict[str, Any] | None]:
        results = self._models.item.by_kind.query(
            "PRODUCT",
            filter_condition=condition,
            limit=size,
            page_size=size,
            last_evaluated_key=after,
        )
        items = list(results)
        return items, results.last_evaluated_key

    def _filter_condition(self, wanted: ProductFilter) -> Any:
        product = self._models.product
        condition = product.status.is_in(*(s.value for s in wanted.statuses))
        if wanted.category_id is not None:
            condition &= product.category_path.contains(wanted.category_id)
        if wanted.brand is not None:
            condition &= product.brand == wanted.brand
        for tag in wanted.tags:
            condition &= product.tags.contains(tag)
        if wanted.min_price is not None:
            condition &= product.max_price >= wanted.min_price
        if wanted.max_price is not None:
            condition &= product.min_price <= wanted.max_price
        return condition

    async def categories_by_ids(self, ids: Sequence[str]) -> list[CategoryRecord | None]:
        """Categories for ``ids`` in one BatchGetItem per 100 keys."""
        return await self._get_many([category_key(i) for i in ids], codecs.item_to_category)

    async def all_categories(self) -> list[CategoryRecord]:
        """Every category, in tree position order."""
        items = await self._run("Query", lambda: list(self._models.item.by_kind.query("CATEGORY")))
        return [codecs.item_to_category(i) for i in items]

    async def assets_by_ids(self, ids: Sequence[str]) -> list[AssetRecord | None]:
        """3D asset records for ``ids`` in one BatchGetItem per 100 keys."""
        return await self._get_many([asset_key(i) for i in ids], codecs.item_to_asset)

    async def stock_by_skus(self, skus: Sequence[str]) -> list[StockRecord | None]:
        """Availability counters for ``skus`` in one BatchGetItem per 100 keys."""
        return await self._get_many([stock_key(s) for s in skus], codecs.item_to_stock)

    # -- writes -----------------------------------------------------------------------------

    async def create_product(self, product: ProductRecord) -> ProductRecord:
        """Store a new product and reserve its slug in one transaction."""
        item = codecs.product_to_item(self._models, product)
        slug_pk, slug_sk = slug_key(product.slug)
        guard = self._models.slug(slug_pk, slug_sk, product_id=product.id)

        def write() -> None:
            with TransactWrite(connection=self._connection()) as transaction:
                transaction.save(item, condition=self._models.item.pk.does_not_exist())
                transaction.save(guard, condition=self._models.item.pk.does_not_exist())

        try:
            await self._run("TransactWriteItems", write)
        except TransactWriteError as error:
            reasons = _reason_codes(error)
            if reasons[0] == "ConditionalCheckFailed":
                raise AlreadyExists(f"A product with id {product.id!r} exists already") from error
            if reasons[1] == "ConditionalCheckFailed":
                raise AlreadyExists(f"The slug {product.slug!r} is taken") from error
            raise self._unavailable(error) from error
        return codecs.item_to_product(item)

    async def update_product(self, product: ProductRecord, expected_version: int) -> ProductRecord:
        """Replace a product if it is still at ``expected_version`` (and move its slug)."""
        current = (await self.products_by_ids([product.id]))[0]
        if current is None:
            raise NotFound(f"Product {product.id!r} does not exist")
        if current.version != expected_version:
            raise VersionConflict("Product", product.id, expected_version, current.version)
        item = codecs.product_to_item(self._models, product)
        item.version = expected_version

        def write() -> None:
            with TransactWrite(connection=self._connection()) as transaction:
                transaction.save(item)
                if current.slug != product.slug:
                    new_pk, new_sk = slug_key(product.slug)
                    old_pk, old_sk = slug_key(current.slug)
                    transaction.save(
                        self._models.slug(new_pk, new_sk, product_id=product.id),
                        condition=self._models.item.pk.does_not_exist(),
                    )
                    transaction.delete(self._models.slug(old_pk, old_sk, product_id=product.id))

        try:
            await self._run("TransactWriteItems", write)
        except TransactWriteError as error:
            # PynamoDB sends deletes before puts, so the product put follows the slug delete.
            reasons = _reason_codes(error)[1 if current.slug != product.slug else 0 :]
            if reasons[0] == "ConditionalCheckFailed":
                latest = (await self.products_by_ids([product.id]))[0]
                actual = None if latest is None else latest.version
                raise VersionConflict("Product", product.id, expected_version, actual) from error
            if reasons[1] == "ConditionalCheckFailed":
                raise AlreadyExists(f"The slug {product.slug!r} is taken") from error
            raise self._unavailable(error) from error
        return codecs.item_to_product(item)

    async def put_category(self, category: CategoryRecord) -> None:
        """Create or replace a category."""
        item = codecs.category_to_item(self._models, category)
        await self._run("PutItem", item.save)

    async def put_asset(self, asset: AssetRecord) -> None:
        """Create or replace a 3D asset record."""
        item = codecs.asset_to_item(self._models, asset)
        await self._run("PutItem", item.save)

    async def record_renders(
        self, asset_id: str, outputs: Sequence[RenderOutput]
    ) -> AssetRecord | None:
        """Read the asset, merge ``outputs`` in, and write renders and poster back on the
        condition that its renders did not change meanwhile (a few tries)."""
        pk, sk = asset_key(asset_id)
        asset_model = self._models.asset
        for _ in range(_RENDER_WRITE_TRIES):
            items = await self._run(
                "GetItem",
                lambda: list(asset_model.batch_get([(pk, sk)], consistent_read=True)),
            )
            if not items:
                return None
            current = codecs.item_to_asset(items[0])
            merged = current.with_renders(outputs)
            unchanged = (
                asset_model.renders.does_not_exist()
                if items[0].renders is None
                else asset_model.renders == items[0].renders
            )
            actions = [asset_model.renders.set(codecs.renders_json(merged.renders))]
            if merged.poster_key is not None:
                actions.append(asset_model.poster_key.set(merged.poster_key))
            item = asset_model(pk, sk)
            condition = unchanged & asset_model.pk.exists()
            try:
                await self._run(
                    "UpdateItem", partial(item.update, actions=actions, condition=condition)
                )
            except UpdateError as error:
                if getattr(error, "cause_response_code", None) != _CONDITION_FAILED:
                    raise self._unavailable(error) from error
                continue
            return merged
        raise DataSourceUnavailable(
            f"asset {asset_id!r}", f"its renders changed {_RENDER_WRITE_TRIES} times in a row"
        )

    async def put_stock(self, stock: StockRecord) -> None:
        """Create or replace a SKU's availability counter."""
        item = codecs.stock_to_item(self._models, stock)
        await self._run("PutItem", item.save)

    def _connection(self) -> Connection:
        return Connection(
            region=self._config.region,
            host=self._config.endpoint_url,
            connect_timeout_seconds=self._config.connect_timeout_seconds,
            read_timeout_seconds=self._config.read_timeout_seconds,
            max_retry_attempts=self._config.max_retry_attempts,
            aws_access_key_id=self._config.access_key_id,
            aws_secret_access_key=self._config.secret_access_key,
        )


def _fetch_batch(model: Any, keys: list[tuple[str, str]]) -> list[Any]:
    return list(model.batch_get(keys))


def _reason_codes(error: TransactWriteError) -> list[str | None]:
    reasons: Iterable[Any] = error.cancellation_reasons or ()
    return [None if r is None else r.code for r in reasons] + [None, None]


__all__ = ["BY_KIND_INDEX", "DynamoDBCatalog", "TableConfig"]
