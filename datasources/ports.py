"""Ports: what resolvers need from the outside world, as Protocols.

Each port has a real adapter (DynamoDB, S3, Redis...) and, for unit tests, a fake in
``tests/fakes`` that satisfies the same Protocol.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection, Mapping, Sequence
from datetime import datetime, timedelta
from types import TracebackType
from typing import Protocol

from datasources.analytics.records import AnalyticsEvent, TrendingHit, TrendingScore
from datasources.events.records import DomainEvent, Topic
from datasources.job_records import (
    IngestJobRecord,
    JobError,
    QueuedMessage,
    RenderOutput,
    UploadedObject,
    UploadTicket,
)
from datasources.rate_limit import BucketConfig, Throttle
from datasources.records import (
    AssetRecord,
    CategoryRecord,
    Money,
    Page,
    ProductPageRequest,
    ProductRecord,
    ProductStatus,
    StockRecord,
)
from datasources.search.records import (
    SearchDocument,
    SearchHit,
    SearchPage,
    SearchRequest,
    Suggestion,
)
from datasources.shopping_records import (
    IDEMPOTENCY_LOCK_TIMEOUT,
    IDEMPOTENCY_TTL,
    AnonymousCart,
    CartAccess,
    CartRecord,
    CheckoutRequest,
    CheckoutResult,
    CoPurchase,
    DiscountCodeRecord,
    IdempotencyBegin,
    OrderEventRecord,
    OrderFilter,
    OrderRecord,
    OrderStatus,
    PaymentAuthorization,
    PaymentOutcome,
    PaymentRecord,
    PaymentRequest,
    PaymentResult,
    PricedLine,
    ReservationRecord,
    StockAdjustment,
    StockAdjustmentRecord,
    StockLevel,
    StockRequest,
    VoidOutcome,
)


class CatalogReader(Protocol):
    """Reads of the product catalog; batch methods return results in the order of the keys."""

    async def products_by_ids(self, ids: Sequence[str]) -> list[ProductRecord | None]:
        """Products for ``ids``, None where absent."""
        ...

    async def product_by_slug(self, slug: str) -> ProductRecord | None:
        """The product with this URL slug, if any."""
        ...

    async def list_products(self, request: ProductPageRequest) -> Page[ProductRecord]:
        """One page of products matching the request's filter, in its sort order."""
        ...

    def product_batches(
        self, statuses: Sequence[ProductStatus], size: int
    ) -> AsyncIterator[Sequence[ProductRecord]]:
        """Every product in one of ``statuses``, in storage order, at most ``size`` per batch:
        one read per batch, so a full scan (a reindex) costs O(products), not O(pages²)."""
        ...

    async def categories_by_ids(self, ids: Sequence[str]) -> list[CategoryRecord | None]:
        """Categories for ``ids``, None where absent."""
        ...

    async def all_categories(self) -> list[CategoryRecord]:
        """Every category (the tree is small and read whole)."""
        ...

    async def assets_by_ids(self, ids: Sequence[str]) -> list[AssetRecord | None]:
        """3D asset records for ``ids``, None where absent."""
        ...

    async def stock_by_skus(self, skus: Sequence[str]) -> list[StockRecord | None]:
        """Availability counters for ``skus``, None where absent."""
        ...


class CatalogWriter(Protocol):
    """Writes of the product catalog, with optimistic locking on products."""

    async def create_product(self, product: ProductRecord) -> ProductRecord:
        """Store a new product at version 1; AlreadyExists if its id or slug is taken."""
        ...

    async def update_product(self, product: ProductRecord, expected_version: int) -> ProductRecord:
        """Replace a product if it is at ``expected_version``; VersionConflict otherwise."""
        ...

    async def put_category(self, category: CategoryRecord) -> None:
        """Create or replace a category."""
        ...

    async def put_asset(self, asset: AssetRecord) -> None:
        """Create or replace a 3D asset record."""
        ...

    async def record_renders(
        self, asset_id: str, outputs: Sequence[RenderOutput]
    ) -> AssetRecord | None:
        """Record a render job's files on an asset (``AssetRecord.with_renders``), safe
        against concurrent render jobs of the same asset; None when the asset is gone."""
        ...

    async def put_stock(self, stock: StockRecord) -> None:
        """Create or replace the availability counter of a SKU."""
        ...


