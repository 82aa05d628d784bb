"""Immutable descriptions of procedural demo models: size, per-part materials, variants."""

from __future__ import annotations

import math
from dataclasses import dataclass

RGBA = tuple[float, float, float, float]


@dataclass(frozen=True)
class PbrMaterial:
    """glTF metallic-roughness material; ``base_color_rgba`` is linear, each channel 0..1."""

    name: str
    base_color_rgba: RGBA
    metallic: float = 0.0
    roughness: float = 0.6

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("material name must not be empty")
        if len(self.base_color_rgba) != 4 or not all(_unit(c) for c in self.base_color_rgba):
            raise ValueError(f"material {self.name!r}: base_color_rgba needs 4 values in 0..1")
        if not (_unit(self.metallic) and _unit(self.roughness)):
            raise ValueError(f"material {self.name!r}: metallic and roughness must be in 0..1")

    @property
    def is_translucent(self) -> bool:
        """True when the base colour alpha calls for alpha blending."""
        return self.base_color_rgba[3] < 1.0


PartMaterials = tuple[tuple[str, PbrMaterial], ...]


@dataclass(frozen=True)
class MaterialVariant:
    """A named look: materials for some parts; parts not listed keep the recipe's material."""

    name: str
    materials_by_part: PartMaterials

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("variant name must not be empty")
        _check_unique_parts(self.materials_by_part, f"variant {self.name!r}")

    def material_for(self, part: str) -> PbrMaterial | None:
        """The override for ``part``, or None when this variant does not change it."""
        return dict(self.materials_by_part).get(part)


@dataclass(frozen=True)
class ModelRecipe:
    """A model of a given kind, sized in metres (x = width, y = height, z = depth).

    ``materials`` must name every part of the kind. With variants, each part's default
    material is the first variant's.
    """

    kind: str
    width_m: float
    depth_m: float
    height_m: float
    materials: PartMaterials
    variants: tuple[MaterialVariant, ...] = ()
    name: str = ""

    def __post_init__(self) -> None:
        for label, value in (
            ("width", self.width_m),
            ("depth", self.depth_m),
            ("height", self.height_m),
        ):
            _check_size(label, value)
        _check_unique_parts(self.materials, f"recipe {self.slug!r}")
        names = [variant.name for variant in self.variants]
        if len(set(names)) != len(names):
            raise ValueError(f"recipe {self.slug!r}: variant names must be unique")
        known = {part for part, _ in self.materials}
        for variant in self.variants:
            unknown = {part for part, _ in variant.materials_by_part} - known
            if unknown:
                raise ValueError(f"variant {variant.name!r} names unknown parts {sorted(unknown)}")

    @property
    def slug(self) -> str:
        """Catalogue identifier: ``name`` or, when empty, the kind."""
        return self.name or self.kind

    @property
    def parts(self) -> tuple[str, ...]:
        """Part names in declaration order."""
        return tuple(part for part, _ in self.materials)

    def material_for(self, part: str, variant: MaterialVariant | None = None) -> PbrMaterial:
        """Material of ``part`` under ``variant`` (the recipe's own when not overridden)."""
        override = variant.material_for(part) if variant is not None else None
        return override or dict(self.materials)[part]

    def default_material(self, part: str) -> PbrMaterial:
        """Material a part shows without choosing a variant (the first variant's look)."""
        return self.material_for(part, self.variants[0] if self.variants else None)


def _unit(value: float) -> bool:
    return math.isfinite(value) and 0.0 <= value <= 1.0


def _check_size(label: str, value: float) -> None:
    if not (math.isfinite(value) and 0.0 < value <= 100.0):
        raise ValueError(f"{label} must be within (0, 100] metres, got {value!r}")


def _check_unique_parts(pairs: PartMaterials, owner: str) -> None:
    parts = [part for part, _ in pairs]
    if len(set(parts)) != len(parts) or not all(parts):
        raise ValueError(f"{owner}: part names must be unique and non-empty")
