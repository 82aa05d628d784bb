"""The embedded search engine (tantivy): the local default of the ``ProductSearch`` port.

Queries are built from analysed tokens, never from tantivy's query parser, so quotes,
colons, brackets, wildcards and ``AND``/``OR`` in user text are plain words. Indexes live in
a directory (one sub-directory per index, the alias in a small file) or in memory.
"""

from __future__ import annotations

import asyncio
import heapq
import html
import math
import os
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path
from typing import Any

import tantivy

from datasources.errors import DataSourceUnavailable, InvalidSearchQuery, SearchIndexMissing
from datasources.search.records import (
    MAX_QUERY_CHARS,
    MAX_RESULT_WINDOW,
    FacetValue,
    Highlight,
    PriceBucket,
    SearchDocument,
    SearchFacets,
    SearchHit,
    SearchPage,
    SearchRequest,
    SortKey,
    Suggestion,
    SuggestionKind,
    decode_cursor,
    encode_cursor,
    facet_values,
    sort_key,
)
from datasources.search.text import (
    FIELD_BOOSTS,
    SIMILAR_ATTRIBUTE_BOOSTS,
    SIMILAR_MAX_TERMS,
    edit_distance,
    max_edits,
    tiebreak,
)

STEMMED = "vitrine_en"
WORDS = "vitrine_words"
INDEX_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
FACET_SIZE = 50
HIGHLIGHT_FIELDS = ("name", "description")
WRITER_HEAP_BYTES = 32_000_000


def _analyzer(stem: bool) -> tantivy.TextAnalyzer:
    builder = (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.remove_long(40))
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.ascii_fold())
    )
    if stem:
        builder = builder.filter(tantivy.Filter.stemmer("english"))
    return builder.build()


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("id", stored=True, fast=True, tokenizer_name="raw")
    for name, _ in FIELD_BOOSTS:
        builder.add_text_field(name, stored=name in HIGHLIGHT_FIELDS, tokenizer_name=STEMMED)
    builder.add_text_field("spell", tokenizer_name=WORDS, index_option="freq")
    builder.add_text_field("suggest", tokenizer_name=WORDS, index_option="basic")
    for keyword in ("brand", "colour", "material", "category", "currency"):
        builder.add_text_field(keyword, stored=True, fast=True, tokenizer_name="raw")
    builder.add_text_field("display_name", stored=True, tokenizer_name="raw", index_option="basic")
    for number in ("price_min", "price_max", "created_ms", "tiebreak"):
        builder.add_integer_field(number, stored=False, indexed=True, fast=True)
    for size in ("width", "depth", "height"):
        builder.add_float_field(size, stored=False, indexed=True, fast=True)
    for flag in ("has_3d", "in_stock"):
        builder.add_boolean_field(flag, stored=False, indexed=True, fast=True)
    return builder.build()


def _to_tantivy(doc: SearchDocument) -> tantivy.Document:
    out = tantivy.Document()
    out.add_text("id", doc.product_id)
    out.add_text("name", doc.name)
    out.add_text("display_name", doc.name)
    out.add_text("brand_text", doc.brand)
    out.add_text("tags_text", " ".join(t.replace("-", " ") for t in doc.tags))
    out.add_text("category_text", " ".join(doc.category_names))
    out.add_text("description", doc.description)
    everything = (doc.name, doc.brand, *doc.tags, *doc.category_names, doc.description)
    out.add_text("spell", " ".join(everything))
    out.add_text("suggest", f"{doc.name} {doc.brand}")
    out.add_text("brand", doc.brand)
    out.add_text("currency", doc.currency)
    for colour in doc.colours:
        out.add_text("colour", colour)
    for material in doc.materials:
        out.add_text("material", material)
    for category in doc.category_ids:
        out.add_text("category", category)
    out.add_integer("price_min", doc.price_min)
    out.add_integer("price_max", doc.price_max)
    out.add_integer("created_ms", int(doc.created_at.timestamp() * 1000))
    out.add_integer("tiebreak", tiebreak(doc.product_id))
    out.add_float("width", doc.width)
    out.add_float("depth", doc.depth)
    out.add_float("height", doc.height)
    out.add_boolean("has_3d", doc.has_3d)
    out.add_boolean("in_stock", doc.in_stock)
    return out