class Catalog(CatalogReader, CatalogWriter, Protocol):
    """The whole catalog port."""

    async def check(self) -> None:
        """Raise DataSourceUnavailable unless the backing store answers."""
        ...


class BlobStore(Protocol):
    """Object storage for 3D files and images."""

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        """Store ``data`` under ``key``."""
        ...

    async def get(self, key: str) -> bytes:
        """The bytes stored under ``key``; NotFound if absent."""
        ...

    async def exists(self, key: str) -> bool:
        """Whether an object is stored under ``key``."""
        ...

    async def check(self) -> None:
        """Raise DataSourceUnavailable unless the store answers."""
        ...


class AssetUrls(Protocol):
    """Turns object keys into URLs a browser can fetch (presigned S3 or CDN)."""

    def url_for(self, key: str) -> str:
        """A URL for the object ``key``."""
        ...


class KeyValueCache(Protocol):
    """A byte cache with expiry: Redis (ElastiCache) or in-process."""

    async def get(self, key: str) -> bytes | None:
        """The cached value, or None when absent or expired."""
        ...

    async def set(self, key: str, value: bytes, ttl_seconds: float) -> None:
        """Cache ``value`` for ``ttl_seconds``."""
        ...

    async def delete(self, *keys: str) -> None:
        """Forget ``keys``."""
        ...

    async def check(self) -> None:
        """Raise DataSourceUnavailable unless the cache answers."""
        ...


class TaggedCache(Protocol):
    """A byte cache whose entries carry entity tags, purged by tag: Redis or in-process.

    The full-response cache keeps public catalog answers here, tagged with the products,
    categories and SKUs they contain, so that a change purges exactly the answers showing it.
    """

    async def get(self, key: str) -> bytes | None:
        """The cached value, or None when absent, expired or purged."""
        ...

    async def generation(self) -> int:
        """A counter that every purge moves on: read it before computing a value to store."""
        ...

    async def put(
        self,
        key: str,
        value: bytes,
        ttl_seconds: float,
        tags: Collection[str],
        *,
        generation: int,
    ) -> bool:
        """Cache ``value`` for ``ttl_seconds`` under ``key``, indexed by each of ``tags``,
        unless a purge happened since ``generation`` (the value may then be stale); whether
        it was stored."""
        ...

    async def purge(self, tags: Collection[str]) -> int:
        """Forget every entry carrying any of ``tags``; how many entries were removed."""
        ...

    async def check(self) -> None:
        """Raise DataSourceUnavailable unless the cache answers."""
        ...


class CdnInvalidator(Protocol):
    """Asks the CDN in front of the gateway (CloudFront) to drop its copies of some paths."""

    async def invalidate(self, paths: Collection[str]) -> str:
        """Request the invalidation of ``paths``; the CDN's id for the request."""
        ...

    async def close(self) -> None:
        """Release the client."""
        ...


class RateLimiter(Protocol):
    """Leaky buckets per identity, charged with query cost: Redis or in-process."""

    @property
    def config(self) -> BucketConfig:
        """The bucket's size and restore rate."""
        ...

    async def charge(self, key: str, cost: float) -> Throttle:
        """Take ``cost`` points from ``key``'s bucket if it holds them; refuse otherwise."""
        ...

    async def check(self) -> None:
        """Raise DataSourceUnavailable unless the limiter's store answers."""
        ...


# --- shopping: pricing, inventory, carts, orders, idempotency, payments ---------------------


class TaxCalculator(Protocol):
    """Tax of an order or cart (pluggable: flat rate locally, a tax service in production)."""

    def tax(self, lines: Sequence[PricedLine], taxable: Money) -> Money:
        """Tax on ``taxable`` (the subtotal after discount), in its currency."""
        ...


