"""``vitrine consumers``: the event consumers as a process of their own."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from gateway.bootstrap import StartupCheckFailed, build_services, check_services, provision
from gateway.consumers import run_consumers, stop_on_signals
from gateway.logging_setup import configure_logging
from gateway.secrets import resolve_secrets
from gateway.settings import Settings

NEEDS_REDIS = (
    "vitrine consumers needs REDIS_URL: events reach a separate process only through Redis "
    "(without it, leave VITRINE_CONSUMERS=in-process and the API processes consume them)"
)


async def _consume(settings: Settings, *, create: bool) -> None:
    services = build_services(settings)
    try:
        if create:
            await provision(services)
        await check_services(services, settings)
        stop = asyncio.Event()
        stop_on_signals(stop)
        await run_consumers(services, stop)
    finally:
        await services.close()


def consumers_command(
    create_resources: Annotated[
        bool | None,
        typer.Option(help="Create the table and search index (default: with AWS_ENDPOINT_URL)"),
    ] = None,
) -> None:
    """Follow domain events (search indexing, availability counters) until SIGTERM; run it
    beside API processes started with VITRINE_CONSUMERS=external."""
    settings = resolve_secrets(Settings())
    if not settings.redis_url:
        typer.echo(f"error: {NEEDS_REDIS}", err=True)
        raise typer.Exit(2)
    configure_logging(settings.log_level)
    create = settings.aws_endpoint_url is not None if create_resources is None else create_resources
    try:
        asyncio.run(_consume(settings, create=create))
    except StartupCheckFailed as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from error
