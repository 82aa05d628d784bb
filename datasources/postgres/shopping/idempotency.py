"""Idempotency keys on PostgreSQL (``idempotency_records`` of revision 0001), Stripe-style.

A record is *in progress* while its ``response`` is NULL; ``created_at`` is when the current
attempt claimed the key. ``begin`` claims a key with one ``INSERT ... ON CONFLICT DO UPDATE``
whose condition lets it take over only an expired record or a stale unfinished claim of the
same request; concurrent claims of one key queue on the row, and exactly one wins.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

import orjson
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from datasources.errors import IdempotencyConflict, IdempotencyKeyReused
from datasources.postgres.shopping.db import Database, now_param
from datasources.shopping_records import (
    IDEMPOTENCY_LOCK_TIMEOUT,
    IDEMPOTENCY_TTL,
    IdempotencyBegin,
    IdempotencyState,
)

NOW = "COALESCE(CAST(:now AS timestamptz), now())"

_CLAIM = sa.text(
    "INSERT INTO idempotency_records (scope, key, request_hash, response, created_at, "
    f"expires_at) VALUES (:scope, :key, :hash, NULL, {NOW}, {NOW} + CAST(:ttl AS interval)) "
    "ON CONFLICT (scope, key) DO UPDATE SET request_hash = EXCLUDED.request_hash, "
    "response = NULL, created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at "
    "WHERE idempotency_records.expires_at <= EXCLUDED.created_at "
    "OR (idempotency_records.response IS NULL "
    "AND idempotency_records.request_hash = EXCLUDED.request_hash "
    "AND idempotency_records.created_at <= EXCLUDED.created_at - CAST(:lock AS interval)) "
    "RETURNING created_at, expires_at"
)

_READ = sa.text(
    "SELECT request_hash, response::text AS response, created_at, expires_at "
    "FROM idempotency_records WHERE scope = :scope AND key = :key"
)

_COMPLETE = sa.text(
    "UPDATE idempotency_records SET response = CAST(:response AS jsonb) "
    "WHERE scope = :scope AND key = :key AND response IS NULL"
)

_ABANDON = sa.text(
    "DELETE FROM idempotency_records WHERE scope = :scope AND key = :key AND response IS NULL"
)

_PURGE = sa.text(f"DELETE FROM idempotency_records WHERE expires_at <= {NOW}")


class PostgresIdempotencyStore:
    """The IdempotencyStore port on PostgreSQL."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._db = Database(engine)

    async def begin(
        self,
        scope: str,
        key: str,
        request_hash: str,
        *,
        ttl: timedelta = IDEMPOTENCY_TTL,
        lock_timeout: timedelta = IDEMPOTENCY_LOCK_TIMEOUT,
        now: datetime | None = None,
    ) -> IdempotencyBegin:
        """Claim ``key`` (STARTED), or find the first run's response (REPLAY), or raise
        IdempotencyKeyReused / IdempotencyConflict."""
        if not key or len(key) > 255:
            raise ValueError("an idempotency key is 1 to 255 characters")
        parameters = {
            "scope": scope,
            "key": key,
            "hash": request_hash,
            "ttl": ttl,
            "lock": lock_timeout,
            "now": now_param(now),
        }
        async with self._db.autocommit() as tx:
            for _ in range(3):
                claimed = await tx.row("idempotency.claim", _CLAIM, parameters)
                if claimed is not None:
                    return IdempotencyBegin(
                        IdempotencyState.STARTED,
                        created_at=claimed.created_at,
                        expires_at=claimed.expires_at,
                    )
                found = await tx.row("idempotency.read", _READ, {"scope": scope, "key": key})
                if found is None:
                    continue  # abandoned or purged in between: claim again
                if found.request_hash != request_hash:
                    raise IdempotencyKeyReused(key)
                if found.response is None:
                    raise IdempotencyConflict(key)
                return IdempotencyBegin(
                    IdempotencyState.REPLAY,
                    response=orjson.loads(found.response),
                    created_at=found.created_at,
                    expires_at=found.expires_at,
                )
        raise IdempotencyConflict(key)

    async def complete(self, scope: str, key: str, response: Mapping[str, object]) -> None:
        """Store the response of a claimed key."""
        body = orjson.dumps(dict(response)).decode()
        async with self._db.autocommit() as tx:
            await tx.execute(
                "idempotency.complete",
                _COMPLETE,
                {"scope": scope, "key": key, "response": body},
            )

    async def abandon(self, scope: str, key: str) -> None:
        """Forget an unfinished claim, so that a retry runs the operation again."""
        async with self._db.autocommit() as tx:
            await tx.execute("idempotency.abandon", _ABANDON, {"scope": scope, "key": key})

    async def purge_expired(self, now: datetime | None = None) -> int:
        """Delete expired records; how many."""
        async with self._db.autocommit() as tx:
            result = await tx.execute("idempotency.purge", _PURGE, {"now": now_param(now)})
        return int(result.rowcount)