class ShippingCalculator(Protocol):
    """Shipping charge of an order or cart."""

    def shipping(self, lines: Sequence[PricedLine], subtotal: Money) -> Money:
        """Shipping for ``lines`` whose subtotal (before discount) is ``subtotal``."""
        ...


class Inventory(Protocol):
    """Stock per SKU with expiring cart reservations; never oversells.

    available = on_hand - allocated - live reservations (unreleased and unexpired at ``now``).
    Allocation (stock promised to an order) happens inside ``CheckoutService.place_order``'s
    transaction and is released by the order's CANCELLED/REFUNDED transition.
    ``now`` defaults to the database clock.
    """

    async def put_stock(self, sku: str, on_hand: int) -> StockLevel:
        """Set the units on hand of ``sku`` (a stock count or delivery), creating the SKU.

        InsufficientStock when ``on_hand`` is below what is already allocated to orders.
        """
        ...

    async def stock_levels(
        self, skus: Sequence[str], *, now: datetime | None = None
    ) -> list[StockLevel | None]:
        """Stock of ``skus`` in order, None for SKUs without stock."""
        ...

    async def available(
        self, skus: Sequence[str], *, now: datetime | None = None
    ) -> dict[str, int]:
        """Units available per SKU (0 for SKUs without stock)."""
        ...

    async def reserve(
        self,
        cart_id: str,
        lines: Sequence[StockRequest],
        ttl: timedelta,
        *,
        now: datetime | None = None,
    ) -> tuple[ReservationRecord, ...]:
        """Hold ``lines`` for the cart until ``now + ttl``, all or nothing.

        Replaces the cart's previous holds (its own holds do not count against it).
        InsufficientStock for the first short SKU (in SKU order), and then nothing changed.
        """
        ...

    async def reservations(
        self, cart_id: str, *, now: datetime | None = None
    ) -> tuple[ReservationRecord, ...]:
        """The cart's live holds, by SKU."""
        ...

    async def release(self, cart_id: str) -> int:
        """Drop the cart's holds; the number released."""
        ...

    async def expire_reservations(self, now: datetime | None = None) -> int:
        """Mark holds whose time is up as released (EXPIRED); the number marked.

        Expired holds already stop counting at their ``expires_at``: this is housekeeping.
        """
        ...

    async def adjust_stock(
        self, adjustment: StockAdjustment
    ) -> tuple[StockAdjustmentRecord, StockLevel]:
        """Change the units on hand by ``adjustment.delta`` with an audit record; the record
        and the level it left.

        Locked like every stock writer. StockBelowCommitted (nothing changed) when fewer units
        would remain than are allocated plus held by live reservations; StockNotTracked for a
        SKU without stock; InvalidQuantity for a zero or too large delta.
        """
        ...

    async def stock_adjustments(
        self, sku: str, *, limit: int = 50
    ) -> tuple[StockAdjustmentRecord, ...]:
        """The newest ``limit`` adjustments of ``sku``, newest first."""
        ...

    async def check(self) -> None:
        """Raise DataSourceUnavailable unless the database answers."""
        ...


