"""The Relay ``Node`` interface and global ID fields."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import strawberry

from resolvers.global_ids import to_global_id


@strawberry.interface(description="An object with a global ID, refetchable with `node(id:)`.")
class Node:
    """Relay Node."""

    id: strawberry.ID


def global_id_resolver(type_name: str) -> Callable[..., strawberry.ID]:
    """A resolver returning the global ID of a record of ``type_name``."""

    def resolve(root: Any) -> strawberry.ID:
        return strawberry.ID(to_global_id(type_name, root.id))

    resolve.__name__ = f"{type_name[0].lower()}{type_name[1:]}_global_id"
    return resolve
