"""One benchmark server process: ``python -m bench.serve {graphql,handwritten,bare} --port N``.

Settings come from the environment, as in production; one uvicorn worker, no access log.
"""

from __future__ import annotations

import argparse

import uvicorn
from fastapi import FastAPI
from starlette.applications import Starlette

from bench.bare import create_bare_app
from bench.baseline import make_unsafe, with_static_tokens
from bench.handwritten import create_handwritten_app
from bench.profiling import add_profile_routes
from datasources.events import Topic
from gateway.app import create_app
from gateway.bootstrap import build_services
from gateway.settings import Settings

KINDS = ("graphql", "handwritten", "bare")


def build_app(
    kind: str,
    *,
    profile: bool = False,
    static_tokens: bool = False,
    unsafe_checkout: bool = False,
    subscriber_count: bool = False,
) -> FastAPI:
    """The app of this kind over services built from the environment's settings
    (``static_tokens`` and ``unsafe_checkout``: see ``bench.baseline``; ``subscriber_count``
    adds ``GET /_bench/subscribers``, the event bus's subscribers)."""
    settings = Settings()
    services = build_services(settings)
    if static_tokens:
        services = with_static_tokens(services)
    if unsafe_checkout:
        services = make_unsafe(services)
    app = create_app(settings, services) if kind == "graphql" else create_handwritten_app(services)
    if profile:
        add_profile_routes(app)
    if subscriber_count:
        add_subscriber_route(app, services.events)
    return app


def add_subscriber_route(app: FastAPI, bus: object) -> None:
    """``GET /_bench/subscribers``: streams on ``bus``, in all and of INVENTORY_CHANGED."""

    @app.get("/_bench/subscribers")
    async def subscribers() -> dict[str, int]:
        return {
            "total": int(getattr(bus, "subscriber_count", 0)),
            "inventory": int(getattr(bus, "subscribers_of")(Topic.INVENTORY_CHANGED)),  # noqa: B009
        }


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and serve until terminated."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("kind", choices=KINDS)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--profile", action="store_true", help="add the profiling routes")
    parser.add_argument("--static-tokens", action="store_true", help="trust bench:<sub> tokens")
    parser.add_argument(
        "--subscriber-count", action="store_true", help="add GET /_bench/subscribers"
    )
    parser.add_argument(
        "--unsafe-checkout",
        action="store_true",
        help="checkout without idempotency and reservations (bench.baseline)",
    )
    parser.add_argument(
        "--body-bytes", type=int, default=1024, help="bare: size of the JSON answer"
    )
    args = parser.parse_args(argv)
    app: FastAPI | Starlette = (
        create_bare_app(args.body_bytes)
        if args.kind == "bare"
        else build_app(
            args.kind,
            profile=args.profile,
            static_tokens=args.static_tokens,
            unsafe_checkout=args.unsafe_checkout,
            subscriber_count=args.subscriber_count,
        )
    )
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=args.port,
        workers=1,
        loop="uvloop",
        http="httptools",
        access_log=False,
        log_level="warning",
    )


if __name__ == "__main__":
    main()
