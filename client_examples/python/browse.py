"""Browse: the category menu, one category's product cards, and a product page with its 3D
model's sources and material variants.

    python -m client_examples.python.browse --endpoint http://127.0.0.1:8000/graphql
"""

from __future__ import annotations

from typing import Any

from client_examples.python.client import Vitrine, arguments, euros


def browse(client: Vitrine, category: str | None = None) -> dict[str, Any]:
    """The first (or given) category's listing and its first product's page."""
    tree = client.execute("CategoryTree")["categories"]
    slug = category or tree[0]["slug"]
    listing = client.execute("CategoryListing", {"slug": slug})["category"]
    if listing is None:
        raise SystemExit(f"no category {slug!r}")
    cards = [edge["node"] for edge in listing["products"]["edges"]]
    product = (
        client.execute("ProductPage", {"slug": cards[0]["slug"]})["product"] if cards else None
    )
    return {"categories": [c["slug"] for c in tree], "category": listing, "product": product}


def main() -> None:
    parser = arguments(__doc__ or "")
    parser.add_argument("--category", help="a category slug (default: the first)")
    args = parser.parse_args()
    with Vitrine(endpoint=args.endpoint, api_key=args.api_key) as client:
        result = browse(client, args.category)
    listing = result["category"]
    print(f"Categories: {', '.join(result['categories'])}")
    print(f"{listing['name']}: {listing['products']['totalCount']} products")
    for edge in listing["products"]["edges"]:
        card = edge["node"]
        print(f"  {card['slug']:<28} {euros(card['priceRange']['min']):>12}  {card['name']}")
    product = result["product"]
    if product:
        print(f"\n{product['name']} ({product['brand']})")
        for asset in product["assets"]:
            for source in asset["sources"]:
                print(f"  {source['format']} LOD {source['lod']}: {source['byteSize']:,} bytes")
            variants = [v["variantName"] for v in asset["materialVariants"]]
            print(f"  material variants: {', '.join(variants) or 'none'}")


if __name__ == "__main__":
    main()
