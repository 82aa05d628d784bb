"""CdnInvalidator on CloudFront's CreateInvalidation, through aioboto3."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from datasources.aws_clients import LoopBoundClients
from datasources.errors import DataSourceUnavailable
from datasources.instrumentation import record_call

SERVICE = "cloudfront"
MAX_PATHS = 3_000
"""CloudFront's limit of paths in progress per distribution (wildcard paths: 15)."""


@dataclass(frozen=True)
class DistributionConfig:
    """Which distribution to invalidate and how to reach CloudFront."""

    distribution_id: str
    endpoint_url: str | None = None
    access_key_id: str | None = None
    secret_access_key: str | None = None
    connect_timeout_seconds: float = 2.0
    max_attempts: int = 3

    def client_kwargs(self) -> dict[str, Any]:
        """Keyword arguments of the CloudFront client (a global service, in us-east-1)."""
        return {
            "region_name": "us-east-1",
            "endpoint_url": self.endpoint_url,
            "aws_access_key_id": self.access_key_id,
            "aws_secret_access_key": self.secret_access_key,
            "config": Config(
                connect_timeout=self.connect_timeout_seconds,
                read_timeout=30,
                retries={"max_attempts": self.max_attempts, "mode": "standard"},
            ),
        }


class CloudFrontInvalidator:
    """CdnInvalidator port on one CloudFront distribution; one client per event loop."""

    def __init__(self, config: DistributionConfig) -> None:
        self._config = config
        self._clients = LoopBoundClients("cloudfront", config.client_kwargs())

    @property
    def distribution_id(self) -> str:
        """The distribution this invalidator names."""
        return self._config.distribution_id

    async def invalidate(self, paths: Collection[str]) -> str:
        """Create one invalidation of ``paths``; CloudFront's id for it."""
        items = sorted(set(paths))
        if not items or len(items) > MAX_PATHS:
            raise ValueError(f"An invalidation names 1 to {MAX_PATHS} paths, not {len(items)}")
        bad = [p for p in items if not p.startswith("/")]
        if bad:
            raise ValueError(f"Invalidation paths start with '/': {bad[0]!r}")
        client = await self._clients.get()
        try:
            with record_call(SERVICE, "CreateInvalidation"):
                response = await client.create_invalidation(
                    DistributionId=self._config.distribution_id,
                    InvalidationBatch={
                        "Paths": {"Quantity": len(items), "Items": items},
                        "CallerReference": uuid.uuid4().hex,
                    },
                )
        except (BotoCoreError, ClientError) as error:
            raise DataSourceUnavailable(
                f"CloudFront distribution {self._config.distribution_id}", str(error)
            ) from error
        invalidation_id: str = response["Invalidation"]["Id"]
        return invalidation_id

    async def close(self) -> None:
        """Close the client of the running loop."""
        await self._clients.close()