class CartStore(Protocol):
    """Carts of anonymous visitors (bearer token) and of signed-in shoppers.

    Every read and write is scoped by a :class:`CartAccess`: someone else's cart reads as
    None (writes raise CartNotFound), so the API answers NOT_FOUND. Writes take an optional
    ``expected_version`` (optimistic locking: CartVersionConflict when the cart moved on) and
    return the cart at its new version; each write is one transaction holding the cart's row
    lock, so two devices editing one cart never lose an update.
    """

    async def create_anonymous_cart(self, currency: str) -> AnonymousCart:
        """A new anonymous cart and its token (only the token's hash is stored)."""
        ...

    async def open_cart(self, owner_sub: str, currency: str) -> CartRecord:
        """The shopper's open cart (ACTIVE or CHECKING_OUT), created ACTIVE if there is none."""
        ...

    async def cart(self, cart_id: str, access: CartAccess) -> CartRecord | None:
        """The cart if ``access`` may see it, else None (absent and foreign look the same)."""
        ...

    async def add_line(
        self,
        cart_id: str,
        access: CartAccess,
        *,
        sku: str,
        product_id: str,
        quantity: int,
        expected_version: int | None = None,
    ) -> CartRecord:
        """Add ``quantity`` units of ``sku`` (to its line if present; at most 99 per line)."""
        ...

    async def set_line_quantity(
        self,
        cart_id: str,
        access: CartAccess,
        *,
        sku: str,
        quantity: int,
        expected_version: int | None = None,
    ) -> CartRecord:
        """Set the quantity of ``sku``'s line (1..99; 0 removes it). NotFound when the cart
        has no such line (use ``add_line`` to add one)."""
        ...

    async def remove_line(
        self, cart_id: str, access: CartAccess, *, sku: str, expected_version: int | None = None
    ) -> CartRecord:
        """Remove ``sku``'s line if present."""
        ...

    async def merge_anonymous(
        self, anonymous_cart_id: str, anonymous_token: str, owner_sub: str
    ) -> CartRecord:
        """Move an anonymous cart's lines into the shopper's open cart (sign-in).

        Quantities of the same SKU add up (capped at 99); the shopper's discount code wins,
        else the anonymous cart's is kept; the anonymous cart becomes MERGED and its holds are
        released. Returns the shopper's cart. CartNotFound for a wrong token.
        """
        ...

    async def apply_discount(
        self,
        cart_id: str,
        access: CartAccess,
        code: str,
        *,
        expected_version: int | None = None,
        now: datetime | None = None,
    ) -> CartRecord:
        """Attach a discount code; InvalidDiscount(reason) when it cannot be used now."""
        ...

    async def remove_discount(
        self, cart_id: str, access: CartAccess, *, expected_version: int | None = None
    ) -> CartRecord:
        """Detach the cart's discount code, if any."""
        ...


class DiscountCodes(Protocol):
    """Discount codes (merchant-managed)."""

    async def create_discount_code(self, code: DiscountCodeRecord) -> DiscountCodeRecord:
        """Store a new code (upper-cased); AlreadyExists when taken."""
        ...

    async def discount_code(self, code: str) -> DiscountCodeRecord | None:
        """The code (case-insensitive), if it exists."""
        ...


class OrderStore(Protocol):
    """Orders, their audit trail and payments; status changes follow ``ORDER_TRANSITIONS``."""

    async def order(self, order_id: str, owner_sub: str) -> OrderRecord | None:
        """The shopper's order, or None when absent or someone else's."""
        ...

    async def orders_by_ids(self, order_ids: Sequence[str]) -> list[OrderRecord | None]:
        """Orders in the order of ``order_ids`` (unscoped: for merchants and loaders)."""
        ...

    async def order_history(
        self, owner_sub: str, *, first: int, after: str | None = None
    ) -> Page[OrderRecord]:
        """The shopper's orders, newest first, keyset-paginated (InvalidCursor on junk)."""
        ...

    async def list_orders(
        self, order_filter: OrderFilter, *, first: int, after: str | None = None
    ) -> Page[OrderRecord]:
        """Every order matching the filter, newest first, for merchants."""
        ...

    async def order_events(self, order_id: str) -> tuple[OrderEventRecord, ...]:
        """The order's audit trail, oldest first."""
        ...

    async def payments(self, order_id: str) -> tuple[PaymentRecord, ...]:
        """The order's payment attempts, oldest first."""
        ...

    async def events_by_order_ids(
        self, order_ids: Sequence[str]
    ) -> list[tuple[OrderEventRecord, ...]]:
        """The audit trails of ``order_ids`` in their order, in one round trip."""
        ...

    async def payments_by_order_ids(
        self, order_ids: Sequence[str]
    ) -> list[tuple[PaymentRecord, ...]]:
        """The payment attempts of ``order_ids`` in their order, in one round trip."""
        ...

    async def transition(
        self, order_id: str, to: OrderStatus, *, actor: str, note: str | None = None
    ) -> OrderRecord:
        """Move the order to ``to`` with its side effects, appending an order event.

        IllegalTransition when the state machine forbids it; OrderNotFound when absent.
        """
        ...

    async def bought_together(self, product_id: str, first: int) -> tuple[CoPurchase, ...]:
        """Products on the same PAID or FULFILLED orders as ``product_id`` with how many such
        orders hold both, most first (ties by product id); at most ``first``."""
        ...

    async def cancel_abandoned(
        self, placed_before: datetime, *, actor: str = "system:reaper"
    ) -> tuple[str, ...]:
        """Cancel PENDING_PAYMENT orders placed before ``placed_before``; their ids."""
        ...


