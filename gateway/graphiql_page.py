"""GraphiQL served from local npm packages, so it works with no internet."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

PACKAGE_DIR = Path(__file__).parent / "graphiql"
NODE_MODULES = PACKAGE_DIR / "node_modules"
ASSETS_PATH = "/graphiql-assets"

# Only these files are published: the UMD bundles and the stylesheet.
PUBLISHED_FILES = (
    "graphiql/graphiql.min.css",
    "graphiql/graphiql.min.js",
    "react/umd/react.production.min.js",
    "react-dom/umd/react-dom.production.min.js",
)

DEFAULT_QUERY = """# Welcome to Vitrine. Try a category listing:
query Listing {
  products(first: 6, sort: PRICE_ASC) {
    totalCount
    nodes { name brand priceRange { min { amount currency } } assets { triangleCount } }
  }
}
"""


class GraphiQLAssetsMissing(RuntimeError):
    """The GraphiQL npm packages were not installed (run `make install`)."""


def missing_assets() -> list[str]:
    """Published asset files that are not on disk."""
    return [f for f in PUBLISHED_FILES if not (NODE_MODULES / f).is_file()]


def render_page(default_headers: dict[str, str]) -> str:
    """The GraphiQL HTML page, pre-filled with ``default_headers``."""
    template = (PACKAGE_DIR / "index.html").read_text()
    return (
        template.replace("{{ASSETS}}", ASSETS_PATH)
        .replace("{{DEFAULT_HEADERS}}", json.dumps(default_headers))
        .replace("{{DEFAULT_QUERY}}", json.dumps(DEFAULT_QUERY))
    )


def mount_assets(app: FastAPI) -> None:
    """Serve the published bundles under ``/graphiql-assets``."""
    missing = missing_assets()
    if missing:
        raise GraphiQLAssetsMissing(
            "GraphiQL assets are missing: "
            + ", ".join(missing)
            + f". Run `npm ci` in {PACKAGE_DIR} (make install does it)."
        )
    app.mount(ASSETS_PATH, StaticFiles(directory=NODE_MODULES), name="graphiql-assets")