class _Index:
    """One tantivy index with its (lazily opened, single) writer."""

    def __init__(self, path: Path | None) -> None:
        self.schema = _schema()
        if path is not None:
            path.mkdir(parents=True, exist_ok=True)
        self.index = tantivy.Index(self.schema, path=None if path is None else str(path))
        self.index.register_tokenizer(STEMMED, _analyzer(stem=True))
        self.index.register_tokenizer(WORDS, _analyzer(stem=False))
        self._writer: tantivy.IndexWriter | None = None

    @property
    def writer(self) -> tantivy.IndexWriter:
        if self._writer is None:
            self._writer = self.index.writer(WRITER_HEAP_BYTES, 1)
        return self._writer

    def upsert(self, documents: Sequence[SearchDocument], delete_ids: Sequence[str]) -> None:
        writer = self.writer
        for pid in (*delete_ids, *(d.product_id for d in documents)):
            writer.delete_documents_by_term("id", pid)
        for document in documents:
            writer.add_document(_to_tantivy(document))
        writer.commit()
        writer.wait_merging_threads()
        self._writer = None
        self.index.reload()


@dataclass(frozen=True)
class _Parsed:
    """The query's words: as typed (folded) and as the stemmed terms that are indexed."""

    words: tuple[str, ...]
    terms: tuple[tuple[str, ...], ...]