class CheckoutService(Protocol):
    """The checkout unit of work: one transaction places the order with its allocation."""

    async def place_order(self, request: CheckoutRequest) -> OrderRecord:
        """Validate the cart against ``request.prices``, allocate its stock, redeem its
        discount code and create the order PENDING_PAYMENT, all in one transaction.

        Errors (nothing written): CartNotFound, CartNotActive, CartVersionConflict, EmptyCart,
        UnknownSku, CurrencyMismatch, InsufficientStock, InvalidDiscount,
        IdempotencyKeyReused (the order key was used for another cart).
        """
        ...

    async def settle_payment(
        self, order_id: str, result: PaymentResult, *, actor: str
    ) -> OrderRecord:
        """Record a payment result (or a provider callback) and move the order accordingly:
        CAPTURED → PAID, DECLINED/TIMED_OUT-final → CANCELLED, REQUIRES_ACTION → unchanged.
        A replayed callback (same provider and reference, same status) changes nothing."""
        ...

    async def checkout(
        self, request: CheckoutRequest, *, payment_token: str, provider: PaymentProvider
    ) -> CheckoutResult:
        """``place_order``, then authorize and capture outside the transaction, then settle."""
        ...


class IdempotencyStore(Protocol):
    """Idempotency keys with Stripe's semantics, per ``scope`` (e.g. ``checkout:<sub>``)."""

    async def begin(
        self,
        scope: str,
        key: str,
        request_hash: str,
        *,
        ttl: timedelta = IDEMPOTENCY_TTL,
        lock_timeout: timedelta = IDEMPOTENCY_LOCK_TIMEOUT,
        now: datetime | None = None,
    ) -> IdempotencyBegin:
        """Claim ``key`` for a request, or find the response of its first run.

        STARTED: run the operation, then ``complete`` (or ``abandon`` if it changed nothing).
        REPLAY: the same request ran before; its stored response is returned.
        IdempotencyKeyReused: the key was used with another request hash.
        IdempotencyConflict: the first request is still running (younger than
        ``lock_timeout``; an older unfinished claim is taken over). Expired keys are reusable.
        """
        ...

    async def complete(self, scope: str, key: str, response: Mapping[str, object]) -> None:
        """Store the response of a claimed key (JSON-serialisable)."""
        ...

    async def abandon(self, scope: str, key: str) -> None:
        """Forget an unfinished claim, so that a retry runs the operation again."""
        ...

    async def purge_expired(self, now: datetime | None = None) -> int:
        """Delete expired records; how many."""
        ...


class PaymentProvider(Protocol):
    """A card payment provider (test provider locally; Stripe later)."""

    @property
    def name(self) -> str:
        """The provider's name as stored on payments (``test``, ``stripe``)."""
        ...

    async def authorize(self, request: PaymentRequest) -> PaymentAuthorization:
        """Authorize ``request.amount``; PaymentTimeout when the provider does not answer."""
        ...

    async def capture(
        self, provider_ref: str, amount: Money, *, idempotency_key: str
    ) -> PaymentOutcome:
        """Capture an authorization (SUCCEEDED or DECLINED)."""
        ...

    async def refund(self, provider_ref: str, amount: Money, *, idempotency_key: str) -> None:
        """Refund a captured payment."""
        ...

    async def void(self, provider_ref: str, *, idempotency_key: str) -> VoidOutcome:
        """Cancel an authorization that was not captured (VOIDED, also when it already was);
        ALREADY_CAPTURED when the money was taken meanwhile. PaymentTimeout when the provider
        does not answer, ValueError when it refuses for another reason."""
        ...


