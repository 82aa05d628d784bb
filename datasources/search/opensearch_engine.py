"""OpenSearch adapter of the ``ProductSearch`` port (AWS), on opensearch-py's async client.

The same behaviour as the embedded engine: every query word must match (then, if nothing
matches, misspelt words are replaced by the term suggester's best dictionary word and the
query runs again with ``fuzziness: AUTO``; then any word may match), the same field boosts,
filters, facets over the filtered set, keyset pages (``search_after`` on the sort values and
a per-product tie-breaker), highlights and suggestions. User text only ever travels as the
``query`` string of ``multi_match``/``match_bool_prefix``, which OpenSearch does not parse as
syntax.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import Any

import botocore.session
from opensearchpy import AsyncHttpConnection, AsyncOpenSearch, AWSV4SignerAsyncAuth
from opensearchpy.exceptions import ConnectionError as OpenSearchConnectionError
from opensearchpy.exceptions import NotFoundError, TransportError

from datasources.errors import DataSourceError, DataSourceUnavailable, InvalidSearchQuery
from datasources.search.records import (
    MAX_QUERY_CHARS,
    Highlight,
    PriceBucket,
    SearchDocument,
    SearchFacets,
    SearchHit,
    SearchPage,
    SearchRequest,
    SearchSort,
    Suggestion,
    SuggestionKind,
    decode_cursor,
    encode_cursor,
    facet_values,
)
from datasources.search.text import (
    FIELD_BOOSTS,
    SIMILAR_ATTRIBUTE_BOOSTS,
    SIMILAR_MAX_TERMS,
    tiebreak,
)

FACETS = ("brand", "colour", "material", "category")
KEYWORDS = (*FACETS, "currency", "product_id")
SIMILAR_SOURCE = ["product_id", *(field for field, _ in SIMILAR_ATTRIBUTE_BOOSTS)]
SIGV4_SERVICE = "es"
"""The signing name of Amazon OpenSearch Service domains."""


def index_template(alias: str) -> dict[str, Any]:
    """The index template of ``<alias>-*`` indexes: analysers and mappings."""
    text = {"type": "text", "analyzer": "vitrine_en"}
    properties: dict[str, Any] = {name: dict(text) for name, _ in FIELD_BOOSTS}
    properties.update({name: {"type": "keyword"} for name in KEYWORDS})
    properties.update(
        spell={"type": "text", "analyzer": "vitrine_words"},
        suggest={"type": "text", "analyzer": "vitrine_words"},
        display_name={"type": "keyword", "index": False},
        price_min={"type": "long"},
        price_max={"type": "long"},
        created_ms={"type": "long"},
        tiebreak={"type": "long"},
        width={"type": "double"},
        depth={"type": "double"},
        height={"type": "double"},
        has_3d={"type": "boolean"},
        in_stock={"type": "boolean"},
    )
    return {
        "index_patterns": [f"{alias}-*"],
        "template": {
            "settings": {
                "analysis": {
                    "analyzer": {
                        "vitrine_en": {
                            "type": "custom",
                            "tokenizer": "standard",
                            "filter": ["lowercase", "asciifolding", "porter_stem"],
                        },
                        "vitrine_words": {
                            "type": "custom",
                            "tokenizer": "standard",
                            "filter": ["lowercase", "asciifolding"],
                        },
                    }
                }
            },
            "mappings": {"dynamic": "strict", "properties": properties},
        },
    }


def to_source(doc: SearchDocument) -> dict[str, Any]:
    """The JSON document of ``doc`` (the same fields as the tantivy schema)."""
    return {
        "product_id": doc.product_id,
        "name": doc.name,
        "display_name": doc.name,
        "brand_text": doc.brand,
        "tags_text": " ".join(t.replace("-", " ") for t in doc.tags),
        "category_text": " ".join(doc.category_names),
        "description": doc.description,
        "spell": " ".join((doc.name, doc.brand, *doc.tags, *doc.category_names, doc.description)),
        "suggest": f"{doc.name} {doc.brand}",
        "brand": doc.brand,
        "currency": doc.currency,
        "colour": list(doc.colours),
        "material": list(doc.materials),
        "category": list(doc.category_ids),
        "price_min": doc.price_min,
        "price_max": doc.price_max,
        "created_ms": int(doc.created_at.timestamp() * 1000),
        "tiebreak": tiebreak(doc.product_id),
        "width": doc.width,
        "depth": doc.depth,
        "height": doc.height,
        "has_3d": doc.has_3d,
        "in_stock": doc.in_stock,
    }


def _sort(sort: SearchSort) -> list[dict[str, str]]:
    first = {
        SearchSort.RELEVANCE: {"_score": "desc"},
        SearchSort.PRICE_ASC: {"price_min": "asc"},
        SearchSort.PRICE_DESC: {"price_min": "desc"},
        SearchSort.NEWEST: {"created_ms": "desc"},
    }[sort]
    return [first, {"tiebreak": "asc"}]


def _filters(request: SearchRequest) -> list[dict[str, Any]]:
    f = request.filters
    out: list[dict[str, Any]] = []
    for field, values in (
        ("category", f.category_ids),
        ("brand", f.brands),
        ("colour", f.colours),
        ("material", f.materials),
    ):
        if values:
            out.append({"terms": {field: list(values)}})
    if f.min_price is not None or f.max_price is not None:
        bounds = {"gte": f.min_price, "lte": f.max_price}
        out.append({"range": {"price_min": {k: v for k, v in bounds.items() if v is not None}}})
    if f.fits_within is not None:
        size = f.fits_within
        for field, limit in (("width", size.width), ("depth", size.depth), ("height", size.height)):
            out.append({"range": {field: {"lte": limit}}})
    for field, flag in (("has_3d", f.has_3d), ("in_stock", f.in_stock)):
        if flag is not None:
            out.append({"term": {field: flag}})
    return out


def words(text: str) -> list[str]:
    """Lower-cased, accent-folded words (the ``vitrine_words`` analyser, approximately)."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in folded if not unicodedata.combining(c))
    return re.findall(r"[^\W_]+", plain)


