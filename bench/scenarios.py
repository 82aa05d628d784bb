"""The pages under load, as GraphQL operations and as hand-written endpoint calls."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from bench.catalog import BenchCatalog
from bench.load import Call
from gateway.settings import LOCAL_API_KEY

ROOT = Path(__file__).resolve().parent.parent
CLIENT_OPERATIONS = ROOT / "client_examples" / "operations"
BENCH_OPERATIONS = Path(__file__).resolve().parent / "operations"
GRAPHQL_HEADERS = {"content-type": "application/json", "x-api-key": LOCAL_API_KEY}
LISTING_PAGE = 24


@dataclass(frozen=True)
class Scenario:
    """One page, as the same request sequence for every server."""

    key: str
    title: str
    operation: str
    graphql: tuple[Call, ...]
    handwritten: tuple[Call, ...]
    listing: bool

    def calls(self, graphql: bool) -> tuple[Call, ...]:
        """The requests for a GraphQL server or for the hand-written one."""
        return self.graphql if graphql else self.handwritten


def _graphql_call(document: str, name: str, variables: dict[str, Any]) -> Call:
    body = {"query": document, "operationName": name, "variables": variables}
    return Call("POST", "/graphql", orjson.dumps(body))


def _operation(path: Path) -> tuple[str, str]:
    document = path.read_text()
    return path.stem, document


def build_scenarios(catalog: BenchCatalog) -> list[Scenario]:
    """Product page (rotating slugs), category listing, category listing with full cards."""
    page_name, page_doc = _operation(CLIENT_OPERATIONS / "ProductPage.graphql")
    list_name, list_doc = _operation(CLIENT_OPERATIONS / "CategoryListing.graphql")
    full_name, full_doc = _operation(BENCH_OPERATIONS / "CategoryListingFull.graphql")
    category = catalog.listing_category
    return [
        Scenario(
            key="product",
            title=f"Product page ({len(catalog.product_slugs)} slugs in rotation)",
            operation=f"client_examples/operations/{page_name}.graphql",
            graphql=tuple(
                _graphql_call(page_doc, page_name, {"slug": s}) for s in catalog.product_slugs
            ),
            handwritten=tuple(Call("GET", f"/pages/product/{s}") for s in catalog.product_slugs),
            listing=False,
        ),
        Scenario(
            key="listing",
            title=f"Category listing, {LISTING_PAGE} product cards",
            operation=f"client_examples/operations/{list_name}.graphql",
            graphql=(_graphql_call(list_doc, list_name, {"slug": category}),),
            handwritten=(Call("GET", f"/pages/category/{category}?cards=basic"),),
            listing=True,
        ),
        Scenario(
            key="listing_full",
            title=f"Category listing, {LISTING_PAGE} cards with variants, stock, category",
            operation=f"bench/operations/{full_name}.graphql",
            graphql=(_graphql_call(full_doc, full_name, {"slug": category}),),
            handwritten=(Call("GET", f"/pages/category/{category}?cards=full"),),
            listing=True,
        ),
    ]
