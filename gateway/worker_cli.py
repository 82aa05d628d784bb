"""``vitrine worker``: the ingest worker wired from settings (the glue render_jobs may not
import)."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from gateway.bootstrap import Services, StartupCheckFailed, build_services, provision
from gateway.logging_setup import configure_logging
from gateway.secrets import resolve_secrets
from gateway.settings import Settings
from render_jobs.worker import IngestWorker, WorkerConfig


def build_worker(
    settings: Settings, services: Services, *, concurrency: int | None = None
) -> IngestWorker:
    """An ingest worker on the configured queue, table and bucket."""
    if services.ingest is None:
        raise StartupCheckFailed("the ingest job queue is not configured")
    config = WorkerConfig(
        concurrency=concurrency or settings.worker_concurrency,
        wait_seconds=settings.worker_wait_seconds,
        visibility_timeout_seconds=settings.render_visibility_timeout_seconds,
        max_receive_count=settings.render_max_receive_count,
        retry_delay_seconds=settings.worker_retry_delay_seconds,
        ingest_poster_size=settings.ingest_poster_size,
    )
    return IngestWorker(
        queue=services.ingest.queue,
        jobs=services.ingest.jobs,
        blobs=services.blobs,
        catalog=services.catalog,
        config=config,
        events=services.events,
    )


async def run_worker(settings: Settings, *, concurrency: int | None, create: bool) -> None:
    """Run until SIGTERM/SIGINT, then finish or release the running jobs."""
    services = build_services(settings)
    try:
        if create:
            await provision(services)
        worker = build_worker(settings, services, concurrency=concurrency)
        remove_handlers = worker.install_signal_handlers()
        try:
            await worker.run()
        finally:
            remove_handlers()
            worker.close()
    finally:
        await services.close()


def worker_command(
    concurrency: Annotated[
        int | None,
        typer.Option(help="Jobs run at once (default VITRINE_WORKER_CONCURRENCY)", min=1),
    ] = None,
    create_resources: Annotated[
        bool | None,
        typer.Option(help="Create the queues, table and bucket (default: with AWS_ENDPOINT_URL)"),
    ] = None,
) -> None:
    """Consume ingest and render jobs from the queue (SQS long polling) until SIGTERM."""
    settings = resolve_secrets(Settings())
    configure_logging(settings.log_level)
    create = settings.aws_endpoint_url is not None if create_resources is None else create_resources
    try:
        asyncio.run(run_worker(settings, concurrency=concurrency, create=create))
    except StartupCheckFailed as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from error
