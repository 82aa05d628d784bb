"""The "Notes" section of the report: what the figures mean, computed from the run."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bench import profiling
from bench.measure import DISTURBED

if TYPE_CHECKING:
    from bench.measure import Cell
    from bench.run import BenchRun


def _ms(cell: Cell, seconds: float) -> float:
    return cell.per_request_ms(seconds)


def _find(run: BenchRun, scenario: str, server: str) -> Cell:
    return next(c for c in run.cells if c.scenario.key == scenario and c.server.key == server)


def _moto_dominates(run: BenchRun) -> str:
    parts = []
    for cell in (c for c in run.cells if c.server.key == "graphql"):
        moto, server = _ms(cell, cell.cpu.moto), _ms(cell, cell.cpu.server)
        ceiling = 1000 / moto if moto else float("nan")
        parts.append(
            f"{cell.scenario.key}: moto {moto:.0f} ms vs gateway {server:.0f} ms CPU per request, "
            f"so moto alone caps it near {ceiling:.1f} req/s (measured "
            f"{cell.load.requests_per_second:.1f})"
        )
    return (
        "- **moto is the bottleneck, not the gateway.** moto runs on the same 2 cores, in one "
        "Python process (one core's worth under the GIL), and its DynamoDB responses are "
        "expensive to produce: its response serialiser walks every attribute of every returned "
        "item. Per request on (A): " + "; ".join(parts) + "."
    )


def _meaning() -> str:
    return (
        "- **What that means.** The req/s figures and latencies measure mostly moto: how many "
        "items and attributes each page makes it return, plus queueing behind it at "
        "concurrency 8 (p50 is roughly 8 / req/s). They say nothing about absolute throughput "
        "on real DynamoDB, where the store's work runs elsewhere and a round trip costs the "
        "gateway a network wait plus its own client CPU (the PynamoDB/botocore worker threads "
        "in the profile below). GraphQL / hand-written comes out "
        "close to 1 because both wait on the same moto work; it cannot show the gateway's own "
        "overhead. The server CPU per request (and the CPU-estimate columns) are the better "
        "gauge of what the GraphQL layer costs."
    )


def _naive(run: BenchRun) -> str:
    full_a, full_c = _find(run, "listing_full", "graphql"), _find(run, "listing_full", "naive")
    parts = []
    for key in ("listing", "listing_full"):
        graphql, naive = _find(run, key, "graphql"), _find(run, key, "naive")
        extra_trips = naive.trips.mean - graphql.trips.mean
        extra_moto = _ms(naive, naive.cpu.moto) - _ms(graphql, graphql.cpu.moto)
        per_trip = extra_moto / extra_trips if extra_trips else float("nan")
        ratio = graphql.load.requests_per_second / (naive.load.requests_per_second or 1)
        parts.append(
            f"`{key}`: the naive server makes {extra_trips:.0f} more round trips per request, "
            f"each costing moto about {per_trip:.1f} ms CPU, for {ratio:.1f}x"
        )
    return (
        "- **GraphQL vs naive.** Without DataLoaders every key is its own BatchGetItem. "
        + "; ".join(parts)
        + ". On the shipped listing operation the extra calls are the 24 asset lookups, while "
        f"most of moto's time goes into the listing Query's {run.catalog.listing_total} large "
        "product items, which "
        "both servers pay alike; the full cards add category and per-SKU stock lookups and "
        "the N+1 pattern dominates. Against a real remote store each extra call adds its own "
        "network wait and botocore CPU, so the DataLoader gain there is closer to the "
        "round-trip ratio than to the moto-bound ratio. On this machine the measured ratio is "
        f"also narrowed because (A) is held by moto's single GIL-bound process (machine "
        f"{full_a.bench_busy:.0%} busy on `listing_full`), while (C)'s extra PynamoDB threads put "
        f"the second core to work ({full_c.bench_busy:.0%} busy): by CPU per request, (C) costs "
        f"{_total_ms(full_c) / _total_ms(full_a):.1f}x what (A) costs (gateway plus moto)."
    )


def _total_ms(cell: Cell) -> float:
    return _ms(cell, cell.cpu.server + cell.cpu.moto)


def _handwritten(run: BenchRun) -> str:
    graphql, hand = _find(run, "product", "graphql"), _find(run, "product", "handwritten")
    parts, without_urls, signing = [], [], 0.0
    for key in ("product", "listing", "listing_full"):
        a, b = _find(run, key, "graphql"), _find(run, key, "handwritten")
        a_ms, b_ms = _ms(a, a.cpu.server), _ms(b, b.cpu.server)
        parts.append(f"{key} {a_ms:.0f} vs {b_ms:.0f} ms")
        profile = next((p for p in run.profiles if p.scenario.key == key), None)
        if profile is not None:
            urls = profile.bucket_ms().get(profiling.URLS, 0.0)
            signing = max(signing, urls)
            without_urls.append(f"{key} {(b_ms - urls) / (a_ms - urls):.2f}")
    text = (
        "- **GraphQL vs hand-written.** Gateway CPU per request, GraphQL vs hand-written: "
        + ", ".join(parts)
        + ". Both pay the same PynamoDB costs in worker threads, which narrows the ratio; the "
        "GraphQL layer's own share is the *GraphQL execution* row of the profile."
    )
    if signing >= 1.0:
        text += (
            " Taking the URL-signing CPU measured in the profile out of both, the CPU estimate "
            "vs hand-written is " + ", ".join(without_urls) + "."
        )
    if graphql.trips.mean > hand.trips.mean:
        text += (
            f" On the product page the gateway makes {graphql.trips.mean:.0f} round trips to the "
            f"hand-written page's {hand.trips.mean:.0f}: `Product.category` loads the category by "
            "id (a BatchGetItem) and then `Category.ancestors` reads the whole tree (a Query), "
            "one stage after the other; the hand-written page reads the tree once, alongside "
            "the stock and asset batches."
        )
    return text


def _presigning(run: BenchRun) -> str | None:
    listing = next((p for p in run.profiles if p.scenario.key == "listing"), None)
    if listing is None:
        return None
    buckets = listing.bucket_ms()
    urls = buckets.get(profiling.URLS, 0.0)
    graphql = buckets.get(profiling.GRAPHQL, 0.0)
    if urls < 0.25 * graphql:
        return (
            f"- **Asset URLs.** The listing's 48 presigned URLs (a poster and an image per card) "
            f"cost {urls:.1f} ms of event-loop CPU per request, next to {graphql:.1f} ms of "
            "GraphQL execution: `PresignedAssetUrls` reuses a signed URL for half its lifetime, "
            "so under steady load almost none is signed again."
        )
    return (
        f"- **Presigned URLs are a large CPU item on the event loop.** On the listing, "
        f"signing 48 S3 URLs (a poster and an image per card) takes {urls:.1f} ms per request "
        f"against {graphql:.1f} ms for all of GraphQL execution; the hand-written endpoint pays "
        "the same. With `VITRINE_ASSET_CDN_URL` set (production) URLs are string joins."
    )


def _garbage(run: BenchRun) -> str | None:
    if not run.profiles:
        return None
    worst = max(run.profiles, key=lambda p: p.gc_ms())
    runs, mean_ms = worst.gc_full()
    frozen = int(worst.gc.get("frozen", 0))
    remedy = (
        f"The gateway freezes its start-up heap ({frozen} objects kept out of collections), "
        "which keeps full collections short."
        if frozen
        else "`gc.freeze()` once after start-up would keep the start-up heap out of them."
    )
    return (
        f"- **Garbage collection.** On `{worst.scenario.key}` the collector took "
        f"{worst.gc_ms():.1f} ms per request on average ({runs} full collections of "
        f"~{mean_ms:.0f} ms in {worst.requests} requests). A full collection walks every "
        "tracked object that is not frozen and stops every request in flight. " + remedy
    )


def _interference(run: BenchRun) -> str:
    worst = max(run.cells, key=lambda c: c.others_busy)
    profile_worst = max((p.others_busy for p in run.profiles), default=0.0)
    gate = run.gate
    waited = (
        f" The run waited {gate.waited_seconds:.0f} s for other processes to leave the CPU "
        f"and measured {gate.remeasured} cell(s) again."
        if gate.waited_seconds or gate.remeasured
        else ""
    )
    if worst.others_busy <= DISTURBED and profile_worst <= DISTURBED:
        return (
            f"- **Quiet machine.** Processes outside the benchmark used at most "
            f"{max(worst.others_busy, profile_worst):.0%} of the CPU during any measured "
            f"window.{waited}"
        )
    return (
        f"- **Disturbed run.** Other processes used up to {worst.others_busy:.0%} of the "
        f"machine during a measured window ({worst.scenario.key} on "
        f"{worst.server.label.split(':')[0]}) and up to {profile_worst:.0%} during the "
        f"profile; those rows understate what the benchmark would do alone.{waited} Run it "
        "again on an idle machine."
    )


def _driver(run: BenchRun) -> str:
    client = [c.per_request_ms(c.cpu.client) for c in run.cells]
    smallest = min(run.cells, key=lambda c: c.load.requests)
    return (
        f"- **The load driver shares the cores too**: {min(client):.1f}-{max(client):.1f} ms CPU "
        "per request for the httpx clients, small next to moto. The smallest sample is "
        f"{smallest.load.requests} requests ({smallest.scenario.key} on "
        f"{smallest.server.label.split(':')[0]}); p99 over so few requests is close to the "
        "maximum and varies from run to run."
    )


STATIC_NOTES = (
    "- **Resolver cache.** Only `Query.categories` has a cache policy; neither operation here "
    "selects it, so (C) differs from (A) by the DataLoaders alone.",
    "- **The listing operation.** `client_examples/operations/CategoryListing.graphql` asks for "
    "no variants, stock or product category, so its cards need only the asset batch. "
    "`listing_full` (`bench/operations/CategoryListingFull.graphql`, benchmark-only) adds them, "
    "as a grid with stock badges and a variant picker would.",
    "- **Catalog size.** No demo category holds 24 products, so the benchmark adds "
    "showroom copies of the furniture products (own ids, slugs, SKUs, stock and asset records; "
    "the same 3D files) to its own throwaway table.",
)


def notes(run: BenchRun) -> list[str]:
    """The notes, as Markdown list items."""
    computed = [
        _interference(run),
        _moto_dominates(run),
        _meaning(),
        _naive(run),
        _handwritten(run),
        _presigning(run),
        _garbage(run),
        _driver(run),
    ]
    return [n for n in computed if n is not None] + list(STATIC_NOTES)
