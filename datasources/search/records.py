"""Records of the ``ProductSearch`` port: the indexed document, the request and the page."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

import orjson

from datasources.errors import InvalidCursor, InvalidSearchQuery
from datasources.records import Dimensions, ProductRecord, ProductStatus, StockRecord

MAX_QUERY_CHARS = 200
"""Longest accepted query text (characters); longer ones are refused, never truncated."""
MAX_QUERY_TERMS = 16
"""Most words a query may have."""
MAX_FILTER_VALUES = 50
"""Most values one facet filter may list."""
MAX_RESULT_WINDOW = 10_000
"""Most hits one query can page through (OpenSearch's ``index.max_result_window``)."""
DEFAULT_HISTOGRAM_INTERVAL = 10_000
"""Width of a price-histogram bucket, in minor units (100.00)."""

COLOUR_OPTIONS = frozenset({"colour", "color"})
MATERIAL_OPTIONS = frozenset({"material", "finish", "glaze", "fabric"})


class SearchSort(StrEnum):
    """Orderings of search results; ties break on product id."""

    RELEVANCE = "RELEVANCE"
    PRICE_ASC = "PRICE_ASC"
    PRICE_DESC = "PRICE_DESC"
    NEWEST = "NEWEST"


@dataclass(frozen=True, slots=True)
class SearchDocument:
    """What the engines index about one sellable product."""

    product_id: str
    name: str
    description: str
    brand: str
    tags: tuple[str, ...]
    category_ids: tuple[str, ...]
    """The category path, root first (a filter on a category matches its descendants)."""
    category_names: tuple[str, ...]
    colours: tuple[str, ...]
    materials: tuple[str, ...]
    price_min: int
    price_max: int
    currency: str
    width: float
    depth: float
    height: float
    has_3d: bool
    in_stock: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(
        cls,
        product: ProductRecord,
        stock: Sequence[StockRecord | None],
        category_names: Mapping[str, str],
    ) -> SearchDocument | None:
        """The document of ``product`` with its variants' stock; None when it must not be
        searchable (not ACTIVE, or without variants to sell)."""
        prices = product.price_range
        if product.status is not ProductStatus.ACTIVE or prices is None:
            return None
        options = [o for v in product.variants for o in v.options]
        return cls(
            product_id=product.id,
            name=product.name,
            description=product.description,
            brand=product.brand,
            tags=product.tags,
            category_ids=product.category_path,
            category_names=tuple(category_names.get(c, c) for c in product.category_path),
            colours=_unique(o.value for o in options if o.name.casefold() in COLOUR_OPTIONS),
            materials=_unique(o.value for o in options if o.name.casefold() in MATERIAL_OPTIONS),
            price_min=prices.min.amount,
            price_max=prices.max.amount,
            currency=prices.min.currency,
            width=product.dimensions.width,
            depth=product.dimensions.depth,
            height=product.dimensions.height,
            has_3d=bool(product.asset_ids),
            in_stock=any(s is not None and s.quantity_available > 0 for s in stock),
            created_at=product.created_at,
            updated_at=product.updated_at,
        )


def _unique(values: object) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))  # type: ignore[call-overload]


@dataclass(frozen=True, slots=True)
class SearchFilters:
    """Every given filter must match; within one list, any value matches."""

    category_ids: tuple[str, ...] = ()
    brands: tuple[str, ...] = ()
    colours: tuple[str, ...] = ()
    materials: tuple[str, ...] = ()
    min_price: int | None = None
    """Minor units; matches products whose cheapest variant costs at least this."""
    max_price: int | None = None
    """Minor units; matches products whose cheapest variant costs at most this."""
    fits_within: Dimensions | None = None
    """Products no wider, deeper or taller than this (metres)."""
    has_3d: bool | None = None
    in_stock: bool | None = None

    def validate(self) -> None:
        """InvalidSearchQuery for impossible ranges and oversized lists."""
        if self.min_price is not None and self.min_price < 0:
            raise InvalidSearchQuery(f"priceRange.min must be 0 or more, got {self.min_price}")
        if self.max_price is not None and self.max_price < 0:
            raise InvalidSearchQuery(f"priceRange.max must be 0 or more, got {self.max_price}")
        if (
            self.min_price is not None
            and self.max_price is not None
            and self.min_price > self.max_price
        ):
            raise InvalidSearchQuery(
                f"priceRange.min ({self.min_price}) is above priceRange.max ({self.max_price})"
            )
        if self.fits_within is not None:
            size = self.fits_within
            if min(size.width, size.depth, size.height) <= 0:
                raise InvalidSearchQuery("dimensions must be positive (metres)")
        for name, values in (
            ("category", self.category_ids),
            ("brand", self.brands),
            ("colour", self.colours),
            ("material", self.materials),
        ):
            if len(values) > MAX_FILTER_VALUES:
                raise InvalidSearchQuery(
                    f"{name} lists {len(values)} values, more than {MAX_FILTER_VALUES}"
                )


