"""Relay cursor connections built from data-source pages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from datasources.records import Page
from resolvers.errors import BadUserInput

T = TypeVar("T")

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 24


@dataclass(frozen=True)
class Edge(Generic[T]):
    """A node and the cursor just after it."""

    node: T
    cursor: str


@dataclass(frozen=True)
class PageInfo:
    """Relay page info."""

    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@dataclass(frozen=True)
class Connection(Generic[T]):
    """A page as a Relay connection."""

    edges: tuple[Edge[T], ...]
    nodes: tuple[T, ...]
    page_info: PageInfo
    total_count: int

    @classmethod
    def of(cls, page: Page[T]) -> Connection[T]:
        """The connection view of ``page``."""
        return cls(
            edges=tuple(
                Edge(node=n, cursor=c) for n, c in zip(page.items, page.cursors, strict=True)
            ),
            nodes=page.items,
            page_info=PageInfo(
                has_next_page=page.has_next_page,
                has_previous_page=page.has_previous_page,
                start_cursor=page.cursors[0] if page.cursors else None,
                end_cursor=page.cursors[-1] if page.cursors else None,
            ),
            total_count=page.total_count,
        )


def page_size(first: int | None) -> int:
    """``first`` checked against the bounds; BadUserInput beyond them."""
    if first is None:
        return DEFAULT_PAGE_SIZE
    if first < 1 or first > MAX_PAGE_SIZE:
        raise BadUserInput(f"first must be between 1 and {MAX_PAGE_SIZE}, got {first}")
    return first
