"""``Query.recommendations``: products to show beside one product, each with its reason.

Intents (see docs/recommendations.md):

- RELATED: more like this, from the search engine (``ProductSearch.similar``).
- FITS_SPACE: products whose real dimensions fit the given space, fullest first.
- VISUALLY_SIMILAR: nearest 3D shapes (``datasources.shapes``); products without a model
  fall back to RELATED.
- COMPLEMENTARY: bought together on paid or fulfilled orders; topped up with RELATED
  products from other categories when orders say too little.
- TRENDING: most viewed recently in the product's department (analytics counters); newest
  when nothing was viewed.

Candidates come from the engine (ids); products load in one batch through the per-request
loader, so a query costs two catalog reads (the product, then the candidates), plus two
asset reads for VISUALLY_SIMILAR.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from datasources.ports import ProductSearch
from datasources.records import Dimensions, ProductRecord, ProductStatus
from datasources.search.records import (
    COLOUR_OPTIONS,
    MATERIAL_OPTIONS,
    SearchFilters,
    SearchRequest,
    SearchSort,
)
from datasources.shapes import ShapeDescriptor, ShapeDescriptors, shape_distance
from resolvers.errors import BadUserInput, NotFound
from resolvers.kit import DataSource, Run, uses
from resolvers.search import search_of

MAX_RECOMMENDATIONS = 50
MAX_CANDIDATES = 300
"""Most products FITS_SPACE, VISUALLY_SIMILAR and TRENDING rank (three engine pages)."""
PAGE = 100


class RecommendationIntent(StrEnum):
    """Why products are recommended."""

    RELATED = "RELATED"
    FITS_SPACE = "FITS_SPACE"
    VISUALLY_SIMILAR = "VISUALLY_SIMILAR"
    COMPLEMENTARY = "COMPLEMENTARY"
    TRENDING = "TRENDING"


@dataclass(frozen=True)
class Space:
    """Room for a product, in metres; ``same_category``: only the product's own category."""

    width: float
    depth: float
    height: float
    same_category: bool = False


@dataclass(frozen=True)
class RecommendationRequest:
    """The arguments of ``Query.recommendations``."""

    product_id: str
    intent: RecommendationIntent
    first: int
    space: Space | None = None


@dataclass(frozen=True)
class Recommendation:
    """A recommended product, how strongly (0..1, best first) and why."""

    product: ProductRecord
    score: float
    reason: str


def _validate(request: RecommendationRequest) -> None:
    if request.first < 1 or request.first > MAX_RECOMMENDATIONS:
        raise BadUserInput(
            f"first must be between 1 and {MAX_RECOMMENDATIONS}, got {request.first}"
        )
    space = request.space
    if request.intent is RecommendationIntent.FITS_SPACE and space is None:
        raise BadUserInput("FITS_SPACE needs a space (width, depth and height in metres)")
    if space is not None and min(space.width, space.depth, space.height) <= 0:
        raise BadUserInput("space dimensions must be positive (metres)")


@uses(
    DataSource.CATALOG,
    DataSource.PRODUCT_SEARCH,
    DataSource.ASSET_BUCKET,
    DataSource.RESOLVER_CACHE,
    DataSource.SHOPPING_DB,
    DataSource.ANALYTICS,
)
async def recommendations(run: Run[None, RecommendationRequest]) -> list[Recommendation]:
    """``Query.recommendations``: validate, find the product, rank candidates per intent."""
    request = run.arguments
    _validate(request)
    source = await run.ctx.loaders.product_by_id.load(request.product_id)
    if source is None:
        raise NotFound(f"No product with id {request.product_id!r}")
    intent = request.intent
    if intent is RecommendationIntent.RELATED:
        return await _related(run, source, request.first)
    if intent is RecommendationIntent.FITS_SPACE:
        assert request.space is not None  # _validate
        return await _fits_space(run, source, request.space, request.first)
    if intent is RecommendationIntent.VISUALLY_SIMILAR:
        return await _visually_similar(run, source, request.first)
    if intent is RecommendationIntent.COMPLEMENTARY:
        return await _complementary(run, source, request.first)
    return await _trending(run, source, request.first)


# --- candidates -------------------------------------------------------------------------------


async def _products(
    run: Run[Any, Any], ids: Sequence[str], source: ProductRecord
) -> list[ProductRecord]:
    """The active products of ``ids`` (one batched read), in order, without ``source``."""
    wanted = [i for i in dict.fromkeys(ids) if i != source.id]
    loaded = await run.ctx.loaders.product_by_id.load_many(wanted)
    return [p for p in loaded if p is not None and p.status is ProductStatus.ACTIVE]


