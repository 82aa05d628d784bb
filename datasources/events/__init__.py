"""Domain events: what changed, published by mutations and workers, consumed by
subscriptions, the search indexer and the caches."""

from datasources.events.records import (
    DomainEvent,
    EventStreamInterrupted,
    SubscriberFellBehind,
    Topic,
)

__all__ = ["DomainEvent", "EventStreamInterrupted", "SubscriberFellBehind", "Topic"]
