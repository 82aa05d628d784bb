"""Search documents of the demo catalog, built without generating its 3D models."""

from __future__ import annotations

from datasources.search.records import SearchDocument
from gateway.seed import demo_catalog_products, demo_stock_records


def demo_documents() -> list[SearchDocument]:
    """Every demo product as a search document, with its seeded stock."""
    stock = {s.sku: s for s in demo_stock_records()}
    names = demo_category_names()
    out: list[SearchDocument] = []
    for product in demo_catalog_products():
        document = SearchDocument.of(product, [stock.get(v.sku) for v in product.variants], names)
        assert document is not None
        out.append(document)
    return out


def demo_category_names() -> dict[str, str]:
    """Category id to name of the demo tree."""
    from gateway.demo_products import DEMO_CATEGORIES

    return {c.id: c.name for c in DEMO_CATEGORIES}
