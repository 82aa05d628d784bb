"""Registry of model kinds: each kind names its parts and builds one mesh per part."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import trimesh

Parts = dict[str, trimesh.Trimesh]
KindBuilder = Callable[[float, float, float], Parts]


@dataclass(frozen=True)
class Kind:
    """A buildable kind: ``build(width, depth, height)`` returns a mesh for each part."""

    name: str
    parts: tuple[str, ...]
    build: KindBuilder


KINDS: dict[str, Kind] = {}


def kind(name: str, *parts: str) -> Callable[[KindBuilder], KindBuilder]:
    """Register ``builder`` as kind ``name`` producing exactly ``parts``."""

    def register(builder: KindBuilder) -> KindBuilder:
        if name in KINDS:
            raise ValueError(f"kind {name!r} is registered twice")
        KINDS[name] = Kind(name, parts, builder)
        return builder

    return register