def search_body(request: SearchRequest, text: str, *, mode: str) -> dict[str, Any]:
    """The ``_search`` body of one attempt: mode ``and``, ``fuzzy`` (and + AUTO) or ``or``."""
    must: list[dict[str, Any]]
    if words(text):
        match: dict[str, Any] = {
            "query": text,
            "type": "best_fields",
            "fields": [f"{name}^{boost:g}" for name, boost in FIELD_BOOSTS],
            "operator": "or" if mode == "or" else "and",
            "tie_breaker": 0.2,
        }
        if mode == "fuzzy":
            match["fuzziness"] = "AUTO"
        must = [{"multi_match": match}]
    else:
        must = [{"match_all": {}}]
    body: dict[str, Any] = {
        "size": request.first + 1,
        "track_total_hits": True,
        "query": {"bool": {"must": must, "filter": _filters(request)}},
        "sort": _sort(request.sort),
        "_source": ["product_id"],
        "aggs": {
            **{name: {"terms": {"field": name, "size": 50}} for name in FACETS},
            "price": {
                "histogram": {
                    "field": "price_min",
                    "interval": request.histogram_interval,
                    "min_doc_count": 1,
                }
            },
        },
        "highlight": {
            "pre_tags": ["<em>"],
            "post_tags": ["</em>"],
            "encoder": "html",
            "fields": {"name": {"number_of_fragments": 0}, "description": {}},
        },
    }
    after = decode_cursor(request)
    if after is not None:
        body["search_after"] = [*after[:-1], int(after[-1])]
    if mode == "and" and words(text):
        body["suggest"] = {
            "spell": {"text": text, "term": {"field": "spell", "suggest_mode": "missing"}}
        }
    return body