async def _browse(
    search: ProductSearch, filters: SearchFilters, sort: SearchSort, limit: int = MAX_CANDIDATES
) -> list[str]:
    """Ids of up to ``limit`` products matching ``filters`` in ``sort`` order (engine pages)."""
    ids: list[str] = []
    after: str | None = None
    while len(ids) < limit:
        page = await search.search(
            SearchRequest(
                filters=filters, sort=sort, first=min(PAGE, limit - len(ids)), after=after
            )
        )
        ids += [hit.product_id for hit in page.hits]
        if page.next_cursor is None:
            break
        after = page.next_cursor
    return ids


# --- RELATED ----------------------------------------------------------------------------------


def _options(product: ProductRecord, names: frozenset[str]) -> set[str]:
    return {
        o.value.casefold()
        for v in product.variants
        for o in v.options
        if o.name.casefold() in names and o.value.casefold() != "standard"
    }


def related_reason(source: ProductRecord, other: ProductRecord) -> str:
    """Why ``other`` is like ``source``: shared brand, category, materials, colours."""
    same = []
    if other.brand == source.brand:
        same.append("brand")
    if other.category_id == source.category_id:
        same.append("category")
    elif set(other.category_path) & set(source.category_path):
        same.append("department")
    similar = []
    if _options(other, MATERIAL_OPTIONS) & _options(source, MATERIAL_OPTIONS):
        similar.append("materials")
    if _options(other, COLOUR_OPTIONS) & _options(source, COLOUR_OPTIONS):
        similar.append("colours")
    if set(other.tags) & set(source.tags):
        similar.append("style")
    parts = []
    if same:
        parts.append("Same " + " and ".join(same))
    if similar:
        parts.append(("similar " if same else "Similar ") + " and ".join(similar))
    return ", ".join(parts) if parts else "Similar name and description"


async def _related_ranked(
    run: Run[Any, Any], source: ProductRecord, first: int
) -> list[tuple[ProductRecord, float]]:
    hits = await search_of(run).similar(source.id, first)
    products = {p.id: p for p in await _products(run, [h.product_id for h in hits], source)}
    top = max((h.score for h in hits), default=1.0) or 1.0
    return [(products[h.product_id], h.score / top) for h in hits if h.product_id in products]


async def _related(run: Run[Any, Any], source: ProductRecord, first: int) -> list[Recommendation]:
    return [
        Recommendation(product=p, score=round(score, 4), reason=related_reason(source, p))
        for p, score in await _related_ranked(run, source, first)
    ]


# --- FITS_SPACE -------------------------------------------------------------------------------