class TantivySearch:
    """``ProductSearch`` on tantivy, in ``directory`` (or in memory when it is None)."""

    def __init__(self, directory: Path | None = None, alias: str = "products") -> None:
        self._directory = directory
        self._alias = alias
        self._indexes: dict[str, _Index] = {}
        self._lock = threading.RLock()
        self._words = _analyzer(stem=False)
        self._stems = _analyzer(stem=True)
        self._schema = _schema()
        self._live: str | None = self._read_alias()

    # --- index administration ---------------------------------------------------------------

    def _alias_file(self) -> Path | None:
        return None if self._directory is None else self._directory / f"{self._alias}.alias"

    def _read_alias(self) -> str | None:
        path = self._alias_file()
        if path is None or not path.exists():
            return None
        name = path.read_text().strip()
        return name if INDEX_NAME.match(name) else None

    def _open(self, name: str, *, create: bool = False) -> _Index:
        if not INDEX_NAME.match(name):
            raise ValueError(f"not a valid index name: {name!r}")
        with self._lock:
            index = self._indexes.get(name)
            if index is not None:
                return index
            path = None if self._directory is None else self._directory / name
            if not create and (path is None or not path.exists()):
                raise SearchIndexMissing(f"The search index {name!r} does not exist")
            index = _Index(path)
            self._indexes[name] = index
            return index

    def _live_index(self) -> _Index:
        if self._directory is not None:
            # Another process (``vitrine search reindex``) may have switched the alias.
            self._live = self._read_alias() or self._live
        if self._live is None:
            raise SearchIndexMissing(
                "No search index is live yet: run `vitrine search reindex` to build one"
            )
        return self._open(self._live)

    async def create_index(self, name: str) -> None:
        """Create an empty index ``name`` (emptied if it exists and is not live)."""

        def create() -> None:
            with self._lock:
                if name == self._live:
                    raise ValueError(f"index {name!r} is live; create another and switch")
                index = self._open(name, create=True)
                index.writer.delete_all_documents()
                index.upsert((), ())

        await asyncio.to_thread(create)

    async def bulk_load(self, name: str, documents: Sequence[SearchDocument]) -> int:
        """Add ``documents`` to index ``name``."""
        index = self._open(name)
        await asyncio.to_thread(self._locked_upsert, index, documents, ())
        return len(documents)

    async def switch_alias(self, name: str) -> str | None:
        """Make ``name`` the live index (the alias file is replaced atomically)."""
        self._open(name)
        with self._lock:
            previous, self._live = self._live, name
            path = self._alias_file()
            if path is not None:
                temporary = path.with_suffix(".tmp")
                temporary.write_text(name)
                os.replace(temporary, path)
        return previous

    async def drop_index(self, name: str) -> None:
        """Forget index ``name`` and delete its files."""
        with self._lock:
            if name == self._live:
                raise ValueError(f"index {name!r} is live and cannot be dropped")
            self._indexes.pop(name, None)
            if self._directory is not None:
                target = self._directory / name
                if target.exists():
                    await asyncio.to_thread(_remove_tree, target)

    async def live_index(self) -> str | None:
        """The index the alias names."""
        return self._live

    # --- documents ----------------------------------------------------------------------------

    def _locked_upsert(
        self, index: _Index, documents: Sequence[SearchDocument], delete_ids: Sequence[str]
    ) -> None:
        with self._lock:
            index.upsert(documents, delete_ids)

    @property
    def alias(self) -> str:
        """The alias reads and upserts go through."""
        return self._alias

    async def index(self, documents: Sequence[SearchDocument]) -> None:
        """Create or replace ``documents`` in the live index."""
        if documents:
            await asyncio.to_thread(self._locked_upsert, self._live_index(), documents, ())

    async def delete(self, product_ids: Sequence[str]) -> None:
        """Remove products from the live index."""
        if product_ids:
            await asyncio.to_thread(self._locked_upsert, self._live_index(), (), product_ids)

    # --- queries ------------------------------------------------------------------------------

    def _parse(self, text: str) -> _Parsed:
        words = tuple(self._words.analyze(text))
        return _Parsed(words=words, terms=tuple(tuple(self._stems.analyze(w)) for w in words))

    def _text_query(self, parsed: _Parsed, *, all_words: bool) -> tantivy.Query:
        per_word = []
        for stems in parsed.terms:
            alternatives = [
                tantivy.Query.boost_query(
                    tantivy.Query.term_query(self._schema, field, stem), boost
                )
                for stem in stems
                for field, boost in FIELD_BOOSTS
            ]
            per_word.append(tantivy.Query.disjunction_max_query(alternatives, tie_breaker=0.2))
        occur = tantivy.Occur.Must if all_words else tantivy.Occur.Should
        return tantivy.Query.boolean_query([(occur, q) for q in per_word])

    def _filter_queries(self, request: SearchRequest) -> list[tantivy.Query]:
        f = request.filters
        schema = self._schema
        out: list[tantivy.Query] = []
        for field, values in (
            ("category", f.category_ids),
            ("brand", f.brands),
            ("colour", f.colours),
            ("material", f.materials),
        ):
            if values:
                out.append(tantivy.Query.term_set_query(schema, field, list(values)))
        if f.min_price is not None or f.max_price is not None:
            out.append(
                tantivy.Query.range_query(
                    schema, "price_min", tantivy.FieldType.Integer, f.min_price, f.max_price
                )
            )
        if f.fits_within is not None:
            for field, limit in (
                ("width", f.fits_within.width),
                ("depth", f.fits_within.depth),
                ("height", f.fits_within.height),
            ):
                out.append(
                    tantivy.Query.range_query(
                        schema, field, tantivy.FieldType.Float, None, float(limit)
                    )
                )
        for field, flag in (("has_3d", f.has_3d), ("in_stock", f.in_stock)):
            if flag is not None:
                out.append(tantivy.Query.term_query(schema, field, flag))
        return out

    def _combined(self, text: tantivy.Query | None, filters: list[tantivy.Query]) -> tantivy.Query:
        clauses = [] if text is None else [(tantivy.Occur.Must, text)]
        clauses += [(tantivy.Occur.Must, tantivy.Query.const_score_query(q, 0.0)) for q in filters]
        if not clauses:
            return tantivy.Query.all_query()
        return tantivy.Query.boolean_query(clauses)

    def _correct(self, searcher: tantivy.Searcher, parsed: _Parsed) -> _Parsed | None:
        """The query with unknown words replaced by the closest indexed word, if any was."""
        changed = False
        words: list[str] = []
        for word in parsed.words:
            limit = max_edits(word)
            if limit == 0 or searcher.doc_freq("spell", word) > 0:
                words.append(word)
                continue
            best: tuple[int, int, str] | None = None
            for term, count in searcher.terms_with_prefix("spell", word[0]):
                distance = edit_distance(word, term, limit)
                if distance <= limit:
                    candidate = (distance, -count, term)
                    best = candidate if best is None or candidate < best else best
            if best is None:
                words.append(word)
            else:
                words.append(best[2])
                changed = True
        if not changed:
            return None
        return self._parse(" ".join(words))

    def _run(self, request: SearchRequest) -> SearchPage:
        request.validate()
        after = decode_cursor(request)
        index = self._live_index()
        searcher = index.index.searcher()
        filters = self._filter_queries(request)
        parsed = self._parse(request.query)
        corrected: str | None = None
        text: tantivy.Query | None = None
        query = self._combined(None, filters)
        if parsed.words:
            text = self._text_query(parsed, all_words=True)
            query = self._combined(text, filters)
            if _count(searcher, query) == 0:
                fixed = self._correct(searcher, parsed)
                if fixed is not None:
                    parsed, corrected = fixed, " ".join(fixed.words)
                    text = self._text_query(parsed, all_words=True)
                    query = self._combined(text, filters)
            if len(parsed.words) > 1 and _count(searcher, query) == 0:
                # No product has every word: rank those with any of them.
                text = self._text_query(parsed, all_words=False)
                query = self._combined(text, filters)
        result = searcher.search(query, MAX_RESULT_WINDOW, count=True)
        addresses = [address for _, address in result.hits]
        prices = searcher.fast_field_values("price_min", addresses)
        created = searcher.fast_field_values("created_ms", addresses)
        ties = searcher.fast_field_values("tiebreak", addresses)
        ranked: list[tuple[SortKey, Any, float]] = []
        for (score, address), price, made, tie in zip(
            result.hits, prices, created, ties, strict=True
        ):
            key = sort_key(
                request.sort, float(score), int(price or 0), int(made or 0), f"{tie:019d}"
            )
            if after is None or key > after:
                ranked.append((key, address, float(score)))
        # The page and one more (to know whether a next page exists): O(n log k), not a sort.
        head = heapq.nsmallest(request.first + 1, ranked, key=itemgetter(0))
        page = head[: request.first]
        hits = tuple(
            self._hit(searcher, index, text, address, score, encode_cursor(request, key))
            for key, address, score in page
        )
        return SearchPage(
            hits=hits,
            total=int(result.count),  # type: ignore[attr-defined]  # missing from the stubs
            facets=self._facets(searcher, query, request.histogram_interval),
            corrected_query=corrected,
            next_cursor=hits[-1].cursor if hits and len(head) > request.first else None,
            has_previous_page=after is not None,
        )

    def _hit(
        self,
        searcher: tantivy.Searcher,
        index: _Index,
        text: tantivy.Query | None,
        address: Any,
        score: float,
        cursor: str,
    ) -> SearchHit:
        doc = searcher.doc(address)
        highlights: list[Highlight] = []
        if text is not None:
            for field in HIGHLIGHT_FIELDS:
                generator = tantivy.SnippetGenerator.create(searcher, text, index.schema, field)
                generator.set_max_num_chars(160)
                fragment = _emphasised(generator.snippet_from_doc(doc))
                if fragment:
                    highlights.append(Highlight(field=field, fragments=(fragment,)))
        return SearchHit(
            product_id=str(doc.get_first("id")),
            score=score,
            highlights=tuple(highlights),
            cursor=cursor,
        )

    def _facets(
        self, searcher: tantivy.Searcher, query: tantivy.Query, interval: int
    ) -> SearchFacets:
        spec: dict[str, Any] = {
            name: {"terms": {"field": name, "size": FACET_SIZE}}
            for name in ("brand", "colour", "material", "category")
        }
        spec["price"] = {
            "histogram": {"field": "price_min", "interval": interval, "min_doc_count": 1}
        }
        raw = searcher.aggregate(query, spec)

        def terms(name: str) -> tuple[FacetValue, ...]:
            buckets = raw.get(name, {}).get("buckets", [])
            return facet_values({str(b["key"]): int(b["doc_count"]) for b in buckets})

        histogram = tuple(
            PriceBucket(min=int(b["key"]), max=int(b["key"]) + interval, count=int(b["doc_count"]))
            for b in raw.get("price", {}).get("buckets", [])
            if int(b["doc_count"]) > 0
        )
        return SearchFacets(
            brand=terms("brand"),
            colour=terms("colour"),
            material=terms("material"),
            category=terms("category"),
            price_histogram=histogram,
        )

    def _suggest(self, prefix: str, first: int) -> tuple[Suggestion, ...]:
        if len(prefix) > MAX_QUERY_CHARS:
            raise InvalidSearchQuery(
                f"The prefix has {len(prefix)} characters, more than {MAX_QUERY_CHARS}"
            )
        if first < 1 or first > 20:
            raise InvalidSearchQuery(f"first must be between 1 and 20, got {first}")
        words = list(self._words.analyze(prefix))
        if not words:
            return ()
        searcher = self._live_index().index.searcher()
        completions = [t for t, _ in searcher.terms_with_prefix("suggest", words[-1], limit=64)]
        if not completions:
            return ()
        clauses = [
            (tantivy.Occur.Must, tantivy.Query.term_query(self._schema, "suggest", w))
            for w in words[:-1]
        ]
        clauses.append(
            (tantivy.Occur.Must, tantivy.Query.term_set_query(self._schema, "suggest", completions))
        )
        result = searcher.search(tantivy.Query.boolean_query(clauses), 200)
        docs = [searcher.doc(address) for _, address in result.hits]
        wanted = set(completions)
        brands: dict[str, None] = {}
        products: list[Suggestion] = []
        for doc in docs:
            brand = str(doc.get_first("brand"))
            brand_words = list(self._words.analyze(brand))
            if _completes(words, brand_words, wanted):
                brands.setdefault(brand, None)
            name = str(doc.get_first("display_name"))
            if _completes(words, list(self._words.analyze(name)), wanted):
                products.append(
                    Suggestion(
                        text=name, kind=SuggestionKind.PRODUCT, product_id=str(doc.get_first("id"))
                    )
                )
        products.sort(key=lambda s: s.text)
        found = [Suggestion(text=b, kind=SuggestionKind.BRAND) for b in sorted(brands)] + products
        return tuple(found[:first])

    def _salient_terms(self, searcher: tantivy.Searcher, text: str) -> list[tuple[str, float]]:
        """The stemmed terms of ``text`` with the highest tf-idf, weight normalised to 1."""
        counts: dict[str, int] = {}
        for term in self._stems.analyze(text):
            if len(term) > 2:
                counts[term] = counts.get(term, 0) + 1
        total = max(searcher.num_docs, 1)
        weighted = []
        for term, count in counts.items():
            frequency = max(searcher.doc_freq("name", term), searcher.doc_freq("description", term))
            weighted.append((term, count * math.log(1 + total / (frequency + 1))))
        weighted.sort(key=lambda item: (-item[1], item[0]))
        top = weighted[:SIMILAR_MAX_TERMS]
        best = top[0][1] if top else 1.0
        return [(term, weight / best) for term, weight in top]

    def _similar(self, product_id: str, first: int) -> tuple[SearchHit, ...]:
        if first < 1 or first > 100:
            raise InvalidSearchQuery(f"first must be between 1 and 100, got {first}")
        searcher = self._live_index().index.searcher()
        schema = self._schema
        found = searcher.search(tantivy.Query.term_query(schema, "id", product_id), 1)
        if not found.hits:
            return ()
        source = searcher.doc(found.hits[0][1])
        text = f"{source.get_first('name')} {source.get_first('description')}"
        clauses: list[tuple[tantivy.Occur, tantivy.Query]] = []
        for term, weight in self._salient_terms(searcher, text):
            alternatives = [
                tantivy.Query.boost_query(
                    tantivy.Query.term_query(schema, field, term), boost * weight
                )
                for field, boost in FIELD_BOOSTS
            ]
            clauses.append(
                (tantivy.Occur.Should, tantivy.Query.disjunction_max_query(alternatives, 0.2))
            )
        for field, boost in SIMILAR_ATTRIBUTE_BOOSTS:
            values = [str(v) for v in source.get_all(field)]
            # Each shared category level counts, deeper levels more (the path is root first); for
            # the other attributes, sharing any value counts once.
            groups = [[v] for v in values] if field == "category" else [values] if values else []
            for depth, group in enumerate(groups, 1):
                weight = boost * depth if field == "category" else boost
                attribute = tantivy.Query.term_set_query(schema, field, group)
                clauses.append(
                    (tantivy.Occur.Should, tantivy.Query.const_score_query(attribute, weight))
                )
        if not clauses:
            return ()
        clauses.append((tantivy.Occur.MustNot, tantivy.Query.term_query(schema, "id", product_id)))
        result = searcher.search(tantivy.Query.boolean_query(clauses), first + 50)
        addresses = [address for _, address in result.hits]
        ties = searcher.fast_field_values("tiebreak", addresses)
        ranked = sorted(
            (
                (float(score), int(tie or 0), address)
                for (score, address), tie in zip(result.hits, ties, strict=True)
            ),
            key=lambda item: (-item[0], item[1]),
        )
        return tuple(
            SearchHit(product_id=str(searcher.doc(address).get_first("id")), score=score)
            for score, _, address in ranked[:first]
        )

    async def similar(self, product_id: str, first: int) -> tuple[SearchHit, ...]:
        """More like ``product_id`` (see the port): a boolean query of its salient terms
        (tf-idf) over the boosted text fields, plus its brand, materials, colours and
        categories."""
        return await asyncio.to_thread(self._similar, product_id, first)

    async def search(self, request: SearchRequest) -> SearchPage:
        """One page of matches with facets (see the port)."""
        return await asyncio.to_thread(self._run, request)

    async def suggest(self, prefix: str, first: int) -> tuple[Suggestion, ...]:
        """Brands and product names completing ``prefix``."""
        return await asyncio.to_thread(self._suggest, prefix, first)

    async def check(self) -> None:
        """Raise DataSourceUnavailable unless the index directory is usable (it is created
        when missing)."""
        if self._directory is None:
            return
        try:
            self._directory.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise DataSourceUnavailable("search index", str(error)) from error
        if not os.access(self._directory, os.W_OK):
            raise DataSourceUnavailable("search index", f"{self._directory} is not writable")

    async def close(self) -> None:
        """Drop the open indexes (their writers are closed after each commit)."""
        with self._lock:
            self._indexes.clear()


