"""The embedded local stack: moto in server mode plus PostgreSQL, started together."""

from __future__ import annotations

import contextlib
import logging
import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from urllib.parse import urlsplit, urlunsplit

from gateway.local_stack.errors import LocalStackError
from gateway.local_stack.moto_server import MotoServer
from gateway.local_stack.postgres import PrivatePostgres

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class LocalEndpoints:
    """Where the local services answer."""

    aws_endpoint_url: str
    database_url: str

    def __repr__(self) -> str:
        return (
            f"LocalEndpoints(aws_endpoint_url={self.aws_endpoint_url!r}, "
            f"database_url={redact_url(self.database_url)!r})"
        )


class LocalStack:
    """moto on loopback, and PostgreSQL: ``database_url`` when given, else a private cluster.

    ``with LocalStack(...) as endpoints:`` or ``start()``/``stop()``. What it started is stopped
    in reverse order, also when a later start fails.
    """

    def __init__(
        self,
        *,
        database_url: str | None = None,
        pg_base_dir: Path | str | None = None,
        pg_temporary: bool = False,
        pg_bin_dir: Path | str | None = None,
        moto_port: int | None = None,
    ) -> None:
        self._database_url = database_url or None
        self._pg_base_dir = pg_base_dir
        self._pg_temporary = pg_temporary
        self._pg_bin_dir = pg_bin_dir
        self._moto_port = moto_port
        self._moto: MotoServer | None = None
        self._postgres: PrivatePostgres | None = None
        self._endpoints: LocalEndpoints | None = None
        self._stack = contextlib.ExitStack()

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str] | None = None,
        *,
        pg_base_dir: Path | str | None = None,
        pg_temporary: bool = False,
        pg_bin_dir: Path | str | None = None,
        moto_port: int | None = None,
    ) -> LocalStack:
        """A stack that uses ``DATABASE_URL`` from ``environ`` (os.environ) when it is set."""
        env = os.environ if environ is None else environ
        return cls(
            database_url=env.get("DATABASE_URL") or None,
            pg_base_dir=pg_base_dir,
            pg_temporary=pg_temporary,
            pg_bin_dir=pg_bin_dir,
            moto_port=moto_port,
        )

    @property
    def endpoints(self) -> LocalEndpoints:
        """The endpoints of the running stack."""
        if self._endpoints is None:
            raise LocalStackError("local stack", "it is not started", "call start() first")
        return self._endpoints

    @property
    def moto(self) -> MotoServer | None:
        """The moto server, while running."""
        return self._moto

    @property
    def postgres(self) -> PrivatePostgres | None:
        """The private cluster, when this stack started one (None with a DATABASE_URL)."""
        return self._postgres

    def start(self) -> LocalEndpoints:
        """Start every service; on any failure stop what was started and raise."""
        if self._endpoints is not None:
            return self._endpoints
        try:
            moto = MotoServer(self._moto_port)
            moto.start()
            self._stack.callback(self._forget_moto)
            self._stack.callback(moto.stop)
            self._moto = moto

            if self._database_url is not None:
                _check_reachable(self._database_url)
                database_url = self._database_url
                logger.info("using PostgreSQL at %s", redact_url(database_url))
            else:
                postgres = PrivatePostgres(
                    self._pg_base_dir, temporary=self._pg_temporary, bin_dir=self._pg_bin_dir
                )
                postgres.start()
                self._stack.callback(self._forget_postgres)
                self._stack.callback(postgres.stop)
                self._postgres = postgres
                database_url = postgres.database_url
        except BaseException:
            self._stack.close()
            raise
        self._endpoints = LocalEndpoints(
            aws_endpoint_url=moto.endpoint_url, database_url=database_url
        )
        return self._endpoints

    def stop(self) -> None:
        """Stop what start() started, last started first."""
        self._endpoints = None
        self._stack.close()

    def _forget_moto(self) -> None:
        self._moto = None

    def _forget_postgres(self) -> None:
        self._postgres = None

    def __enter__(self) -> LocalEndpoints:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def redact_url(url: str) -> str:
    """``url`` with its password, if any, replaced by ``***``."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    userinfo, _, hostinfo = parts.netloc.rpartition("@")
    user = userinfo.split(":", 1)[0]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{hostinfo}"))


def _check_reachable(database_url: str, timeout: float = 3.0) -> None:
    """Fail early, naming DATABASE_URL, when nothing listens at its TCP host and port."""
    parts = urlsplit(database_url)
    host = parts.hostname
    if not host or "," in parts.netloc:
        return  # a Unix socket (?host=/run/...), libpq defaults or several hosts: the driver says

    try:
        port = parts.port or 5432
    except ValueError:
        raise LocalStackError(
            "PostgreSQL", f"DATABASE_URL has an invalid port: {redact_url(database_url)}"
        ) from None
    try:
        with socket.create_connection((host, port), timeout=timeout):
            pass
    except OSError as exc:
        raise LocalStackError(
            "PostgreSQL",
            f"nothing answers at {host}:{port}, where DATABASE_URL points ({exc})",
            "start that server, fix DATABASE_URL, or unset it to let the local stack run "
            "a private cluster",
        ) from exc