def similar_body(alias: str, source: dict[str, Any], first: int) -> dict[str, Any]:
    """The ``_search`` body of "more like ``source``": ``more_like_this`` on the boosted text
    fields of the indexed document, plus its brand, materials, colours and categories (each
    category level scores its boost times its depth), excluding the document itself."""
    pid = str(source["product_id"])
    should: list[dict[str, Any]] = [
        {
            "more_like_this": {
                "fields": [f"{name}^{boost:g}" for name, boost in FIELD_BOOSTS],
                "like": [{"_index": alias, "_id": pid}],
                "min_term_freq": 1,
                "min_doc_freq": 1,
                "max_query_terms": SIMILAR_MAX_TERMS,
                "minimum_should_match": "1",
            }
        }
    ]
    for field, boost in SIMILAR_ATTRIBUTE_BOOSTS:
        raw = source.get(field)
        values = [str(v) for v in (raw if isinstance(raw, list) else [raw] if raw else [])]
        if field == "category":
            should += [
                {"constant_score": {"filter": {"term": {field: v}}, "boost": boost * depth}}
                for depth, v in enumerate(values, 1)
            ]
        elif values:
            should.append(
                {"constant_score": {"filter": {"terms": {field: values}}, "boost": boost}}
            )
    return {
        "size": first,
        "_source": ["product_id"],
        "query": {
            "bool": {
                "should": should,
                "minimum_should_match": 1,
                "must_not": [{"ids": {"values": [pid]}}],
            }
        },
        "sort": _sort(SearchSort.RELEVANCE),
    }


def corrected_text(response: dict[str, Any]) -> str | None:
    """The query with each misspelt word replaced by the term suggester's best option."""
    entries = response.get("suggest", {}).get("spell", [])
    changed = False
    out: list[str] = []
    for entry in entries:
        options = entry.get("options", [])
        if options:
            out.append(str(options[0]["text"]))
            changed = True
        else:
            out.append(str(entry["text"]))
    return " ".join(out) if changed else None


def parse_page(
    request: SearchRequest, response: dict[str, Any], corrected: str | None
) -> SearchPage:
    """The page of a ``_search`` response."""
    raw_hits = response["hits"]["hits"]
    hits = []
    for raw in raw_hits[: request.first]:
        sort_values = raw["sort"]
        key = (*sort_values[:-1], f"{int(sort_values[-1]):019d}")
        highlights = tuple(
            Highlight(field=field, fragments=tuple(raw["highlight"][field]))
            for field in ("name", "description")
            if field in raw.get("highlight", {})
        )
        hits.append(
            SearchHit(
                product_id=str(raw["_source"]["product_id"]),
                score=float(raw.get("_score") or 0.0),
                highlights=highlights,
                cursor=encode_cursor(request, key),
            )
        )
    aggs = response.get("aggregations", {})

    def terms(name: str) -> Any:
        buckets = aggs.get(name, {}).get("buckets", [])
        return facet_values({str(b["key"]): int(b["doc_count"]) for b in buckets})

    interval = request.histogram_interval
    histogram = tuple(
        PriceBucket(min=int(b["key"]), max=int(b["key"]) + interval, count=int(b["doc_count"]))
        for b in aggs.get("price", {}).get("buckets", [])
        if int(b["doc_count"]) > 0
    )
    return SearchPage(
        hits=tuple(hits),
        total=int(response["hits"]["total"]["value"]),
        facets=SearchFacets(
            brand=terms("brand"),
            colour=terms("colour"),
            material=terms("material"),
            category=terms("category"),
            price_histogram=histogram,
        ),
        corrected_query=corrected,
        next_cursor=hits[-1].cursor if hits and len(raw_hits) > request.first else None,
        has_previous_page=request.after is not None,
    )


def sigv4_auth(region: str) -> AWSV4SignerAsyncAuth:
    """A request signer for Amazon OpenSearch Service in ``region``, on the default
    credential chain (refreshed by botocore as the role's session rolls over)."""
    credentials = botocore.session.get_session().get_credentials()
    if credentials is None:
        raise DataSourceUnavailable("OpenSearch", "no AWS credentials to sign requests with")
    return AWSV4SignerAsyncAuth(credentials, region, SIGV4_SERVICE)


