"""The typed request context that every resolver reads (AppSync's ``$ctx``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from datasources.loaders import Loaders
from datasources.ports import (
    AssetUploads,
    AssetUrls,
    BlobStore,
    CartStore,
    Catalog,
    CheckoutService,
    DiscountCodes,
    IdempotencyStore,
    Inventory,
    JobQueue,
    JobStore,
    KeyValueCache,
    OrderStore,
    PaymentProvider,
    ShippingCalculator,
    TaxCalculator,
)


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


@dataclass(frozen=True)
class JobSources:
    """Direct uploads, ingest job records and the job queue, with the upload limits."""

    uploads: AssetUploads
    jobs: JobStore
    queue: JobQueue
    upload_max_bytes: int
    upload_url_ttl_seconds: int


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
    ) -> None:
        self.request_id = request_id
        self.identity = identity
        self.sources = sources
        self.loaders = loaders
        self.caching = caching
        self.cart_token = cart_token
        self.memo: dict[str, Any] = {}
