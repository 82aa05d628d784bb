"""The OpenSearch adapter against a local HTTP server that records its requests and answers
with responses in the shapes OpenSearch documents (no cluster runs on these machines).

What this proves: the requests the adapter sends (paths, query strings, bodies) and how it
reads documented responses. What it cannot prove: that a real cluster ranks like tantivy;
``test_opensearch_cluster.py`` runs the shared behaviour suite when OPENSEARCH_URL is set.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from typing import Any

import orjson
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from datasources.errors import InvalidSearchQuery
from datasources.search.opensearch_engine import OpenSearchSearch
from datasources.search.records import SearchFilters, SearchRequest, SearchSort, SuggestionKind
from datasources.search.text import tiebreak
from tests.integration.search.demo_documents import demo_documents


@dataclass
class Recorder:
    """Requests received, and canned responses per (method, path), served in order."""

    requests: list[tuple[str, str, dict[str, str], Any]] = field(default_factory=list)
    received: list[tuple[dict[str, str], bytes, str]] = field(default_factory=list)
    """Each request's headers, raw body and URL (as sent), for checking signatures."""
    answers: dict[tuple[str, str], list[tuple[int, Any]]] = field(default_factory=dict)

    def answer(self, method: str, path: str, body: Any, status: int = 200) -> None:
        self.answers.setdefault((method, path), []).append((status, body))

    async def handle(self, request: web.Request) -> web.Response:
        raw = await request.read()
        if request.path.endswith("/_bulk"):
            body: Any = [orjson.loads(line) for line in raw.splitlines() if line.strip()]
        else:
            body = orjson.loads(raw) if raw else None
        self.requests.append((request.method, request.path, dict(request.query), body))
        self.received.append((dict(request.headers), raw, str(request.url)))
        queue = self.answers.get((request.method, request.path))
        if not queue:
            return web.json_response({"error": "unexpected request"}, status=500)
        status, payload = queue.pop(0)
        return web.json_response(payload, status=status)


@contextlib.asynccontextmanager
async def _recorded(
    sign_region: str | None = None,
) -> AsyncIterator[tuple[Recorder, OpenSearchSearch]]:
    recorder = Recorder()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", recorder.handle)
    test_server = TestServer(app, host="127.0.0.1")
    await test_server.start_server()
    url = str(test_server.make_url("/")).rstrip("/")
    engine = OpenSearchSearch.connect(url, "products", sign_region=sign_region)
    try:
        yield recorder, engine
    finally:
        await engine.close()
        await test_server.close()


@pytest.fixture
async def server() -> AsyncIterator[tuple[Recorder, OpenSearchSearch]]:
    async with _recorded() as recorded:
        yield recorded


ACK = {"acknowledged": True}


def _hit(
    pid: str, score: float, sort: list[Any], highlight: dict[str, list[str]]
) -> dict[str, Any]:
    return {
        "_index": "products-v1",
        "_id": pid,
        "_score": score,
        "_source": {"product_id": pid},
        "sort": sort,
        "highlight": highlight,
    }


