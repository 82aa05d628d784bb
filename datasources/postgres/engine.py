"""The SQLAlchemy async engine (asyncpg driver) for Aurora PostgreSQL."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

_ASYNCPG = "postgresql+asyncpg"
_ACCEPTED_SCHEMES = frozenset({"postgres", "postgresql", _ASYNCPG})


def asyncpg_url(database_url: str | URL) -> URL:
    """``database_url`` as a ``postgresql+asyncpg`` URL.

    Accepts ``postgres://``, ``postgresql://`` and ``postgresql+asyncpg://``; libpq's
    ``sslmode`` query parameter becomes asyncpg's ``ssl``. Other drivers are refused.
    """
    url = make_url(database_url)
    if url.drivername not in _ACCEPTED_SCHEMES:
        raise ValueError(
            f"unsupported database URL scheme {url.drivername!r}: "
            "use postgresql:// or postgresql+asyncpg://"
        )
    url = url.set(drivername=_ASYNCPG)
    if "sslmode" in url.query:
        mode = url.query["sslmode"]
        url = url.difference_update_query(["sslmode"])
        if "ssl" not in url.query:
            url = url.update_query_dict({"ssl": mode})
    return url


def normalise_database_url(database_url: str | URL) -> str:
    """``asyncpg_url`` rendered as a string, password included."""
    return asyncpg_url(database_url).render_as_string(hide_password=False)


def create_engine(
    database_url: str | URL,
    *,
    pool_size: int = 5,
    max_overflow: int = 10,
    pool_timeout: float = 30.0,
    pool_recycle: int = 1800,
    pool_pre_ping: bool = True,
    application_name: str = "vitrine",
    statement_timeout_ms: int | None = None,
    echo: bool = False,
    connect_args: Mapping[str, Any] | None = None,
) -> AsyncEngine:
    """An ``AsyncEngine`` on asyncpg with a bounded connection pool.

    ``pool_recycle`` (seconds) stays below Aurora's and proxies' idle timeouts;
    ``statement_timeout_ms`` sets the server-side ``statement_timeout`` per connection.
    """
    server_settings: dict[str, str] = {"application_name": application_name}
    if statement_timeout_ms is not None:
        server_settings["statement_timeout"] = str(statement_timeout_ms)
    args: dict[str, Any] = dict(connect_args or {})
    args["server_settings"] = {**server_settings, **args.get("server_settings", {})}
    return create_async_engine(
        asyncpg_url(database_url),
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_timeout=pool_timeout,
        pool_recycle=pool_recycle,
        pool_pre_ping=pool_pre_ping,
        echo=echo,
        connect_args=args,
    )
