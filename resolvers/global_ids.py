"""Relay global IDs: ``base64("<Type>:<id>")``, opaque to clients."""

from __future__ import annotations

import base64
import binascii

from resolvers.errors import InvalidId

NODE_TYPES = frozenset({"Product", "Category", "Asset3D", "Cart", "Order"})


def to_global_id(type_name: str, raw_id: str) -> str:
    """The global ID of the ``type_name`` object whose own id is ``raw_id``."""
    return base64.urlsafe_b64encode(f"{type_name}:{raw_id}".encode()).decode().rstrip("=")


def from_global_id(global_id: str) -> tuple[str, str]:
    """Split a global ID into (type name, own id); InvalidId when it is not one."""
    padded = global_id + "=" * (-len(global_id) % 4)
    try:
        decoded = base64.urlsafe_b64decode(padded.encode("ascii")).decode("utf-8")
    except (binascii.Error, UnicodeError, ValueError) as error:
        raise InvalidId(f"{global_id!r} is not a valid ID") from error
    type_name, sep, raw_id = decoded.partition(":")
    if not sep or not raw_id or type_name not in NODE_TYPES:
        raise InvalidId(f"{global_id!r} is not a valid ID")
    return type_name, raw_id


def expect_global_id(global_id: str, type_name: str) -> str:
    """The own id inside ``global_id``; InvalidId unless it names a ``type_name``."""
    actual, raw_id = from_global_id(global_id)
    if actual != type_name:
        raise InvalidId(f"{global_id!r} is the ID of a {actual}, not of a {type_name}")
    return raw_id