# --- ingest jobs: uploads, job records, the job queue ---------------------------------------


class AssetUploads(Protocol):
    """Direct browser uploads to object storage (presigned S3 POST) and their inspection."""

    def presign_post(
        self, key: str, content_type: str, max_bytes: int, expires_in_seconds: int
    ) -> tuple[str, dict[str, str]]:
        """URL and form fields of a POST that may store at most ``max_bytes`` at ``key``."""
        ...

    async def head(self, key: str) -> UploadedObject | None:
        """Size and type of the object at ``key``, or None when nothing was uploaded."""
        ...


class JobStore(Protocol):
    """Ingest job records; every transition is conditional (at-least-once delivery safe)."""

    async def create_upload(self, ticket: UploadTicket, product_id: str, file_name: str) -> None:
        """Remember an upload ticket until it is finalized."""
        ...

    async def upload(self, upload_id: str) -> tuple[UploadTicket, str, str] | None:
        """(ticket, product id, file name) of an upload, or None."""
        ...

    async def create_job(self, job: IngestJobRecord) -> IngestJobRecord:
        """Store a new QUEUED job; AlreadyExists when its id is taken."""
        ...

    async def jobs_by_ids(self, ids: Sequence[str]) -> list[IngestJobRecord | None]:
        """Jobs for ``ids``, None where absent."""
        ...

    async def claim(
        self, job_id: str, worker_id: str, lease_seconds: float, now: datetime
    ) -> IngestJobRecord | None:
        """Move a QUEUED job (or a RUNNING one whose lease ran out) to RUNNING with one more
        attempt; None when it is finished or another worker holds it."""
        ...

    async def heartbeat(
        self, job_id: str, attempt: int, lease_seconds: float, progress: int, now: datetime
    ) -> bool:
        """Extend the lease of the running ``attempt`` and record progress; False if lost."""
        ...

    async def release(self, job_id: str, attempt: int) -> bool:
        """Give the running ``attempt`` back (RUNNING → QUEUED) so another worker may claim it."""
        ...

    async def succeed(
        self,
        job_id: str,
        attempt: int,
        asset_id: str,
        output_keys: Sequence[str],
        now: datetime,
        render_outputs: Sequence[RenderOutput] = (),
        poster_job_id: str | None = None,
    ) -> bool:
        """Mark the running ``attempt`` SUCCEEDED (with a render job's files, or the poster
        job an ingest queued); False if the job moved on."""
        ...

    async def fail(
        self, job_id: str, error: JobError, now: datetime, attempt: int | None = None
    ) -> bool:
        """Mark an unfinished job FAILED (only the running ``attempt`` when given)."""
        ...


class JobQueue(Protocol):
    """The ingest job queue (SQS standard queue with a dead-letter queue)."""

    async def send(self, body: str) -> str:
        """Enqueue ``body``; the message id."""
        ...

    async def receive(
        self, max_messages: int, wait_seconds: int, visibility_timeout: int | None = None
    ) -> list[QueuedMessage]:
        """Long-poll up to ``max_messages`` messages."""
        ...

    async def delete(self, receipt_handle: str) -> None:
        """Acknowledge a message."""
        ...

    async def change_visibility(self, receipt_handle: str, seconds: int) -> None:
        """Hide a message for ``seconds`` more (0 releases it now)."""
        ...

    async def check(self) -> None:
        """Raise DataSourceUnavailable unless the queue answers."""
        ...


class EventSubscription(Protocol):
    """A subscriber's stream of events: an async iterator and an async context manager
    that unsubscribes on exit. Iteration raises SubscriberFellBehind when it overflowed."""

    async def __aenter__(self) -> EventSubscription: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None: ...

    def __aiter__(self) -> AsyncIterator[DomainEvent]: ...

    async def __anext__(self) -> DomainEvent: ...

    @property
    def pending(self) -> int:
        """Events queued and not read yet."""
        ...


