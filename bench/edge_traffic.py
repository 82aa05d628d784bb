"""The requests of the edge benchmark: what a storefront, its shoppers and an attacker send.

- Catalog: GETs carrying only a persisted-query hash (a trusted document), as a
  CDN-fronted storefront sends them, with the storefront's API key; each from one of many
  shopper addresses (``x-forwarded-for``, which uvicorn trusts from loopback), so no
  shopper's rate-limit bucket is the bottleneck.
- Orders: signed-in shoppers' POSTs (``Bearer bench:<sub>``, bench.baseline's static
  tokens): their cart, add to cart, their orders and one order; checkouts are a stream of
  their own because each consumes a cart.
- Abuse: POSTs from a few attacker addresses with the same API key: deep nesting, wide
  selections, alias floods, over-sized and costly lists, introspection. Every document is
  made unique with a nonce, as an attacker would, so the parser and validation caches miss.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

import orjson

from bench.openloop import Request, Stream
from bench.scenarios import CLIENT_OPERATIONS
from gateway.persisted_queries import document_hash
from gateway.settings import LOCAL_API_KEY
from resolvers.global_ids import to_global_id

CATALOG_WEIGHTS = {"ProductPage": 14, "CategoryListing": 5, "CategoryTree": 1}
ORDER_WEIGHTS = {"Cart": 7, "CartLinesAdd": 5, "OrderHistory": 4, "Order": 3}
"""Checkouts come on top, as their own stream (``CHECKOUT_SHARE`` of the order requests)."""
CHECKOUT_SHARE = 0.05
POOL = 4000
"""Prepared requests per stream, dealt round-robin (the order is shuffled once)."""
SHOPPER_ADDRESSES = 5000
ATTACKER_ADDRESSES = 8
ABUSE_VARIANTS = 300


def _hash_extension(name: str) -> dict[str, object]:
    document = (CLIENT_OPERATIONS / f"{name}.graphql").read_text()
    return {"persistedQuery": {"version": 1, "sha256Hash": document_hash(document)}}


def _shopper_ip(rng: random.Random) -> str:
    n = rng.randrange(SHOPPER_ADDRESSES)
    return f"10.{n // 65536}.{n // 256 % 256}.{n % 256}"


def catalog_get(name: str, variables: dict[str, object], ip: str) -> Request:
    """A persisted-query GET of a catalog operation (hash only) from shopper ``ip``."""
    query = urlencode(
        {
            "operationName": name,
            "variables": orjson.dumps(variables).decode(),
            "extensions": orjson.dumps(_hash_extension(name)).decode(),
        }
    )
    headers = (("x-api-key", LOCAL_API_KEY), ("x-forwarded-for", ip))
    return Request("GET", f"/graphql?{query}", headers=headers, expect=b'"data":{')


def shopper_post(
    name: str, variables: Mapping[str, object], shopper: str, expect: bytes | None = None
) -> Request:
    """A signed-in shopper's persisted-query POST."""
    body = {"operationName": name, "variables": variables, "extensions": _hash_extension(name)}
    headers = (
        ("authorization", f"Bearer bench:{shopper}"),
        ("content-type", "application/json"),
    )
    return Request("POST", "/graphql", orjson.dumps(body), headers, expect)


def _weighted(weights: dict[str, int], rng: random.Random) -> list[str]:
    names = [name for name, weight in weights.items() for _ in range(weight)]
    return [rng.choice(names) for _ in range(POOL)]


def catalog_requests(
    product_slugs: Sequence[str], category_slugs: Sequence[str]
) -> tuple[Request, ...]:
    """Product pages, category listings and the menu, in the storefront's proportions."""
    rng = random.Random(11)
    requests = []
    for name in _weighted(CATALOG_WEIGHTS, rng):
        if name == "ProductPage":
            variables: dict[str, object] = {"slug": rng.choice(product_slugs)}
        elif name == "CategoryListing":
            variables = {"slug": rng.choice(category_slugs)}
        else:
            variables = {}
        requests.append(catalog_get(name, variables, _shopper_ip(rng)))
    return tuple(requests)


@dataclass(frozen=True)
class Shoppers:
    """Who the order requests come from: open carts, and placed orders by owner."""

    carts: Sequence[tuple[str, str]]
    """(shopper, cart global ID) of carts that stay open."""
    orders: Sequence[tuple[str, str]]
    """(shopper, order global ID) of placed orders."""
    skus: Sequence[tuple[str, str]]
    """(product id, SKU) that may be added to carts."""


