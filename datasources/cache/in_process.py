"""An in-process KeyValueCache for the embedded default: bounded, with expiry."""

from __future__ import annotations

import time
from collections import OrderedDict


class InProcessCache:
    """KeyValueCache port in this process's memory (LRU-bounded, per-entry expiry)."""

    def __init__(self, max_entries: int = 10_000) -> None:
        self._entries: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._max_entries = max_entries

    async def get(self, key: str) -> bytes | None:
        """The cached value, or None when absent or expired."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        expires_at, value = entry
        if expires_at <= time.monotonic():
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return value

    async def set(self, key: str, value: bytes, ttl_seconds: float) -> None:
        """Cache ``value`` for ``ttl_seconds``, evicting the least recently used past the bound."""
        self._entries[key] = (time.monotonic() + ttl_seconds, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)

    async def delete(self, *keys: str) -> None:
        """Forget ``keys``."""
        for key in keys:
            self._entries.pop(key, None)

    async def check(self) -> None:
        """Always available."""
