"""An in-process TaggedCache: bounded, with expiry and a tag index kept in step."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Collection


class InProcessTaggedCache:
    """TaggedCache port in this process's memory (LRU-bounded, per-entry expiry).

    The tag index only holds keys of live entries: eviction, expiry and purges remove them,
    so memory stays bounded by ``max_entries`` whatever keys and tags clients cause.
    """

    def __init__(self, max_entries: int = 10_000) -> None:
        self._entries: OrderedDict[str, tuple[float, bytes, frozenset[str]]] = OrderedDict()
        self._keys_by_tag: dict[str, set[str]] = {}
        self._max_entries = max_entries
        self._generation = 0

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def tag_count(self) -> int:
        """How many tags index at least one live entry."""
        return len(self._keys_by_tag)

    async def get(self, key: str) -> bytes | None:
        """The cached value, or None when absent, expired or purged."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry[0] <= time.monotonic():
            self._forget(key)
            return None
        self._entries.move_to_end(key)
        return entry[1]

    async def generation(self) -> int:
        """The number of purges so far."""
        return self._generation

    async def put(
        self,
        key: str,
        value: bytes,
        ttl_seconds: float,
        tags: Collection[str],
        *,
        generation: int,
    ) -> bool:
        """Cache ``value`` unless a purge happened since ``generation``."""
        if generation != self._generation:
            return False
        self._forget(key)
        tag_set = frozenset(tags)
        self._entries[key] = (time.monotonic() + ttl_seconds, value, tag_set)
        for tag in tag_set:
            self._keys_by_tag.setdefault(tag, set()).add(key)
        while len(self._entries) > self._max_entries:
            self._forget(next(iter(self._entries)))
        return True

    async def purge(self, tags: Collection[str]) -> int:
        """Forget every entry carrying any of ``tags``."""
        self._generation += 1
        keys = {key for tag in tags for key in self._keys_by_tag.get(tag, ())}
        for key in keys:
            self._forget(key)
        return len(keys)

    async def check(self) -> None:
        """Always available."""

    def _forget(self, key: str) -> None:
        entry = self._entries.pop(key, None)
        if entry is None:
            return
        for tag in entry[2]:
            keys = self._keys_by_tag.get(tag)
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del self._keys_by_tag[tag]