def order_requests(shoppers: Shoppers) -> tuple[Request, ...]:
    """Cart reads, adds to cart, order history and order pages of signed-in shoppers."""
    rng = random.Random(13)
    requests = []
    for name in _weighted(ORDER_WEIGHTS, rng):
        if name in ("Cart", "CartLinesAdd"):
            shopper, cart = rng.choice(shoppers.carts)
            if name == "Cart":
                requests.append(shopper_post(name, {"id": cart}, shopper, b'"cart":{'))
                continue
            product, sku = rng.choice(shoppers.skus)
            line = {"productId": to_global_id("Product", product), "sku": sku, "quantity": 1}
            variables: dict[str, object] = {"cartId": cart, "lines": [line]}
            requests.append(shopper_post(name, variables, shopper, b'"CartLinesAddSuccess"'))
        elif name == "OrderHistory":
            shopper, _ = rng.choice(shoppers.orders)
            requests.append(shopper_post(name, {"first": 10}, shopper, b'"totalCount":'))
        else:
            shopper, order = rng.choice(shoppers.orders)
            requests.append(shopper_post(name, {"id": order}, shopper, b'"order":{'))
    return tuple(requests)


def checkout_request(shopper: str, cart: str, key: str) -> Request:
    """``checkoutComplete`` of one cart with the test card."""
    variables = {"cartId": cart, "paymentToken": "pm_card_visa", "idempotencyKey": key}
    return shopper_post("CheckoutComplete", variables, shopper, b'"CheckoutCompleteSuccess"')


def _deep(nonce: int) -> str:
    inner = "id"
    for _ in range(12):
        inner = f"category {{ products(first: 2) {{ nodes {{ {inner} }} }} }}"
    return f'query Deep{nonce} {{ product(slug: "harbor-sofa") {{ {inner} }} }}'


def _wide(nonce: int) -> str:
    fields = " ".join(f"f{i}: name" if i % 50 == 0 else "name slug brand" for i in range(220))
    return f'query Wide{nonce} {{ product(slug: "harbor-sofa-{nonce}") {{ {fields} }} }}'


def _aliases(nonce: int) -> str:
    fields = " ".join(f'p{nonce}x{i}: product(slug: "harbor-sofa") {{ id }}' for i in range(200))
    return f"query Aliases{nonce} {{ {fields} }}"


def _first_250(nonce: int) -> str:
    return (
        f"query Big{nonce} {{ products(first: 250) {{ nodes {{ id name "
        "variants { sku price { amount } } assets { id sources { url } } } } }"
    )


def _over_cost(nonce: int) -> str:
    return (
        f"query OverCost{nonce} {{ products(first: {90 + nonce % 10}) {{ nodes {{ id name "
        "variants { sku price { amount currency } availability } "
        "assets { id posterUrl sources { url byteSize } } "
        "category { id name products(first: 5) { nodes { id name } } } } } }"
    )


def _costly(nonce: int) -> str:
    return (
        f"query Costly{nonce} {{ products(first: {20 + nonce % 10}) {{ nodes {{ id name "
        "variants { sku price { amount currency } availability } } } }"
    )


def _introspection(nonce: int) -> str:
    fields = "name kind fields { name args { name type { name kind ofType { name kind } } } }"
    return f"query Schema{nonce} {{ __schema {{ types {{ {fields} }} }} }}"


ABUSE_KINDS = {
    "deep nesting (depth 38)": _deep,
    "wide selection (660 fields)": _wide,
    "alias flood (200 aliases)": _aliases,
    "products(first: 250)": _first_250,
    "over the cost limit (first: 90-99, nested)": _over_cost,
    "costly but allowed (first: 20-29, cost ~200)": _costly,
    "introspection of every type": _introspection,
}


def abuse_streams(rate: float) -> tuple[Stream, ...]:
    """One stream per abusive kind, ``rate`` per second in all; every document unique, each
    from one of a few attacker addresses."""
    rng = random.Random(17)
    streams = []
    for label, make in ABUSE_KINDS.items():
        requests = []
        for nonce in range(ABUSE_VARIANTS):
            body = orjson.dumps({"query": make(nonce + 1000 * rng.randrange(1000))})
            ip = f"203.0.113.{rng.randrange(ATTACKER_ADDRESSES) + 1}"
            headers = (
                ("x-api-key", LOCAL_API_KEY),
                ("x-forwarded-for", ip),
                ("content-type", "application/json"),
            )
            requests.append(Request("POST", "/graphql", body, headers))
        streams.append(Stream(f"abuse: {label}", rate / len(ABUSE_KINDS), tuple(requests)))
    return tuple(streams)