class EventBus(Protocol):
    """Publish/subscribe of domain events: in-process, or across processes through Redis."""

    async def publish(self, event: DomainEvent) -> None:
        """Deliver ``event`` to every current subscriber of its topic."""
        ...

    def subscribe(
        self, topics: Collection[Topic], max_pending: int | None = None
    ) -> EventSubscription:
        """Events of ``topics`` published from now on, at most ``max_pending`` waiting."""
        ...

    def listen(self) -> None:
        """Start receiving events published by other processes (returns at once)."""
        ...

    async def close(self) -> None:
        """Release connections and drop subscribers."""
        ...


# --- search -----------------------------------------------------------------------------------


class ProductSearch(Protocol):
    """Full-text product search behind an alias: the embedded engine (tantivy) or OpenSearch.

    Reads and upserts go to the index the alias names; a full reindex builds a new index
    (``create_index`` + ``bulk_load``) and then ``switch_alias``, so search never goes empty.
    User text is never parsed as query syntax.
    """

    @property
    def alias(self) -> str:
        """The alias reads and upserts go through; reindexes name new indexes after it."""
        ...

    async def index(self, documents: Sequence[SearchDocument]) -> None:
        """Create or replace ``documents`` (by product id) in the live index."""
        ...

    async def delete(self, product_ids: Sequence[str]) -> None:
        """Remove products from the live index (absent ones are ignored)."""
        ...

    async def search(self, request: SearchRequest) -> SearchPage:
        """One page of matches with facets; InvalidSearchQuery, InvalidCursor on bad input."""
        ...

    async def suggest(self, prefix: str, first: int) -> tuple[Suggestion, ...]:
        """Product names and brands completing ``prefix`` (InvalidSearchQuery if too long)."""
        ...

    async def similar(self, product_id: str, first: int) -> tuple[SearchHit, ...]:
        """More like this: the products whose text and attributes (brand, category,
        materials, colours) best match the indexed product ``product_id``, best first,
        without it; empty when it is not indexed."""
        ...

    async def create_index(self, name: str) -> None:
        """Create an empty index ``name`` with the engine's analyzers and mappings."""
        ...

    async def bulk_load(self, name: str, documents: Sequence[SearchDocument]) -> int:
        """Add ``documents`` to the index ``name`` (not yet live); how many were indexed."""
        ...

    async def switch_alias(self, name: str) -> str | None:
        """Point the alias at index ``name`` atomically; the index it named before, if any."""
        ...

    async def drop_index(self, name: str) -> None:
        """Delete the index ``name`` (never the live one)."""
        ...

    async def live_index(self) -> str | None:
        """The index the alias names, or None before the first ``switch_alias``."""
        ...

    async def check(self) -> None:
        """Raise DataSourceUnavailable unless the engine answers."""
        ...

    async def close(self) -> None:
        """Release the engine's files or connections."""
        ...


# --- analytics --------------------------------------------------------------------------------


class AnalyticsSink(Protocol):
    """Where accepted shopper events go: Kinesis Data Streams on AWS, a ring buffer locally."""

    async def put(self, events: Sequence[AnalyticsEvent]) -> tuple[int, ...]:
        """Store ``events``; the indexes (into ``events``) of those that could not be
        stored. DataSourceUnavailable when the sink cannot be reached at all."""
        ...

    async def check(self) -> None:
        """Raise DataSourceUnavailable unless the sink answers."""
        ...

    async def close(self) -> None:
        """Release the sink's clients."""
        ...


class TrendingCounters(Protocol):
    """Points per product per hour and department, fed by shopper events."""

    async def add(self, hits: Sequence[TrendingHit]) -> None:
        """Add each hit's weight to its product in the bucket of its hour."""
        ...

    async def top(
        self, department: str, now: datetime, hours: int, first: int
    ) -> tuple[TrendingScore, ...]:
        """The ``first`` products of ``department`` with the most points over the ``hours``
        hours ending with ``now``'s, most first (ties by product id)."""
        ...

    async def check(self) -> None:
        """Raise DataSourceUnavailable unless the counters' store answers."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...