def _response(total: int, hits: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {
        "took": 2,
        "timed_out": False,
        "_shards": {"total": 1, "successful": 1, "skipped": 0, "failed": 0},
        "hits": {"total": {"value": total, "relation": "eq"}, "max_score": None, "hits": hits},
        **extra,
    }


async def test_reindex_puts_template_creates_bulk_loads_and_switches_alias_atomically(
    server: tuple[Recorder, OpenSearchSearch],
) -> None:
    # given a cluster whose alias names products-v1
    recorder, engine = server
    documents = demo_documents()[:2]
    recorder.answer("PUT", "/_index_template/products-template", ACK)
    recorder.answer("PUT", "/products-v2", {**ACK, "index": "products-v2"})
    items = [
        {"index": {"_id": d.product_id, "status": 201, "result": "created"}} for d in documents
    ]
    recorder.answer("POST", "/products-v2/_bulk", {"took": 3, "errors": False, "items": items})
    recorder.answer("GET", "/_alias/products", {"products-v1": {"aliases": {"products": {}}}})
    recorder.answer("POST", "/_aliases", ACK)
    # when a new index is built and switched in
    await engine.create_index("products-v2")
    loaded = await engine.bulk_load("products-v2", documents)
    previous = await engine.switch_alias("products-v2")
    # then the template carries the analysers and mappings
    assert (loaded, previous) == (2, "products-v1")
    _, _, _, template = recorder.requests[0]
    assert template["index_patterns"] == ["products-*"]
    analysis = template["template"]["settings"]["analysis"]["analyzer"]
    assert analysis["vitrine_en"]["filter"] == ["lowercase", "asciifolding", "porter_stem"]
    mappings = template["template"]["mappings"]["properties"]
    assert mappings["name"] == {"type": "text", "analyzer": "vitrine_en"}
    assert mappings["brand"] == {"type": "keyword"}
    assert mappings["price_min"] == {"type": "long"}
    # and the bulk body is action/source pairs with the documents' ids
    method, path, query, bulk = recorder.requests[2]
    assert (method, path, query["refresh"]) == ("POST", "/products-v2/_bulk", "wait_for")
    assert bulk[0] == {"index": {"_id": documents[0].product_id}}
    assert bulk[1]["tiebreak"] == tiebreak(documents[0].product_id)
    assert bulk[1]["price_min"] == documents[0].price_min
    # and one _aliases request removes the old index and adds the new one
    assert recorder.requests[-1][3] == {
        "actions": [
            {"remove": {"index": "products-v1", "alias": "products"}},
            {"add": {"index": "products-v2", "alias": "products"}},
        ]
    }


async def test_typo_retries_with_the_suggested_word_and_fuzziness_and_parses_the_page(
    server: tuple[Recorder, OpenSearchSearch],
) -> None:
    # given a cluster that finds nothing for the typo and suggests "leather"
    recorder, engine = server
    suggest = {
        "spell": [
            {
                "text": "leathr",
                "offset": 0,
                "length": 6,
                "options": [{"text": "leather", "score": 0.83, "freq": 5}],
            },
            {"text": "armchair", "offset": 7, "length": 8, "options": []},
        ]
    }
    recorder.answer("POST", "/products/_search", _response(0, [], suggest=suggest))
    hits = [
        _hit(
            "demo-lounge-armchair",
            7.5,
            [7.5, 42],
            {"name": ["Lounge <em>Armchair</em>"], "description": ["A low <em>leather</em>"]},
        ),
        _hit("demo-city-tote", 1.2, [1.2, 43], {}),
    ]
    aggregations = {
        "brand": {"buckets": [{"key": "Atelier Vale", "doc_count": 2}]},
        "colour": {"buckets": [{"key": "Tan Leather", "doc_count": 1}]},
        "material": {"buckets": []},
        "category": {"buckets": [{"key": "furniture", "doc_count": 1}]},
        "price": {"buckets": [{"key": 70000.0, "doc_count": 1}]},
    }
    recorder.answer("POST", "/products/_search", _response(2, hits, aggregations=aggregations))
    request = SearchRequest(
        query="leathr armchair",
        filters=SearchFilters(brands=("Atelier Vale",), max_price=100_000, in_stock=True),
        sort=SearchSort.RELEVANCE,
        first=1,
    )
    # when searching
    page = await engine.search(request)
    # then the first request asked for every word, exactly, with boosts and the term suggester
    first_body = recorder.requests[0][3]
    match = first_body["query"]["bool"]["must"][0]["multi_match"]
    assert match["query"] == "leathr armchair"
    assert match["operator"] == "and"
    assert "fuzziness" not in match
    assert match["fields"] == [
        "name^4",
        "brand_text^3",
        "tags_text^3",
        "category_text^2",
        "description^1",
    ]
    assert first_body["query"]["bool"]["filter"] == [
        {"terms": {"brand": ["Atelier Vale"]}},
        {"range": {"price_min": {"lte": 100_000}}},
        {"term": {"in_stock": True}},
    ]
    assert first_body["sort"] == [{"_score": "desc"}, {"tiebreak": "asc"}]
    assert first_body["size"] == 2
    assert first_body["suggest"]["spell"]["term"]["field"] == "spell"
    # and the retry ran the corrected words with fuzziness AUTO
    retry = recorder.requests[1][3]["query"]["bool"]["must"][0]["multi_match"]
    assert (retry["query"], retry["fuzziness"]) == ("leather armchair", "AUTO")
    # and the page reads hits, highlights, facets and the cursor of the last hit shown
    assert page.corrected_query == "leather armchair"
    assert page.total == 2
    assert [h.product_id for h in page.hits] == ["demo-lounge-armchair"]
    assert page.hits[0].highlights[0].fragments == ("Lounge <em>Armchair</em>",)
    assert [(f.value, f.count) for f in page.facets.brand] == [("Atelier Vale", 2)]
    assert [(b.min, b.max, b.count) for b in page.facets.price_histogram] == [(70_000, 80_000, 1)]
    assert page.next_cursor is not None
    # when the next page is asked for
    recorder.answer("POST", "/products/_search", _response(2, hits[1:], aggregations=aggregations))
    await engine.search(replace(request, query="leathr armchair", after=page.next_cursor))
    # then search_after carries the sort values of the last hit shown
    assert recorder.requests[2][3]["search_after"] == [7.5, 42]


async def test_suggestions_use_bool_prefix_and_bad_input_never_reaches_the_cluster(
    server: tuple[Recorder, OpenSearchSearch],
) -> None:
    recorder, engine = server
    source = {"product_id": "demo-arc-floor-lamp", "display_name": "Arc Floor Lamp"}
    hits = [{"_id": "x", "_score": 1.0, "_source": {**source, "brand": "Lumio"}}]
    recorder.answer("POST", "/products/_search", _response(1, hits))
    found = await engine.suggest("floor la", 5)
    assert [(s.text, s.kind) for s in found] == [("Arc Floor Lamp", SuggestionKind.PRODUCT)]
    assert recorder.requests[0][3]["query"] == {
        "match_bool_prefix": {"suggest": {"query": "floor la", "operator": "and"}}
    }
    with pytest.raises(InvalidSearchQuery):
        await engine.search(SearchRequest(filters=SearchFilters(min_price=9, max_price=1)))
    with pytest.raises(InvalidSearchQuery):
        await engine.suggest("x" * 500, 5)
    assert len(recorder.requests) == 1


async def test_similar_reads_the_document_then_sends_more_like_this_with_its_attributes(
    server: tuple[Recorder, OpenSearchSearch],
) -> None:
    # given a cluster holding the lamp and finding two lamps like it
    recorder, engine = server
    source = {
        "product_id": "demo-dome-pendant",
        "brand": "Lumio",
        "material": ["Brass", "Chrome"],
        "category": ["lighting", "lighting-pendants"],
        "colour": [],
    }
    recorder.answer(
        "GET",
        "/products/_doc/demo-dome-pendant",
        {"_index": "products-v1", "_id": "demo-dome-pendant", "found": True, "_source": source},
    )
    hits = [
        _hit("demo-arc-floor-lamp", 7.5, [7.5, 11], {}),
        _hit("demo-bedside-lamp", 6.0, [6.0, 12], {}),
    ]
    recorder.answer("POST", "/products/_search", _response(2, hits))
    # when asking for products like it
    found = await engine.similar("demo-dome-pendant", 4)
    # then the hits come back in order with their scores
    assert [(h.product_id, h.score) for h in found] == [
        ("demo-arc-floor-lamp", 7.5),
        ("demo-bedside-lamp", 6.0),
    ]
    # and the document read asks only for the attributes
    method, path, query, _ = recorder.requests[0]
    assert (method, path) == ("GET", "/products/_doc/demo-dome-pendant")
    assert query["_source_includes"] == "product_id,brand,material,category,colour"
    # and the search is more_like_this on the boosted text fields plus the attributes
    _, _, _, body = recorder.requests[1]
    assert body["size"] == 4
    assert body["sort"] == [{"_score": "desc"}, {"tiebreak": "asc"}]
    query_body = body["query"]["bool"]
    assert query_body["must_not"] == [{"ids": {"values": ["demo-dome-pendant"]}}]
    assert query_body["minimum_should_match"] == 1
    mlt = query_body["should"][0]["more_like_this"]
    assert mlt["fields"] == [
        "name^4",
        "brand_text^3",
        "tags_text^3",
        "category_text^2",
        "description^1",
    ]
    assert mlt["like"] == [{"_index": "products", "_id": "demo-dome-pendant"}]
    assert (mlt["min_term_freq"], mlt["min_doc_freq"], mlt["max_query_terms"]) == (1, 1, 12)
    assert query_body["should"][1:] == [
        {"constant_score": {"filter": {"terms": {"brand": ["Lumio"]}}, "boost": 2.0}},
        {"constant_score": {"filter": {"terms": {"material": ["Brass", "Chrome"]}}, "boost": 2.0}},
        {"constant_score": {"filter": {"term": {"category": "lighting"}}, "boost": 1.5}},
        {"constant_score": {"filter": {"term": {"category": "lighting-pendants"}}, "boost": 3.0}},
    ]


async def test_similar_to_a_product_the_index_lacks_is_empty_and_bad_first_is_refused(
    server: tuple[Recorder, OpenSearchSearch],
) -> None:
    # given a cluster without the document
    recorder, engine = server
    recorder.answer(
        "GET",
        "/products/_doc/gone",
        {"_index": "products-v1", "_id": "gone", "found": False},
        status=404,
    )
    # when asking for products like it, and for too many
    found = await engine.similar("gone", 4)
    with pytest.raises(InvalidSearchQuery, match="first must be between 1 and 100"):
        await engine.similar("gone", 101)
    # then nothing is found and no search was sent
    assert found == ()
    assert [(m, p) for m, p, _, _ in recorder.requests] == [("GET", "/products/_doc/gone")]


# -- Amazon OpenSearch Service: IAM (SigV4) ----------------------------------------------------

ACCESS_KEY, SECRET_KEY = "AKIAVITRINETEST00001", "vitrine-test-secret-key/0123456789abcdefghij"


def _expected_signature(headers: dict[str, str], body: bytes, url: str, method: str) -> str:
    """The SigV4 signature AWS would compute for the request as received (botocore's)."""
    authorization = headers["Authorization"]
    signed = authorization.split("SignedHeaders=")[1].split(",")[0].split(";")
    lowered = {name.lower(): value for name, value in headers.items()}
    request = AWSRequest(
        method=method, url=url, data=body, headers={name: lowered[name] for name in signed}
    )
    request.context["timestamp"] = lowered["x-amz-date"]
    auth = SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "es", "eu-west-1")
    string_to_sign = auth.string_to_sign(request, auth.canonical_request(request))
    return str(auth.signature(string_to_sign, request))


