"""``vitrine search reindex`` against the configured stack: a new index behind the alias."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from typer.testing import CliRunner

from datasources.records import ProductStatus
from datasources.search.records import SearchRequest
from datasources.search.tantivy_engine import TantivySearch
from gateway.bootstrap import build_services, provision
from gateway.cli import app
from gateway.settings import Settings
from tests import factories
from tests.conftest import make_settings
from tests.support.moto_process import MotoProcess

pytestmark = pytest.mark.integration


def _environment(settings_values: dict[str, str]) -> dict[str, str]:
    return {"COLUMNS": "200", **settings_values}


async def _load_catalog(settings: Settings, count: int) -> None:
    """``count`` products, the last one archived."""
    services = build_services(settings)
    await provision(services)
    for category in factories.categories():
        await services.catalog.put_category(category)
    for index in range(count):
        status = ProductStatus.ARCHIVED if index == count - 1 else ProductStatus.ACTIVE
        await services.catalog.create_product(factories.product(index, status=status))
    await services.close()


def test_reindex_builds_an_index_named_after_the_alias_and_switches_to_it(
    moto: MotoProcess, tmp_path: Path
) -> None:
    # given a catalog of 12 products (one archived) and a configured alias
    settings = make_settings(
        moto.endpoint_url,
        VITRINE_SEARCH_INDEX_DIR=str(tmp_path),
        VITRINE_SEARCH_ALIAS="shop_eu",
    )
    asyncio.run(_load_catalog(settings, 12))
    env = _environment(
        {
            "VITRINE_PROFILE": "test",
            "AWS_ENDPOINT_URL": moto.endpoint_url,
            "VITRINE_CATALOG_TABLE": settings.catalog_table,
            "VITRINE_ASSET_BUCKET": settings.asset_bucket,
            "VITRINE_SEARCH_INDEX_DIR": str(tmp_path),
            "VITRINE_SEARCH_ALIAS": "shop_eu",
        }
    )

    # when the command runs twice
    runner = CliRunner(env=env)
    first = runner.invoke(app, ["search", "reindex"])
    second = runner.invoke(app, ["search", "reindex"])

    # then each run reports the 11 active products and the alias names the second index
    assert first.exit_code == 0, first.stderr
    assert second.exit_code == 0, second.stderr
    assert "Indexed 11 products into shop_eu-" in first.stderr
    assert "the alias 'shop_eu' now names it" in second.stderr
    live = (tmp_path / "shop_eu.alias").read_text()
    assert live.startswith("shop_eu-")
    assert live in second.stderr
    # and only the live index is left on disk, answering searches
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_dir()) == [live]
    engine = TantivySearch(tmp_path, alias="shop_eu")
    page = asyncio.run(engine.search(SearchRequest(query="product")))
    assert page.total == 11


def test_reindex_names_the_setting_when_the_catalog_does_not_answer(tmp_path: Path) -> None:
    # given an AWS endpoint where nothing listens
    env = _environment(
        {
            "VITRINE_PROFILE": "test",
            "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "VITRINE_SEARCH_INDEX_DIR": str(tmp_path),
            "VITRINE_CONNECT_TIMEOUT": "1",
            "VITRINE_MAX_RETRIES": "0",
        }
    )
    # when reindexing
    result = CliRunner(env=env).invoke(app, ["search", "reindex"])
    # then it fails naming the table setting, and no index was built
    assert result.exit_code == 2
    assert "DynamoDB did not answer at start-up" in result.stderr
    assert "VITRINE_CATALOG_TABLE" in result.stderr
    assert not (tmp_path / "products.alias").exists()
