"""The reference storefront (client_examples/web) served by the gateway at ``/storefront``.

Everything comes from this machine: the page and its ES modules, model-viewer and three.js's
decoders and graphql-ws's browser client (live updates over graphql-transport-ws) from the npm
packages installed by ``make install``, and the GraphQL operations
read as text from client_examples/operations (the page sends only those, so the contract
tests cover what it sends). ``/storefront/config.json`` tells the page where the API and the
Cognito user pool are.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from fastapi import FastAPI, HTTPException
from fastapi.responses import FileResponse, JSONResponse, PlainTextResponse
from fastapi.staticfiles import StaticFiles

from gateway.auth import API_KEY_HEADER
from gateway.settings import Settings

ROOT = Path(__file__).parents[1] / "client_examples"
WEB_DIR = ROOT / "web"
OPERATIONS_DIR = ROOT / "operations"
NODE_MODULES = WEB_DIR / "node_modules"
PATH = "/storefront"

# name under /storefront/vendor -> file in node_modules; nothing else there is published.
VENDOR_FILES = {
    "model-viewer.min.js": "@google/model-viewer/dist/model-viewer.min.js",
    "meshopt_decoder.js": "meshoptimizer/meshopt_decoder.cjs",
    "draco/draco_decoder.js": "three/examples/jsm/libs/draco/draco_decoder.js",
    "draco/draco_decoder.wasm": "three/examples/jsm/libs/draco/draco_decoder.wasm",
    "draco/draco_wasm_wrapper.js": "three/examples/jsm/libs/draco/draco_wasm_wrapper.js",
    "basis/basis_transcoder.js": "three/examples/jsm/libs/basis/basis_transcoder.js",
    "basis/basis_transcoder.wasm": "three/examples/jsm/libs/basis/basis_transcoder.wasm",
    # the UMD build: one file, defines globalThis.graphqlWs (src/live.js imports it)
    "graphql-ws.js": "graphql-ws/umd/graphql-ws.min.js",
}
MEDIA_TYPES = {".js": "text/javascript", ".wasm": "application/wasm"}
AMAZON_ORIGINS = "https://*.amazonaws.com"


class StorefrontAssetsMissing(RuntimeError):
    """The storefront's npm packages were not installed (run `make install`)."""


def missing_assets() -> list[str]:
    """Published vendor files that are not on disk."""
    return [f for f in VENDOR_FILES.values() if not (NODE_MODULES / f).is_file()]


def _origin(url: str | None) -> str | None:
    if not url:
        return None
    parts = urlparse(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None


def cognito_endpoint(settings: Settings) -> str:
    """Where the browser calls Cognito's InitiateAuth: the local stack's moto, or AWS."""
    return settings.aws_endpoint_url or f"https://cognito-idp.{settings.aws_region}.amazonaws.com/"


def page_config(settings: Settings) -> dict[str, Any]:
    """What the page needs to know: the API, its public key, and the user pool's app client."""
    keys = [key.get_secret_value() for key in settings.api_keys]
    clients = settings.cognito_app_client_ids
    return {
        "graphqlUrl": "/graphql",
        "apiKeyHeader": API_KEY_HEADER,
        "apiKey": keys[0] if keys else None,
        "cognito": (
            {
                "endpoint": cognito_endpoint(settings),
                "region": settings.aws_region,
                "clientId": clients[0],
            }
            if settings.cognito_configured and clients
            else None
        ),
        "paymentMethods": [
            {"token": "pm_card_visa", "label": "Test card: Visa, succeeds"},
            {"token": "pm_card_chargeDeclined", "label": "Test card: declined"},
        ],
    }


def storefront_csp(settings: Settings) -> str:
    """The page's CSP: its own scripts (and WebAssembly for the mesh decoders), blob: and
    data: for model-viewer's textures and workers, the asset store for posters and models,
    and Cognito for sign-in."""
    assets = sorted(
        {o for o in (_origin(settings.aws_endpoint_url), _origin(settings.asset_cdn_base_url)) if o}
        or {AMAZON_ORIGINS}
    )
    cognito = _origin(cognito_endpoint(settings)) or AMAZON_ORIGINS
    remote = " ".join(sorted({*assets, cognito}))
    return "; ".join(
        (
            "default-src 'self'",
            "script-src 'self' 'wasm-unsafe-eval'",
            "style-src 'self' 'unsafe-inline'",
            f"img-src 'self' data: blob: {' '.join(assets)}",
            f"connect-src 'self' data: blob: {remote}",
            "worker-src 'self' blob:",
            "media-src 'self' data: blob:",
            "font-src 'self' data:",
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "form-action 'self'",
        )
    )


def mount(app: FastAPI, settings: Settings) -> None:
    """Serve the page, its modules, the vendor files, the operations and the config."""
    missing = missing_assets()
    if missing:
        raise StorefrontAssetsMissing(
            "storefront assets are missing: "
            + ", ".join(missing)
            + f". Run `npm ci` in {WEB_DIR} (make install does it)"
            + " or set VITRINE_STOREFRONT=false."
        )
    config = page_config(settings)
    operations = {p.stem: p for p in OPERATIONS_DIR.glob("*.graphql")}

    @app.get(PATH, include_in_schema=False)
    @app.get(f"{PATH}/", include_in_schema=False)
    async def storefront_page() -> FileResponse:
        return FileResponse(WEB_DIR / "index.html", media_type="text/html")

    @app.get(f"{PATH}/config.json", include_in_schema=False)
    async def storefront_config() -> JSONResponse:
        return JSONResponse(config, headers={"cache-control": "no-store"})

    @app.get(f"{PATH}/operations/{{name}}.graphql", include_in_schema=False)
    async def storefront_operation(name: str) -> PlainTextResponse:
        path = operations.get(name)
        if path is None:
            raise HTTPException(404, f"no operation {name} in client_examples/operations")
        return PlainTextResponse(path.read_text(encoding="utf-8"))

    @app.get(f"{PATH}/vendor/{{name:path}}", include_in_schema=False)
    async def storefront_vendor(name: str) -> FileResponse:
        relative = VENDOR_FILES.get(name)
        if relative is None:
            raise HTTPException(404, f"{name} is not published")
        media_type = MEDIA_TYPES.get(Path(relative).suffix, "text/javascript")
        return FileResponse(NODE_MODULES / relative, media_type=media_type)

    app.mount(f"{PATH}/app", StaticFiles(directory=WEB_DIR / "src"), name="storefront-app")


__all__ = ["PATH", "mount", "page_config", "storefront_csp"]
