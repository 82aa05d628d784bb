"""Search: products matching a query and filters, with highlights, the corrected query and the
facet counts a filter sidebar shows.

    python -m client_examples.python.search --endpoint http://127.0.0.1:8000/graphql \\
        "velvet sofa" --brand Nordhem --max-price 2000 --in-stock
"""

from __future__ import annotations

import html
import re
from typing import Any

from client_examples.python.client import Vitrine, VitrineError, arguments, euros

SORTS = ("RELEVANCE", "PRICE_ASC", "PRICE_DESC", "NEWEST")
_EM = re.compile(r"</?em>")


def filters_of(
    *,
    brands: list[str],
    colours: list[str],
    materials: list[str],
    min_price: float | None,
    max_price: float | None,
    in_stock: bool,
    has_3d: bool,
) -> dict[str, Any]:
    """The ProductSearchFilters input; prices in whole currency units become minor units."""
    filters: dict[str, Any] = {}
    for key, values in (("brand", brands), ("colour", colours), ("material", materials)):
        if values:
            filters[key] = values
    if min_price is not None or max_price is not None:
        filters["priceRange"] = {
            "min": None if min_price is None else round(min_price * 100),
            "max": None if max_price is None else round(max_price * 100),
        }
    if in_stock:
        filters["inStock"] = True
    if has_3d:
        filters["has3D"] = True
    return filters


def search(
    client: Vitrine, query: str, filters: dict[str, Any], sort: str = "RELEVANCE"
) -> dict[str, Any]:
    """The first page (24) of SearchProducts: edges, totalCount, facets and correctedQuery."""
    variables = {"query": query, "filters": filters, "sort": sort}
    result: dict[str, Any] = client.execute("SearchProducts", variables)["search"]
    return result


def plain(snippet: str) -> str:
    """A highlight snippet as terminal text: matches in *stars*, HTML escapes undone."""
    return html.unescape(_EM.sub("*", snippet))


def category_names(client: Vitrine) -> dict[str, str]:
    """Category global ID -> name (category facet values are IDs)."""
    names: dict[str, str] = {}
    stack = list(client.execute("CategoryTree")["categories"])
    while stack:
        category = stack.pop()
        names[category["id"]] = category["name"]
        stack.extend(category.get("children") or [])
    return names


def report(result: dict[str, Any], query: str, names: dict[str, str]) -> list[str]:
    """The lines the script prints: the query that ran, results, then facets."""
    lines = []
    if result["correctedQuery"]:
        lines.append(f"Showing results for {result['correctedQuery']!r} (you typed {query!r})")
    total = result["totalCount"]
    lines.append("1 result" if total == 1 else f"{total} results")
    for edge in result["edges"]:
        node = edge["node"]
        lines.append(
            f"  {node['slug']:<24} {euros(node['priceRange']['min']):>12}  {node['name']}"
            f" ({node['brand']})"
        )
        lines.extend(f"    {h['field']}: {plain(h['snippet'])}" for h in edge["highlights"])
    facets = result["facets"]
    for title, key in (
        ("Brands", "brands"),
        ("Colours", "colours"),
        ("Materials", "materials"),
        ("Categories", "categories"),
    ):
        values = [f"{names.get(f['value'], f['value'])} ({f['count']})" for f in facets[key]]
        if values:
            lines.append(f"{title}: {', '.join(values)}")
    buckets = [
        f"{b['min'] / 100:.0f}-{b['max'] / 100:.0f} ({b['count']})"
        for b in facets["priceHistogram"]
    ]
    if buckets:
        lines.append(f"Prices: {', '.join(buckets)}")
    return lines


def main() -> None:
    parser = arguments(__doc__ or "")
    parser.add_argument("query", help="what the shopper types")
    parser.add_argument("--brand", action="append", default=[], help="repeat for several")
    parser.add_argument("--colour", action="append", default=[])
    parser.add_argument("--material", action="append", default=[])
    parser.add_argument("--min-price", type=float, help="whole currency units")
    parser.add_argument("--max-price", type=float, help="whole currency units")
    parser.add_argument("--in-stock", action="store_true")
    parser.add_argument("--has-3d", action="store_true")
    parser.add_argument("--sort", choices=SORTS, default="RELEVANCE")
    args = parser.parse_args()
    filters = filters_of(
        brands=args.brand,
        colours=args.colour,
        materials=args.material,
        min_price=args.min_price,
        max_price=args.max_price,
        in_stock=args.in_stock,
        has_3d=args.has_3d,
    )
    with Vitrine(endpoint=args.endpoint, api_key=args.api_key) as client:
        try:
            result = search(client, args.query, filters, args.sort)
        except VitrineError as error:
            first = error.errors[0] if error.errors else {}
            code = first.get("extensions", {}).get("code", error.error_type)
            raise SystemExit(f"{code}: {first.get('message', error)}") from None
        names = category_names(client)
    print("\n".join(report(result, args.query, names)))


if __name__ == "__main__":
    main()
