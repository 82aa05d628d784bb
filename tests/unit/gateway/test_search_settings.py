"""Search settings: the engine, its index directory and alias, and what bootstrap builds."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from datasources.search.opensearch_engine import OpenSearchSearch
from datasources.search.tantivy_engine import TantivySearch
from gateway.bootstrap import build_search
from gateway.settings import SearchEngineName, Settings


def test_the_embedded_engine_keeps_its_indexes_under_the_local_state_directory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # given no search settings, in a project directory
    monkeypatch.chdir(tmp_path)
    settings = Settings(VITRINE_PROFILE="test")  # type: ignore[call-arg]
    # when the search adapter is built
    search = build_search(settings)
    # then it is tantivy under .vitrine/search, reading the alias "products"
    assert settings.search_engine is SearchEngineName.TANTIVY
    assert settings.search_index_path() == tmp_path / ".vitrine" / "search"
    assert isinstance(search, TantivySearch)
    assert search.alias == "products"


async def test_a_configured_directory_and_alias_are_used(tmp_path: Path) -> None:
    settings = Settings(  # type: ignore[call-arg]
        VITRINE_SEARCH_INDEX_DIR=str(tmp_path / "idx"), VITRINE_SEARCH_ALIAS="shop_eu"
    )
    search = build_search(settings)
    assert isinstance(search, TantivySearch)
    assert search.alias == "shop_eu"
    # the check creates the directory
    await search.check()
    assert (tmp_path / "idx").is_dir()


async def test_opensearch_is_built_from_its_url() -> None:
    settings = Settings(  # type: ignore[call-arg]
        VITRINE_SEARCH_ENGINE="opensearch",
        OPENSEARCH_URL="https://search.example.com:443",
        VITRINE_SEARCH_ALIAS="catalog",
    )
    search = build_search(settings)
    assert isinstance(search, OpenSearchSearch)
    assert search.alias == "catalog"
    await search.close()


def test_opensearch_without_a_url_is_refused() -> None:
    with pytest.raises(ValidationError, match="VITRINE_SEARCH_ENGINE=opensearch needs"):
        Settings(VITRINE_SEARCH_ENGINE="opensearch")  # type: ignore[call-arg]


@pytest.mark.parametrize("alias", ["Products", "-products", "a b", "x" * 41, ""])
def test_an_alias_that_no_engine_accepts_is_refused(alias: str) -> None:
    with pytest.raises(ValidationError, match="VITRINE_SEARCH_ALIAS"):
        Settings(VITRINE_SEARCH_ALIAS=alias)  # type: ignore[call-arg]


def test_an_unknown_engine_is_refused() -> None:
    with pytest.raises(ValidationError, match="VITRINE_SEARCH_ENGINE"):
        Settings(VITRINE_SEARCH_ENGINE="solr")  # type: ignore[call-arg]