class OpenSearchSearch:
    """``ProductSearch`` on an OpenSearch cluster; reads and writes go through ``alias``."""

    def __init__(self, client: AsyncOpenSearch, alias: str = "products") -> None:
        self._client = client
        self._alias = alias

    @classmethod
    def connect(
        cls,
        url: str,
        alias: str = "products",
        timeout: float = 5.0,
        *,
        sign_region: str | None = None,
    ) -> OpenSearchSearch:
        """An adapter on a new client of ``url`` (no request yet). With ``sign_region``,
        every request is signed with SigV4 for Amazon OpenSearch Service (``es``), with the
        credentials of the default chain (the Lambda or task role on AWS)."""
        if sign_region is None:
            return cls(AsyncOpenSearch(hosts=[url], timeout=timeout), alias)
        return cls(
            AsyncOpenSearch(
                hosts=[url],
                timeout=timeout,
                http_auth=sigv4_auth(sign_region),
                connection_class=AsyncHttpConnection,
            ),
            alias,
        )

    async def _call(self, what: str, call: Any) -> Any:
        try:
            return await call
        except OpenSearchConnectionError as error:
            raise DataSourceUnavailable("OpenSearch", str(error)) from error
        except TransportError as error:
            raise DataSourceError(f"OpenSearch refused {what}: {error}") from error

    async def _bulk(self, target: str, actions: list[dict[str, Any]]) -> None:
        if not actions:
            return
        response = await self._call(
            "a bulk request",
            self._client.bulk(body=actions, index=target, refresh="wait_for"),
        )
        if response.get("errors"):
            failed = [item for item in response["items"] for op in item.values() if op.get("error")]
            if any(op.get("status") != 404 for item in failed for op in item.values()):
                raise DataSourceError(f"OpenSearch rejected {len(failed)} bulk items")

    def _upserts(self, documents: Sequence[SearchDocument]) -> list[dict[str, Any]]:
        actions: list[dict[str, Any]] = []
        for doc in documents:
            actions += [{"index": {"_id": doc.product_id}}, to_source(doc)]
        return actions

    @property
    def alias(self) -> str:
        """The alias reads and upserts go through."""
        return self._alias

    async def index(self, documents: Sequence[SearchDocument]) -> None:
        """Create or replace ``documents`` through the alias."""
        await self._bulk(self._alias, self._upserts(documents))

    async def delete(self, product_ids: Sequence[str]) -> None:
        """Remove products through the alias (absent ones are ignored)."""
        await self._bulk(self._alias, [{"delete": {"_id": pid}} for pid in product_ids])

    async def _search(self, body: dict[str, Any]) -> dict[str, Any]:
        response: dict[str, Any] = await self._call(
            "a search", self._client.search(index=self._alias, body=body)
        )
        return response

    async def search(self, request: SearchRequest) -> SearchPage:
        """One page of matches with facets (see the port)."""
        request.validate()
        text = request.query
        response = await self._search(search_body(request, text, mode="and"))
        corrected: str | None = None
        if response["hits"]["total"]["value"] == 0 and words(text):
            corrected = corrected_text(response)
            if corrected is not None:
                text = corrected
                response = await self._search(search_body(request, text, mode="fuzzy"))
            if response["hits"]["total"]["value"] == 0 and len(words(text)) > 1:
                response = await self._search(search_body(request, text, mode="or"))
        return parse_page(request, response, corrected)

    async def suggest(self, prefix: str, first: int) -> tuple[Suggestion, ...]:
        """Brands and product names completing ``prefix`` (``match_bool_prefix``)."""
        if len(prefix) > MAX_QUERY_CHARS:
            raise InvalidSearchQuery(
                f"The prefix has {len(prefix)} characters, more than {MAX_QUERY_CHARS}"
            )
        if first < 1 or first > 20:
            raise InvalidSearchQuery(f"first must be between 1 and 20, got {first}")
        typed = words(prefix)
        if not typed:
            return ()
        body = {
            "size": 200,
            "query": {"match_bool_prefix": {"suggest": {"query": prefix, "operator": "and"}}},
            "_source": ["product_id", "display_name", "brand"],
        }
        response = await self._search(body)
        brands: dict[str, None] = {}
        products: list[Suggestion] = []
        for raw in response["hits"]["hits"]:
            source = raw["_source"]
            if _completes(typed, words(source["brand"])):
                brands.setdefault(source["brand"], None)
            if _completes(typed, words(source["display_name"])):
                products.append(
                    Suggestion(
                        text=source["display_name"],
                        kind=SuggestionKind.PRODUCT,
                        product_id=source["product_id"],
                    )
                )
        products.sort(key=lambda s: s.text)
        found = [Suggestion(text=b, kind=SuggestionKind.BRAND) for b in sorted(brands)] + products
        return tuple(found[:first])

    async def similar(self, product_id: str, first: int) -> tuple[SearchHit, ...]:
        """More like ``product_id`` (see the port): reads its document, then one
        ``more_like_this`` search (``similar_body``)."""
        if first < 1 or first > 100:
            raise InvalidSearchQuery(f"first must be between 1 and 100, got {first}")
        try:
            found = await self._client.get(
                index=self._alias, id=product_id, _source_includes=SIMILAR_SOURCE
            )
        except NotFoundError:
            return ()
        except OpenSearchConnectionError as error:
            raise DataSourceUnavailable("OpenSearch", str(error)) from error
        except TransportError as error:
            raise DataSourceError(f"OpenSearch refused reading a document: {error}") from error
        response = await self._search(similar_body(self._alias, found["_source"], first))
        return tuple(
            SearchHit(product_id=str(raw["_source"]["product_id"]), score=float(raw["_score"] or 0))
            for raw in response["hits"]["hits"]
        )

    async def create_index(self, name: str) -> None:
        """Put the index template, then create ``name`` (it must match ``<alias>-*``)."""
        if not name.startswith(f"{self._alias}-"):
            raise ValueError(f"index names must start with {self._alias}-")
        await self._call(
            "the index template",
            self._client.indices.put_index_template(
                name=f"{self._alias}-template", body=index_template(self._alias)
            ),
        )
        await self._call("creating the index", self._client.indices.create(index=name))

    async def bulk_load(self, name: str, documents: Sequence[SearchDocument]) -> int:
        """Index ``documents`` into ``name``."""
        await self._bulk(name, self._upserts(documents))
        return len(documents)

    async def live_index(self) -> str | None:
        """The index the alias names."""
        try:
            found = await self._client.indices.get_alias(name=self._alias)
        except NotFoundError:
            return None
        except OpenSearchConnectionError as error:
            raise DataSourceUnavailable("OpenSearch", str(error)) from error
        return next(iter(sorted(found)), None)

    async def switch_alias(self, name: str) -> str | None:
        """Move the alias to ``name`` in one atomic ``_aliases`` request."""
        previous = await self.live_index()
        actions: list[dict[str, Any]] = [{"add": {"index": name, "alias": self._alias}}]
        if previous is not None and previous != name:
            actions.insert(0, {"remove": {"index": previous, "alias": self._alias}})
        await self._call(
            "the alias switch", self._client.indices.update_aliases(body={"actions": actions})
        )
        return previous

    async def drop_index(self, name: str) -> None:
        """Delete index ``name`` unless it is live."""
        if name == await self.live_index():
            raise ValueError(f"index {name!r} is live and cannot be dropped")
        await self._call("deleting the index", self._client.indices.delete(index=name))

    async def check(self) -> None:
        """Raise DataSourceUnavailable unless the cluster answers."""
        if not await self._client.ping():
            raise DataSourceUnavailable("OpenSearch", "the cluster did not answer a ping")

    async def close(self) -> None:
        """Close the client's connections."""
        await self._client.close()


def _completes(typed: list[str], candidate: list[str]) -> bool:
    return set(typed[:-1]) <= set(candidate) and any(w.startswith(typed[-1]) for w in candidate)
