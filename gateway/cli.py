"""The ``vitrine`` command line: serve, seed, schema export|check, local up."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import sys
import threading
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from pydantic import ValidationError
from rich.console import Console
from rich.panel import Panel
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from datasources.errors import DataSourceError
from datasources.postgres.migrate import apply_migrations_async
from datasources.search.indexer import reindex
from gateway.app import create_app
from gateway.bootstrap import Services, StartupCheckFailed, build_services, check_services
from gateway.consumers_cli import consumers_command
from gateway.local_cognito import (
    DEMO_USERS,
    CognitoSetupError,
    LocalCognito,
    demo_user,
    sign_in,
    state_directory,
)
from gateway.local_stack import LocalStackError
from gateway.logging_setup import configure_logging
from gateway.runtime import LOCAL_AWS_CREDENTIALS, check_database, local_stack, prepare
from gateway.secrets import SecretResolutionError, resolve_secrets
from gateway.seed import SeedReport, seed_demo_catalog
from gateway.settings import LOCAL_API_KEY, Settings
from gateway.worker_cli import worker_command
from render_jobs.ingest.cli import ingest_app

app = typer.Typer(help="Vitrine: a GraphQL gateway for 3D commerce.", no_args_is_help=True)
schema_app = typer.Typer(help="The committed GraphQL contract.", no_args_is_help=True)
local_app = typer.Typer(help="The embedded local stack.", no_args_is_help=True)
search_app = typer.Typer(help="The product search index.", no_args_is_help=True)
app.add_typer(schema_app, name="schema")
app.add_typer(search_app, name="search")
app.add_typer(local_app, name="local")
app.add_typer(ingest_app, name="ingest")
app.command("worker")(worker_command)
app.command("consumers")(consumers_command)

console = Console(stderr=True)


def _fail(message: str, code: int = 2) -> typer.Exit:
    console.print(f"[bold red]error:[/] {message}")
    return typer.Exit(code)


def _settings(**overrides: object) -> Settings:
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        details = "; ".join(str(e["msg"]) for e in error.errors())
        raise _fail(f"invalid settings: {details}") from error


def _vitrine_command() -> str:
    """How the user who started this process runs ``vitrine`` (``.venv/bin/vitrine`` under make)."""
    if shutil.which("vitrine"):
        return "vitrine"
    argv0 = Path(sys.argv[0])
    if argv0.name == "vitrine":
        try:
            return str(argv0.resolve().relative_to(Path.cwd()))
        except ValueError:
            return str(argv0)
    return f"{Path(sys.executable).name} -m gateway.cli"


def _cognito_lines(cognito: LocalCognito) -> dict[str, str]:
    """The panel lines about the local user pool and its demo users."""
    lines = {"Cognito pool (moto)": f"{cognito.user_pool_id} (app client {cognito.app_client_id})"}
    for user in DEMO_USERS:
        groups = f" (group {', '.join(user.groups)})" if user.groups else ""
        lines[f"Demo {user.role}"] = f"{user.username} / {user.password}{groups}"
    lines["Get a token"] = (
        f"{_vitrine_command()} token --user admin   (send it as `authorization: Bearer <token>`)"
    )
    return lines


def _seed_with_progress(services: Services, *, only_if_empty: bool) -> SeedReport:
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("Building demo models", total=None)

        def advance(done: int, total: int, label: str) -> None:
            progress.update(task, completed=done, total=total, description=label)

        return asyncio.run(_seed_then_release(services, advance, only_if_empty=only_if_empty))


async def _seed_then_release(
    services: Services, on_progress: Callable[[int, int, str], None], *, only_if_empty: bool
) -> SeedReport:
    """Seed, then release the clients and the database pool bound to this event loop (the
    server runs on another one)."""
    try:
        return await seed_demo_catalog(
            services, on_progress=on_progress, only_if_empty=only_if_empty
        )
    finally:
        await services.close()


def _print_where(settings: Settings, seeded: SeedReport | None, extra: dict[str, str]) -> None:
    base = f"http://{settings.host}:{settings.port}"
    local_key = LOCAL_API_KEY in settings.api_key_values()
    lines = [
        f"GraphQL + GraphiQL  [link]{base}/graphql[/link]",
        f"API key (x-api-key) {LOCAL_API_KEY if local_key else '(from VITRINE_API_KEYS)'}",
        *(f"{k:<19} {v}" for k, v in extra.items()),
    ]
    if seeded is not None:
        lines.append(f"Demo catalog        {seeded.summary()}")
    lines.append("Stop with Ctrl-C.")
    console.print(Panel("\n".join(lines), title="Vitrine is running", expand=False))


@app.command()
def serve(
    local: Annotated[bool, typer.Option(help="Start the embedded local stack first.")] = False,
    seed: Annotated[
        bool, typer.Option(help="With --local, load the demo catalog if empty.")
    ] = True,
    host: Annotated[str | None, typer.Option(help="Bind address (VITRINE_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (VITRINE_PORT).")] = None,
) -> None:
    """Serve the GraphQL API (with --local: on the embedded stack, no AWS account needed)."""
    configure_logging()
    overrides = {k: v for k, v in (("VITRINE_HOST", host), ("VITRINE_PORT", port)) if v is not None}
    try:
        if not local:
            # On AWS (Fargate) credentials come as *_SECRET_ARN: read them before anything.
            _serve(resolve_secrets(_settings(**overrides)), seed=False, extra={})
            return
        console.print("Starting the local stack (moto server, PostgreSQL)…")
        with local_stack() as run:
            extra = {
                "AWS endpoint (moto)": run.endpoints.aws_endpoint_url,
                "PostgreSQL": repr_url(run.endpoints.database_url),
                **_cognito_lines(run.cognito),
            }
            # An upload must complete on the local stack: run the worker in this process
            # unless VITRINE_LOCAL_WORKER says otherwise, with short polls so that ctrl-C,
            # which lets the poll in flight run out, stops at once.
            worker = {
                name: os.environ.get(name, default)
                for name, default in (
                    ("VITRINE_LOCAL_WORKER", "true"),
                    ("VITRINE_WORKER_WAIT_SECONDS", "2"),
                )
            }
            settings = _settings(**overrides, **worker)
            _serve(settings, seed=seed, extra=extra, create_resources=True)
    except (LocalStackError, StartupCheckFailed, SecretResolutionError) as error:
        raise _fail(str(error)) from error


@app.command("migrate")
def migrate_command() -> None:
    """Apply the database migrations (Alembic, under an advisory lock) and print the schema
    revision: the deploy step before code that needs them (one-off ECS task on AWS)."""
    try:
        settings = resolve_secrets(_settings())
    except SecretResolutionError as error:
        raise _fail(str(error)) from error
    if settings.database_url is None:
        raise _fail("DATABASE_URL is not set: there is no database to migrate")

    async def migrate(database_url: str) -> str:
        await check_database(database_url)
        return await apply_migrations_async(database_url)

    try:
        revision = asyncio.run(migrate(settings.database_url))
    except StartupCheckFailed as error:
        raise _fail(str(error)) from error
    console.print(f"[green]Database schema at revision[/] {revision}")


def repr_url(url: str) -> str:
    """A database URL without its password."""
    head, sep, tail = url.partition("@")
    if not sep or ":" not in head.split("//", 1)[-1]:
        return url
    scheme, _, credentials = head.partition("//")
    return f"{scheme}//{credentials.split(':', 1)[0]}:***@{tail}"


def _serve(
    settings: Settings, *, seed: bool, extra: dict[str, str], create_resources: bool = False
) -> None:
    services = build_services(settings)
    revision = asyncio.run(
        prepare(services, settings.database_url, create_resources=create_resources)
    )
    if revision is not None:
        extra = {**extra, "DB schema revision": revision}
    seeded = _seed_with_progress(services, only_if_empty=True) if seed else None
    _print_where(settings, seeded, extra)
    uvicorn.run(
        create_app(settings, services),
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level.lower(),
        access_log=False,
    )


@app.command("seed")
def seed_command(
    force: Annotated[
        bool, typer.Option(help="Write the demo catalog even if products exist.")
    ] = False,
) -> None:
    """Load the demo catalog (30 products with procedural 3D models) into the configured stack,
    and the demo stock into PostgreSQL when DATABASE_URL is set (migrations applied first)."""
    configure_logging()
    settings = _settings()
    services = build_services(settings)
    try:
        asyncio.run(
            prepare(
                services,
                settings.database_url,
                create_resources=settings.aws_endpoint_url is not None,
            )
        )
    except StartupCheckFailed as error:
        raise _fail(str(error)) from error
    report = _seed_with_progress(services, only_if_empty=not force)
    console.print(f"[green]Seeded:[/] {report.summary()}")


@local_app.command("up")
def local_up(
    moto_port: Annotated[int, typer.Option(help="Port for the moto server.")] = 5000,
    seed: Annotated[bool, typer.Option(help="Load the demo catalog.")] = True,
) -> None:
    """Start the local stack without the API, until Ctrl-C (then `vitrine serve` against it)."""
    configure_logging()
    try:
        with local_stack(moto_port=moto_port) as run:
            settings = _settings()
            services = build_services(settings)
            revision = asyncio.run(prepare(services, settings.database_url, create_resources=True))
            report = _seed_with_progress(services, only_if_empty=True) if seed else None
            cognito = run.cognito
            lines = [
                f"export AWS_ENDPOINT_URL={run.endpoints.aws_endpoint_url}",
                f"export DATABASE_URL={run.endpoints.database_url}",
                "export AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local AWS_REGION=us-east-1",
                *(f"export {k}={v}" for k, v in cognito.environment().items()),
                f"DB schema revision: {revision}",
                *(f"{k}: {v}" for k, v in _cognito_lines(cognito).items()),
            ]
            if report is not None:
                lines.append(f"Demo catalog: {report.summary()}")
            lines.append("Stop with Ctrl-C.")
            console.print(Panel("\n".join(lines), title="Local stack is up", expand=False))
            _wait_for_interrupt()
    except (LocalStackError, StartupCheckFailed) as error:
        raise _fail(str(error)) from error


class DemoRole(StrEnum):
    """A demo user of the local user pool."""

    SHOPPER = "shopper"
    ADMIN = "admin"


class TokenKind(StrEnum):
    """Which Cognito token to print."""

    ACCESS = "access"
    ID = "id"


@app.command("token")
def token_command(
    user: Annotated[
        DemoRole, typer.Option(help="Demo user of the local pool (admin is a merchant admin).")
    ] = DemoRole.SHOPPER,
    kind: Annotated[TokenKind, typer.Option(help="Access token or ID token.")] = TokenKind.ACCESS,
    username: Annotated[
        str | None, typer.Option(help="Sign in as this user instead of a demo user.")
    ] = None,
    password: Annotated[
        str | None, typer.Option(help="The password of --username (asked for when left out).")
    ] = None,
) -> None:
    """Print a Cognito token (InitiateAuth, USER_PASSWORD_AUTH) for `authorization: Bearer`.

    Uses the pool of COGNITO_USER_POOL_ID / COGNITO_APP_CLIENT_IDS when set, otherwise the
    local pool that `make run` or `vitrine local up` started in this directory.
    """
    settings = _settings()
    if settings.cognito_user_pool_id is not None and settings.cognito_app_client_ids:
        pool_id = settings.cognito_user_pool_id
        client_id = settings.cognito_app_client_ids[0]
        region = pool_id.partition("_")[0] or settings.aws_region
        endpoint_url = settings.aws_endpoint_url
        credentials = None
    else:
        local = LocalCognito.read_state(state_directory())
        if local is None:
            raise _fail(
                "no user pool: start the local stack in this directory (`make run` or "
                "`vitrine local up`), or set COGNITO_USER_POOL_ID and COGNITO_APP_CLIENT_IDS"
            )
        client_id, region, endpoint_url = local.app_client_id, local.region, local.endpoint_url
        credentials = LOCAL_AWS_CREDENTIALS
    if username is None:
        demo = demo_user(user.value)
        username, password = demo.username, demo.password
    elif password is None:
        password = typer.prompt(f"Password of {username}", hide_input=True)
    try:
        tokens = sign_in(
            client_id=client_id,
            username=username,
            password=str(password),
            region=region,
            endpoint_url=endpoint_url,
            credentials=credentials,
        )
    except CognitoSetupError as error:
        raise _fail(str(error)) from error
    typer.echo(tokens.access_token if kind is TokenKind.ACCESS else tokens.id_token)


async def _reindex_then_release(
    services: Services, settings: Settings, on_progress: Callable[[int], None]
) -> tuple[str, int]:
    try:
        await check_services(services, settings)
        if services.search is None:
            raise _fail("no search engine is configured (VITRINE_SEARCH_ENGINE)")
        return await reindex(services.catalog, services.search, on_progress=on_progress)
    finally:
        await services.close()


@search_app.command("reindex")
def search_reindex() -> None:
    """Build a new search index of every active product, then switch the alias to it (search
    keeps answering from the previous index until then) and drop the previous one."""
    configure_logging()
    settings = _settings()
    services = build_services(settings)
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    try:
        with Progress(*columns, console=console, transient=True) as progress:
            task = progress.add_task("Indexing products", total=None)

            def advance(done: int) -> None:
                progress.update(task, completed=done)

            name, count = asyncio.run(_reindex_then_release(services, settings, advance))
    except StartupCheckFailed as error:
        raise _fail(str(error)) from error
    except DataSourceError as error:
        raise _fail(f"reindex failed: {error}", 1) from error
    console.print(
        f"[green]Indexed[/] {count} products into {name}; "
        f"the alias {settings.search_alias!r} now names it."
    )


def _wait_for_interrupt() -> None:
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    stop.wait()


@schema_app.command("export")
def schema_export(
    allow_breaking: Annotated[
        bool, typer.Option(help="Write even with unacknowledged breaking changes.")
    ] = False,
) -> None:
    """Write schema/schema.graphql, docs/resolver-map.md and schema/resolver-map.json from
    the code."""
    from gateway import contract, resolver_map

    try:
        path = contract.write_contract(allow_breaking=allow_breaking)
    except contract.BreakingChangesError as error:
        for change in error.report.unacknowledged:
            console.print(f"[red]breaking:[/] {change.ack_line}")
        raise _fail(
            "unacknowledged breaking changes: list them in schema/breaking_changes.ack", 1
        ) from error
    console.print(f"[green]Wrote[/] {path}")
    console.print(f"[green]Wrote[/] {resolver_map.write_resolver_map()}")
    console.print(f"[green]Wrote[/] {resolver_map.write_resolver_map_json()}")


@schema_app.command("check")
def schema_check(
    against: Annotated[
        str | None, typer.Option(help="Git ref of the released contract (default: last v* tag).")
    ] = None,
) -> None:
    """Fail if schema/schema.graphql is stale or a breaking change is unacknowledged."""
    from gateway import contract

    report = contract.check_contract()
    baseline = against or contract.last_release_tag()
    if baseline is not None:
        released = contract.check_against_release(baseline)
        report = released if released.baseline_found else report
        console.print(f"Compared with the contract released at {baseline}.")
    for change in report.unacknowledged:
        console.print(f"[red]breaking:[/] {change.ack_line}")
    if not report.up_to_date:
        raise _fail("schema/schema.graphql is stale: run `make schema`", 1)
    if report.unacknowledged:
        raise _fail("unacknowledged breaking changes", 1)
    console.print("[green]The committed contract matches the code.[/]")


@schema_app.command("trusted-documents")
def trusted_documents(
    check: Annotated[
        bool, typer.Option(help="Only check that the manifest is current; write nothing.")
    ] = False,
) -> None:
    """Write client_examples/trusted-documents.json (sha256 -> document of every operation)."""
    from gateway import persisted_queries as pq

    text = pq.render_manifest(pq.build_manifest())
    current = pq.DEFAULT_MANIFEST.read_text() if pq.DEFAULT_MANIFEST.exists() else None
    if check:
        if current != text:
            raise _fail(
                "client_examples/trusted-documents.json is stale: run "
                "`vitrine schema trusted-documents`",
                1,
            )
        console.print("[green]The trusted-documents manifest is current.[/]")
        return
    pq.DEFAULT_MANIFEST.write_text(text)
    console.print(f"[green]Wrote[/] {pq.DEFAULT_MANIFEST}")


def main() -> None:
    """Entry point for ``python -m gateway.cli``."""
    app()


if __name__ == "__main__":
    main()
