"""Tie GraphQL object types to the data-source records that back them."""

from __future__ import annotations

from typing import Any


def backed_by(*record_types: type) -> classmethod[Any, Any, bool]:
    """An ``is_type_of`` that recognises instances of ``record_types`` (for unions and
    interfaces, whose members strawberry cannot tell apart from plain records)."""

    def is_type_of(cls: type, obj: Any, info: Any) -> bool:
        return isinstance(obj, record_types)

    return classmethod(is_type_of)
