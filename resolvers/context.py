"""The typed request context that every resolver reads (AppSync's ``$ctx``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from typing import Any

from datasources.events.in_process import InProcessEventBus
from datasources.loaders import Loaders
from datasources.ports import (
    AnalyticsSink,
    AssetUploads,
    AssetUrls,
    BlobStore,
    CartStore,
    Catalog,
    CheckoutService,
    DiscountCodes,
    EventBus,
    IdempotencyStore,
    Inventory,
    JobQueue,
    JobStore,
    KeyValueCache,
    OrderStore,
    PaymentProvider,
    ProductSearch,
    RateLimiter,
    ShippingCalculator,
    TaxCalculator,
    TrendingCounters,
)
from resolvers.entity_tags import EntityTags

ADMIN_GROUP = "admin"
"""The Cognito group of merchant admins."""


class AuthMode(StrEnum):
    """How the caller was authenticated, named as AppSync names its auth modes."""

    NONE = "NONE"
    API_KEY = "API_KEY"
    AMAZON_COGNITO_USER_POOLS = "AMAZON_COGNITO_USER_POOLS"


@dataclass(frozen=True)
class Identity:
    """Who is calling: AppSync's ``$ctx.identity``."""

    mode: AuthMode
    subject: str | None = None
    username: str | None = None
    groups: frozenset[str] = frozenset()
    claims: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def anonymous(cls) -> Identity:
        """A caller that presented no credentials."""
        return cls(mode=AuthMode.NONE)

    @property
    def is_merchant_admin(self) -> bool:
        """A Cognito user of the merchant-admin group."""
        return self.mode is AuthMode.AMAZON_COGNITO_USER_POOLS and ADMIN_GROUP in self.groups


@dataclass(frozen=True)
class ShoppingSources:
    """The transactional store (Aurora PostgreSQL) and the payment provider.

    ``tax`` and ``shipping`` are the calculators the checkout uses, so that cart reads show
    the totals the checkout will charge.
    """

    inventory: Inventory
    carts: CartStore
    discounts: DiscountCodes
    orders: OrderStore
    checkout: CheckoutService
    idempotency: IdempotencyStore
    payments: PaymentProvider
    tax: TaxCalculator
    shipping: ShippingCalculator
    cart_hold: timedelta | None = None
    """How long a cart holds the units it asks for; None: carts hold nothing (see
    ``resolvers.cart_holds``)."""


@dataclass(frozen=True)
class JobSources:
    """Direct uploads, ingest job records and the job queue, with the upload limits."""

    uploads: AssetUploads
    jobs: JobStore
    queue: JobQueue
    upload_max_bytes: int
    upload_url_ttl_seconds: int
    render_max_size: int = 2048
    render_max_frames: int = 72


@dataclass(frozen=True)
class AnalyticsSources:
    """Shopper events: the sink, the trending counters and the per-identity event limit."""

    sink: AnalyticsSink
    trending: TrendingCounters
    limiter: RateLimiter | None = None
    """Leaky buckets counted in events (None: no limit)."""
    trending_hours: int = 24
    """The window TRENDING sums points over."""


@dataclass(frozen=True)
class DataSources:
    """The named data sources resolvers may use, built once by the gateway's bootstrap.

    ``shopping`` is None when no database is configured (DATABASE_URL unset): the catalog
    still works and shopping fields answer ServiceUnavailable.
    """

    catalog: Catalog
    blobs: BlobStore
    asset_urls: AssetUrls
    cache: KeyValueCache
    shopping: ShoppingSources | None = None
    jobs: JobSources | None = None
    """Uploads and ingest jobs; None where no queue is configured (unit tests)."""
    events: EventBus = field(default_factory=InProcessEventBus)
    """Domain events that mutations publish (subscriptions, search indexing, caches)."""
    search: ProductSearch | None = None
    """Product search; None where no engine is configured (search fields answer
    ServiceUnavailable)."""
    analytics: AnalyticsSources | None = None
    """Shopper events and trending; None where not configured (trackEvents answers
    ServiceUnavailable, TRENDING falls back to the newest products)."""

    def new_loaders(self, *, batching: bool = True) -> Loaders:
        """Fresh per-request loaders over these sources."""
        orders = None if self.shopping is None else self.shopping.orders
        return Loaders.for_request(self.catalog, orders=orders, blobs=self.blobs, batching=batching)


class Context:
    """Per-request context: identity, data sources, loaders and the request id.

    ``cart_token`` is the anonymous cart token the caller presented (the ``x-cart-token``
    header), if any. A plain class (not a dataclass) so the HTTP layer can mix it with its
    framework's context base class.
    """

    def __init__(
        self,
        *,
        request_id: str,
        identity: Identity,
        sources: DataSources,
        loaders: Loaders,
        caching: bool = True,
        cart_token: str | None = None,
        client_ip: str | None = None,
    ) -> None:
        self.request_id = request_id
        self.identity = identity
        self.sources = sources
        self.loaders = loaders
        self.caching = caching
        self.cart_token = cart_token
        self.client_ip = client_ip
        self.memo: dict[str, Any] = {}
        self.entities = EntityTags()
        """The catalog records this request's answer was built from (for cache purges)."""


def rate_limit_key(identity: Identity | None, client_ip: str | None) -> str:
    """Whose bucket a request is charged to: the Cognito user, the API key per client IP
    (a storefront key is shared by every shopper), or the client IP for anonymous callers."""
    ip = client_ip or "unknown"
    if identity is not None and identity.subject:
        if identity.mode is AuthMode.AMAZON_COGNITO_USER_POOLS:
            return f"user:{identity.subject}"
        if identity.mode is AuthMode.API_KEY:
            return f"key:{identity.subject}:ip:{ip}"
    return f"ip:{ip}"
