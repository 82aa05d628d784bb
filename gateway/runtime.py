"""Start-up sequence shared by the CLI commands: local stack, checks, migrations, seed."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import asyncpg

from datasources.postgres.engine import asyncpg_url
from datasources.postgres.migrate import apply_migrations_async
from gateway.bootstrap import Services, StartupCheckFailed, check_services, provision
from gateway.local_cognito import (
    CognitoSetupError,
    LocalCognito,
    create_demo_pool,
    state_directory,
)
from gateway.local_stack import LocalEndpoints, LocalStack, LocalStackError

logger = logging.getLogger(__name__)

LOCAL_AWS_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "AWS_REGION": "us-east-1",
}


@dataclass(frozen=True)
class LocalRun:
    """The running local stack: its endpoints and the demo user pool in moto's Cognito."""

    endpoints: LocalEndpoints
    cognito: LocalCognito


@contextmanager
def local_stack(moto_port: int | None = None) -> Iterator[LocalRun]:
    """Start moto and PostgreSQL (or use DATABASE_URL), create the demo user pool, and point
    the environment (AWS endpoint, database, Cognito settings) at them."""
    stack = LocalStack(database_url=os.environ.get("DATABASE_URL"), moto_port=moto_port)
    endpoints = stack.start()
    try:
        cognito = create_demo_pool(
            endpoints.aws_endpoint_url,
            LOCAL_AWS_CREDENTIALS["AWS_REGION"],
            credentials=LOCAL_AWS_CREDENTIALS,
        )
    except CognitoSetupError as error:
        stack.stop()
        raise LocalStackError("moto Cognito", str(error)) from error
    overrides = {
        **LOCAL_AWS_CREDENTIALS,
        "AWS_ENDPOINT_URL": endpoints.aws_endpoint_url,
        "DATABASE_URL": endpoints.database_url,
        **cognito.environment(),
    }
    saved = {k: os.environ.get(k) for k in overrides}
    os.environ.update(overrides)
    state = state_directory()
    try:
        try:
            cognito.write_state(state)
        except OSError as error:  # `vitrine token` then needs the COGNITO_* exports
            logger.warning("could not record the local user pool in %s (%s)", state, error)
        yield LocalRun(endpoints=endpoints, cognito=cognito)
    finally:
        LocalCognito.remove_state(state, cognito)
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