@dataclass(frozen=True, slots=True)
class SearchRequest:
    """One page of a search: query text (may be empty: browse), filters, order, cursor."""

    query: str = ""
    filters: SearchFilters = field(default_factory=SearchFilters)
    sort: SearchSort = SearchSort.RELEVANCE
    first: int = 24
    after: str | None = None
    histogram_interval: int = DEFAULT_HISTOGRAM_INTERVAL

    def validate(self) -> None:
        """InvalidSearchQuery for a query too long or with too many words, bad filters."""
        if len(self.query) > MAX_QUERY_CHARS:
            raise InvalidSearchQuery(
                f"The query has {len(self.query)} characters, more than {MAX_QUERY_CHARS}"
            )
        if len(self.query.split()) > MAX_QUERY_TERMS:
            raise InvalidSearchQuery(f"The query has more than {MAX_QUERY_TERMS} words")
        if self.first < 1 or self.first > 100:
            raise InvalidSearchQuery(f"first must be between 1 and 100, got {self.first}")
        if self.histogram_interval < 1:
            raise InvalidSearchQuery("The histogram interval must be positive")
        self.filters.validate()

    def fingerprint(self) -> str:
        """What a cursor is bound to: the query, filters and sort (not the page size)."""
        raw = orjson.dumps(
            [self.query, repr(self.filters), self.sort.value], option=orjson.OPT_SORT_KEYS
        )
        return hashlib.sha256(raw).hexdigest()[:16]


SortKey = tuple[float | int | str, ...]


def encode_cursor(request: SearchRequest, key: SortKey) -> str:
    """An opaque cursor continuing after the hit whose sort values are ``key``."""
    raw = orjson.dumps({"f": request.fingerprint(), "k": list(key)})
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(request: SearchRequest) -> SortKey | None:
    """The sort values of ``request.after``; InvalidCursor when it is not one of ours or
    belongs to another query."""
    if request.after is None:
        return None
    try:
        padded = request.after + "=" * (-len(request.after) % 4)
        data = orjson.loads(base64.urlsafe_b64decode(padded.encode()))
        fingerprint, key = data["f"], data["k"]
    except (ValueError, TypeError, KeyError, orjson.JSONDecodeError) as error:
        raise InvalidCursor("The search cursor is not valid") from error
    if fingerprint != request.fingerprint():
        raise InvalidCursor("The search cursor belongs to another query, filter or sort")
    if not isinstance(key, list) or not key or not isinstance(key[-1], str):
        raise InvalidCursor("The search cursor is not valid")
    return tuple(key)


@dataclass(frozen=True, slots=True)
class Highlight:
    """Fragments of a field with the matched words wrapped in ``<em>`` (text HTML-escaped)."""

    field: str
    fragments: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One matching product and how well it matched."""

    product_id: str
    score: float
    highlights: tuple[Highlight, ...] = ()
    cursor: str = ""


@dataclass(frozen=True, slots=True)
class FacetValue:
    """How many matching products have this value."""

    value: str
    count: int


@dataclass(frozen=True, slots=True)
class PriceBucket:
    """Matching products whose cheapest price is in ``[min, max)`` minor units."""

    min: int
    max: int
    count: int


@dataclass(frozen=True, slots=True)
class SearchFacets:
    """Counts over every product matching the query and filters (not only this page)."""

    brand: tuple[FacetValue, ...] = ()
    colour: tuple[FacetValue, ...] = ()
    material: tuple[FacetValue, ...] = ()
    category: tuple[FacetValue, ...] = ()
    price_histogram: tuple[PriceBucket, ...] = ()


@dataclass(frozen=True, slots=True)
class SearchPage:
    """A page of hits with the total, facets and the query actually run."""

    hits: tuple[SearchHit, ...]
    total: int
    facets: SearchFacets
    corrected_query: str | None = None
    """The query with misspelt words replaced by indexed ones, when that was what ran."""
    next_cursor: str | None = None
    has_previous_page: bool = False


class SuggestionKind(StrEnum):
    """What a suggestion completes to."""

    PRODUCT = "PRODUCT"
    BRAND = "BRAND"


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A completion for the search box."""

    text: str
    kind: SuggestionKind
    product_id: str | None = None


def facet_values(counts: Mapping[str, int]) -> tuple[FacetValue, ...]:
    """Facet values by count (descending), then value."""
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return tuple(FacetValue(value=v, count=c) for v, c in ordered if c > 0)


def sort_key(sort: SearchSort, score: float, price: int, created_ms: int, pid: str) -> SortKey:
    """The keyset of a hit in ``sort`` order, compared ascending (descending sorts negate)."""
    if sort is SearchSort.PRICE_ASC:
        return (price, pid)
    if sort is SearchSort.PRICE_DESC:
        return (-price, pid)
    if sort is SearchSort.NEWEST:
        return (-created_ms, pid)
    return (-score, pid)
