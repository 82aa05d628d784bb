"""Start-up sequence shared by the CLI commands: local stack, checks, migrations, seed."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import asyncpg

from datasources.postgres.engine import asyncpg_url
from datasources.postgres.migrate import apply_migrations_async
from gateway.bootstrap import Services, StartupCheckFailed, check_services, provision
from gateway.local_stack import LocalEndpoints, LocalStack

LOCAL_AWS_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "AWS_REGION": "us-east-1",
}


@contextmanager
def local_stack(moto_port: int | None = None) -> Iterator[LocalEndpoints]:
    """Start moto and PostgreSQL (or use DATABASE_URL) and point the environment at them."""
    stack = LocalStack(database_url=os.environ.get("DATABASE_URL"), moto_port=moto_port)
    endpoints = stack.start()
    saved = {
        k: os.environ.get(k) for k in (*LOCAL_AWS_CREDENTIALS, "AWS_ENDPOINT_URL", "DATABASE_URL")
    }
    os.environ.update(LOCAL_AWS_CREDENTIALS)
    os.environ["AWS_ENDPOINT_URL"] = endpoints.aws_endpoint_url
    os.environ["DATABASE_URL"] = endpoints.database_url
    try:
        yield endpoints
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        stack.stop()


async def check_database(database_url: str, timeout_seconds: float = 5.0) -> None:
    """Fail fast, naming DATABASE_URL, when PostgreSQL does not answer."""
    try:
        dsn = asyncpg_url(database_url).set(drivername="postgresql")
        connection = await asyncpg.connect(
            dsn.render_as_string(hide_password=False), timeout=timeout_seconds
        )
    except (OSError, TimeoutError, asyncpg.PostgresError) as error:
        raise StartupCheckFailed(
            f"PostgreSQL did not answer at start-up ({type(error).__name__}: {error}). "
            "Check the setting DATABASE_URL."
        ) from error
    await connection.close()


async def prepare(
    services: Services, database_url: str | None, *, create_resources: bool
) -> str | None:
    """Check every service, create local resources, apply migrations; the schema revision."""
    try:
        if create_resources:
            await provision(services)
        await check_services(services)
    finally:
        await services.close()
    if database_url is None:
        return None
    await check_database(database_url)
    return await apply_migrations_async(database_url)
