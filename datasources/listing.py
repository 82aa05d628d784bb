"""Keyset pagination and ordering of product listings, shared by every catalog adapter."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable
from typing import Any

import orjson

from datasources.errors import InvalidCursor
from datasources.records import Page, ProductFilter, ProductPageRequest, ProductRecord, ProductSort

SortKey = tuple[Any, ...]

_DESCENDING = {ProductSort.NAME_DESC, ProductSort.PRICE_DESC, ProductSort.NEWEST}


def sort_key(product: ProductRecord, sort: ProductSort) -> SortKey:
    """The total order key of ``product`` under ``sort`` (ties broken by id)."""
    if sort in (ProductSort.NAME_ASC, ProductSort.NAME_DESC):
        return (product.name.casefold(), product.id)
    if sort in (ProductSort.PRICE_ASC, ProductSort.PRICE_DESC):
        price = product.price_range
        amount = (
            0
            if price is None
            else (price.min if sort is ProductSort.PRICE_ASC else price.max).amount
        )
        return (amount, product.id)
    return (product.created_at.isoformat(), product.id)


def matches(product: ProductRecord, wanted: ProductFilter) -> bool:
    """Whether ``product`` passes every filter that is set."""
    price = product.price_range
    checks = (
        product.status in wanted.statuses,
        wanted.category_id is None or wanted.category_id in product.category_path,
        wanted.brand is None or product.brand.casefold() == wanted.brand.casefold(),
        all(tag in product.tags for tag in wanted.tags),
        wanted.min_price is None or (price is not None and price.max.amount >= wanted.min_price),
        wanted.max_price is None or (price is not None and price.min.amount <= wanted.max_price),
    )
    return all(checks)


def encode_cursor(sort: ProductSort, key: SortKey) -> str:
    """An opaque cursor pointing just after ``key`` in ``sort`` order."""
    return base64.urlsafe_b64encode(orjson.dumps({"s": sort.value, "k": list(key)})).decode()


def decode_cursor(cursor: str, sort: ProductSort) -> SortKey:
    """The sort key inside ``cursor``; InvalidCursor if it is not one of ours for ``sort``."""
    try:
        payload = orjson.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (binascii.Error, ValueError, orjson.JSONDecodeError) as error:
        raise InvalidCursor(
            "The cursor is not valid: pass an endCursor from this listing"
        ) from error
    if not isinstance(payload, dict) or payload.get("s") != sort.value:
        raise InvalidCursor("The cursor belongs to another sort order or listing")
    key = payload.get("k")
    if not (isinstance(key, list) and len(key) == 2 and isinstance(key[1], str)):
        raise InvalidCursor("The cursor is not valid: pass an endCursor from this listing")
    if not isinstance(key[0], (str, int)):
        raise InvalidCursor("The cursor is not valid: pass an endCursor from this listing")
    return tuple(key)


def paginate(products: Iterable[ProductRecord], request: ProductPageRequest) -> Page[ProductRecord]:
    """Order already-filtered ``products`` and cut the page the request asks for."""
    descending = request.sort in _DESCENDING
    keyed = sorted(
        ((sort_key(p, request.sort), p) for p in products), key=lambda kp: kp[0], reverse=descending
    )
    start = 0
    if request.after is not None:
        after = decode_cursor(request.after, request.sort)
        try:
            start = next(
                i
                for i, (key, _) in enumerate(keyed)
                if (key < after if descending else key > after)
            )
        except (StopIteration, TypeError):
            start = len(keyed)
    window = keyed[start : start + request.first]
    return Page(
        items=tuple(p for _, p in window),
        cursors=tuple(encode_cursor(request.sort, key) for key, _ in window),
        has_next_page=start + request.first < len(keyed),
        has_previous_page=start > 0,
        total_count=len(keyed),
    )