def _metres(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def fit_reason(product: ProductRecord, space: Space, fill: float) -> str:
    """How ``product`` fits ``space``: its size, the room left per side and the fill."""
    size = product.dimensions
    spare = (space.width - size.width, space.depth - size.depth, space.height - size.height)
    return (
        f"{_metres(size.width)} x {_metres(size.depth)} x {_metres(size.height)} m fits "
        f"{_metres(space.width)} x {_metres(space.depth)} x {_metres(space.height)} m, "
        f"fills {round(fill * 100)}% of it (spare W {_metres(spare[0])}, "
        f"D {_metres(spare[1])}, H {_metres(spare[2])} m)"
    )


async def _fits_space(
    run: Run[Any, Any], source: ProductRecord, space: Space, first: int
) -> list[Recommendation]:
    room = Dimensions(width=space.width, depth=space.depth, height=space.height)
    filters = SearchFilters(
        fits_within=room, category_ids=(source.category_id,) if space.same_category else ()
    )
    ids = await _browse(search_of(run), filters, SearchSort.RELEVANCE)
    volume = space.width * space.depth * space.height
    ranked = []
    for product in await _products(run, ids, source):
        size = product.dimensions
        if size.width > space.width or size.depth > space.depth or size.height > space.height:
            continue  # indexed with other dimensions than the catalog now has
        fill = size.width * size.depth * size.height / volume
        ranked.append((fill, product.id, product))
    ranked.sort(key=lambda item: (-item[0], item[1]))
    return [
        Recommendation(product=p, score=round(fill, 4), reason=fit_reason(p, space, fill))
        for fill, _, p in ranked[:first]
    ]


# --- VISUALLY_SIMILAR -------------------------------------------------------------------------


def _silhouette(descriptor: ShapeDescriptor) -> str:
    width, height, depth = descriptor.proportions
    if height >= 0.999 and max(width, depth) < 0.6:
        return "tall and slim"
    if height < 0.5:
        return "low and wide"
    return "similarly proportioned"


def shape_reason(source: ShapeDescriptor, other: ShapeDescriptor, distance: float) -> str:
    """The match in percent and the silhouette both share (when they do)."""
    match = f"Similar 3D shape ({round((1 - distance) * 100)}% match"
    shared = _silhouette(other)
    if shared == _silhouette(source):
        return f"{match}, {shared} like this one)"
    return f"{match})"


async def _descriptor(
    run: Run[Any, Any], shapes: ShapeDescriptors, product: ProductRecord
) -> ShapeDescriptor | None:
    if not product.asset_ids:
        return None
    asset = await run.ctx.loaders.asset_by_id.load(product.asset_ids[0])
    return None if asset is None else await shapes.of(asset)


async def _visually_similar(
    run: Run[Any, Any], source: ProductRecord, first: int
) -> list[Recommendation]:
    shapes = ShapeDescriptors(run.ctx.sources.blobs, run.ctx.sources.cache)
    own = await _descriptor(run, shapes, source)
    if own is None:
        return [
            Recommendation(
                product=p,
                score=round(score, 4),
                reason=f"No 3D model to compare; {related_reason(source, p).lower()}",
            )
            for p, score in await _related_ranked(run, source, first)
        ]
    ids = await _browse(search_of(run), SearchFilters(has_3d=True), SearchSort.RELEVANCE)
    candidates = [p for p in await _products(run, ids, source) if p.asset_ids]
    assets = await run.ctx.loaders.asset_by_id.load_many([p.asset_ids[0] for p in candidates])
    ranked = []
    for product, asset in zip(candidates, assets, strict=True):
        descriptor = None if asset is None else await shapes.of(asset)
        if descriptor is not None:
            distance = shape_distance(own, descriptor)
            ranked.append((distance, product.id, product, descriptor))
    ranked.sort(key=lambda item: (item[0], item[1]))
    return [
        Recommendation(product=p, score=round(1 - d, 4), reason=shape_reason(own, descriptor, d))
        for d, _, p, descriptor in ranked[:first]
    ]


# --- COMPLEMENTARY ----------------------------------------------------------------------------


async def _complementary(
    run: Run[Any, Any], source: ProductRecord, first: int
) -> list[Recommendation]:
    shopping = run.ctx.sources.shopping
    bought = () if shopping is None else await shopping.orders.bought_together(source.id, first)
    found: list[Recommendation] = []
    if bought:
        products = {p.id: p for p in await _products(run, [b.product_id for b in bought], source)}
        most = bought[0].orders
        for pair in bought:
            product = products.get(pair.product_id)
            if product is not None:
                orders = "order" if pair.orders == 1 else "orders"
                found.append(
                    Recommendation(
                        product=product,
                        score=round(pair.orders / most, 4),
                        reason=f"Bought together in {pair.orders} {orders}",
                    )
                )
    if len(found) >= first:
        return found
    # Too few orders: related products from other categories, which tend to go with it.
    taken = {r.product.id for r in found}
    note = "No orders yet" if not found else "Few orders yet"
    for product, score in await _related_ranked(run, source, MAX_RECOMMENDATIONS):
        if len(found) >= first:
            break
        if product.category_id != source.category_id and product.id not in taken:
            reason = related_reason(source, product).lower()
            found.append(
                Recommendation(
                    product=product,
                    score=round(score * 0.5, 4),
                    reason=f"{note} with this product; from another category, {reason}",
                )
            )
    return found


# --- TRENDING ---------------------------------------------------------------------------------


async def _trending(run: Run[Any, Any], source: ProductRecord, first: int) -> list[Recommendation]:
    """Most shopper activity in the product's department over the trending window, topped
    up with the department's newest products."""
    department = source.category_path[0] if source.category_path else source.category_id
    analytics = run.ctx.sources.analytics
    scores = (
        ()
        if analytics is None
        else await analytics.trending.top(
            department, datetime.now(UTC), analytics.trending_hours, first + 1
        )
    )
    hours = 0 if analytics is None else analytics.trending_hours
    newest = []
    if len([s for s in scores if s.product_id != source.id]) < first:
        newest = await _browse(
            search_of(run),
            SearchFilters(category_ids=(department,)),
            SearchSort.NEWEST,
            limit=2 * first + 1,
        )
    products = {
        p.id: p for p in await _products(run, [s.product_id for s in scores] + newest, source)
    }
    found: list[Recommendation] = []
    most = scores[0].points if scores else 1
    for score in scores:
        product = products.get(score.product_id)
        if product is not None and len(found) < first:
            found.append(
                Recommendation(
                    product=product,
                    score=round(score.points / most, 4),
                    reason=(
                        f"Trending in this department: activity score {score.points} "
                        f"in the last {hours} hours"
                    ),
                )
            )
    taken = {r.product.id for r in found}
    fresh = [products[i] for i in dict.fromkeys(newest) if i in products and i not in taken]
    base = 0.5 if found else 1.0  # below every trending product
    for index, product in enumerate(fresh[: first - len(found)]):
        found.append(
            Recommendation(
                product=product,
                score=round(base * (1 - index / max(len(fresh), 1)), 4),
                reason="Newest in this department (no recent shopper activity recorded)",
            )
        )
    return found