async def test_requests_to_an_aws_domain_carry_a_valid_sigv4_signature(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given AWS credentials in the environment and an adapter signing for eu-west-1
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    async with _recorded(sign_region="eu-west-1") as (recorder, engine):
        recorder.answer("GET", "/products/_doc/p1", {"_id": "p1", "found": False}, status=404)
        recorder.answer("HEAD", "/", None)
        # when it reads a document (GET) and pings the cluster (HEAD)
        await engine.similar("p1", 4)
        await engine.check()

    # then each request names the key, region and service, and its signature is the one
    # botocore computes for the request as it arrived
    assert [(m, p) for m, p, _, _ in recorder.requests] == [
        ("GET", "/products/_doc/p1"),
        ("HEAD", "/"),
    ]
    for (method, *_), (headers, body, url) in zip(
        recorder.requests, recorder.received, strict=True
    ):
        authorization = headers["Authorization"]
        assert authorization.startswith(
            f"AWS4-HMAC-SHA256 Credential={ACCESS_KEY}/{headers['X-Amz-Date'][:8]}/eu-west-1/es/"
        )
        assert "host" in authorization.split("SignedHeaders=")[1].split(",")[0].split(";")
        signature = authorization.rsplit("Signature=", 1)[1]
        assert signature == _expected_signature(headers, body, url, method)


async def test_an_unsigned_adapter_sends_no_credentials(
    server: tuple[Recorder, OpenSearchSearch],
) -> None:
    # given the adapter for a cluster without IAM (local, self-managed)
    recorder, engine = server
    recorder.answer("HEAD", "/", None)
    # when it pings the cluster
    await engine.check()
    # then no Authorization header went out
    [(headers, _, _)] = recorder.received
    assert "Authorization" not in headers
