"""AWS Lambda entry point of the search indexer on the catalog table's DynamoDB stream.

The event source mapping (``infra_cdk.stacks.events``) delivers batches of stream records
(``{"Records": [{"eventName", "dynamodb": {"Keys", "SequenceNumber", ...}}]}``, AWS's
documented shape) filtered to PRODUCT items. Each record becomes a ``PRODUCT_CHANGED`` domain
event; the events are applied with the search indexer's :func:`refresh_products`, which
re-reads the products from the catalog (a stream record may be older than the item) and
upserts or removes their search documents.

The answer is a partial batch response: the sequence number of the first record whose
product could not be indexed, so Lambda retries from there (and, with bisect on error,
splits a batch that keeps failing until the bad record lands in the on-failure queue).
A record that is not a DynamoDB stream record raises :class:`BadStreamRecord`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import structlog

from datasources.events.records import DomainEvent, Topic
from datasources.ports import Catalog, ProductSearch
from datasources.search.indexer import refresh_products

log = structlog.get_logger("vitrine.stream_indexer")

PRODUCT_PK_PREFIX = "PRODUCT#"
PRODUCT_SK = "PRODUCT"
"""The catalog table's PRODUCT items: ``pk = PRODUCT#<id>``, ``sk = PRODUCT``."""
EVENT_SOURCE = "aws:dynamodb"
STREAM_EVENT_NAMES = frozenset({"INSERT", "MODIFY", "REMOVE"})


class BadStreamRecord(ValueError):
    """A record that is not a DynamoDB stream record of the catalog table."""


@dataclass(frozen=True)
class ProductChange:
    """One stream record about a PRODUCT item."""

    product_id: str
    event_name: str
    sequence_number: str


def _string_key(keys: Mapping[str, Any], name: str, index: int) -> str:
    value = keys.get(name)
    if not isinstance(value, Mapping) or not isinstance(value.get("S"), str):
        raise BadStreamRecord(f"record {index}: dynamodb.Keys.{name} must be a string key")
    return str(value["S"])


def product_changes(records: Sequence[Mapping[str, Any]]) -> list[ProductChange]:
    """The records that are about PRODUCT items, in stream order (others are skipped)."""
    changes = []
    for index, record in enumerate(records):
        if not isinstance(record, Mapping) or record.get("eventSource") != EVENT_SOURCE:
            raise BadStreamRecord(f"record {index} is not a DynamoDB stream record")
        event_name = record.get("eventName")
        if event_name not in STREAM_EVENT_NAMES:
            raise BadStreamRecord(f"record {index}: unknown eventName {event_name!r}")
        change = record.get("dynamodb")
        if not isinstance(change, Mapping) or not isinstance(change.get("Keys"), Mapping):
            raise BadStreamRecord(f"record {index} has no dynamodb.Keys")
        sequence_number = change.get("SequenceNumber")
        if not isinstance(sequence_number, str) or not sequence_number:
            raise BadStreamRecord(f"record {index} has no dynamodb.SequenceNumber")
        pk = _string_key(change["Keys"], "pk", index)
        sk = _string_key(change["Keys"], "sk", index)
        if sk != PRODUCT_SK or not pk.startswith(PRODUCT_PK_PREFIX):
            continue
        product_id = pk.removeprefix(PRODUCT_PK_PREFIX)
        changes.append(ProductChange(product_id, str(event_name), sequence_number))
    return changes


def domain_events(changes: Sequence[ProductChange]) -> list[DomainEvent]:
    """One ``PRODUCT_CHANGED`` event per product, in order of its first change (the
    indexer re-reads the product, so several changes in a batch need one refresh)."""
    seen: dict[str, list[ProductChange]] = {}
    for change in changes:
        seen.setdefault(change.product_id, []).append(change)
    return [
        DomainEvent(
            Topic.PRODUCT_CHANGED,
            product_id,
            {
                "source": "dynamodb-stream",
                "changes": [c.event_name for c in product_changes_],
                "sequenceNumbers": [c.sequence_number for c in product_changes_],
            },
        )
        for product_id, product_changes_ in seen.items()
    ]


async def apply_events(
    events: Sequence[DomainEvent], catalog: Catalog, search: ProductSearch
) -> list[DomainEvent]:
    """Apply ``events`` with :func:`refresh_products`, all in one call, or one product at a
    time when that fails; the events that could not be applied."""
    if not events:
        return []
    try:
        await refresh_products(catalog, search, [e.key for e in events])
        return []
    except Exception:
        log.warning("stream_batch_refresh_failed", products=len(events))
    failed = []
    for event in events:
        try:
            await refresh_products(catalog, search, [event.key])
        except Exception:
            log.exception("stream_product_refresh_failed", product_id=event.key)
            failed.append(event)
    return failed


async def handle_stream_event(
    event: Mapping[str, Any], catalog: Catalog, search: ProductSearch
) -> dict[str, list[dict[str, str]]]:
    """Index the products a stream batch changed; the partial batch response."""
    records = event.get("Records")
    if not isinstance(records, list):
        raise BadStreamRecord("the event has no Records list")
    changes = product_changes(records)
    failed = await apply_events(domain_events(changes), catalog, search)
    failed_ids = {e.key for e in failed}
    first_failure = next((c for c in changes if c.product_id in failed_ids), None)
    log.info(
        "stream_batch_indexed",
        records=len(records),
        products=len({c.product_id for c in changes}),
        failed=len(failed_ids),
    )
    if first_failure is None:
        return {"batchItemFailures": []}
    return {"batchItemFailures": [{"itemIdentifier": first_failure.sequence_number}]}


class _Runtime:
    """What one Lambda container builds once: settings, catalog, search, event loop."""

    def __init__(self) -> None:
        from gateway.bootstrap import build_search, build_services
        from gateway.logging_setup import configure_logging
        from gateway.secrets import resolve_secrets
        from gateway.settings import Settings

        settings = resolve_secrets(Settings())
        configure_logging(settings.log_level, json_lines=True)
        self.loop = asyncio.new_event_loop()
        services = build_services(settings)
        self.catalog = services.catalog
        self.search = services.search if services.search is not None else build_search(settings)


_runtime: _Runtime | None = None


def handler(event: Mapping[str, Any], context: Any) -> dict[str, list[dict[str, str]]]:
    """The Lambda handler (``gateway.lambda_stream_indexer.handler``)."""
    global _runtime
    if _runtime is None:
        _runtime = _Runtime()
    return _runtime.loop.run_until_complete(
        handle_stream_event(event, _runtime.catalog, _runtime.search)
    )