def _count(searcher: tantivy.Searcher, query: tantivy.Query) -> int:
    found: int = searcher.search(query, 1).count  # type: ignore[attr-defined]  # not in the stubs
    return found


def _completes(words: list[str], candidate: list[str], completions: set[str]) -> bool:
    """Whether ``candidate`` has every typed word and a completion of the last one."""
    return set(words[:-1]) <= set(candidate) and bool(completions & set(candidate))


def _emphasised(snippet: tantivy.Snippet) -> str:
    # Ranges are byte offsets into the UTF-8 fragment.
    text = snippet.fragment().encode()
    if not snippet.highlighted():
        return ""
    parts: list[str] = []
    cursor = 0
    for span in sorted(snippet.highlighted(), key=lambda r: r.start):
        parts.append(html.escape(text[cursor : span.start].decode(errors="replace")))
        parts.append(
            f"<em>{html.escape(text[span.start : span.end].decode(errors='replace'))}</em>"
        )
        cursor = span.end
    parts.append(html.escape(text[cursor:].decode(errors="replace")))
    return "".join(parts)


def _remove_tree(path: Path) -> None:
    for child in sorted(path.rglob("*"), reverse=True):
        if child.is_dir():
            child.rmdir()
        else:
            child.unlink()
    path.rmdir()
