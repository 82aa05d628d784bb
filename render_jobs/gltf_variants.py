"""Reading ``KHR_materials_variants`` (root variant list and per-primitive mappings)."""

from __future__ import annotations

from typing import Any

from render_jobs.glb import GlbFormatError

VARIANTS_EXTENSION = "KHR_materials_variants"


def _extension(owner: dict[str, Any]) -> object:
    extensions = owner.get("extensions")
    if extensions is None:
        return None
    if not isinstance(extensions, dict):
        raise GlbFormatError("'extensions' must be a JSON object")
    return extensions.get(VARIANTS_EXTENSION)


def variant_names(gltf: dict[str, Any]) -> tuple[str, ...]:
    """Names of the variants declared at the root, in index order (empty when none)."""
    extension = _extension(gltf)
    if extension is None:
        return ()
    variants = extension.get("variants") if isinstance(extension, dict) else None
    if not isinstance(variants, list) or not all(
        isinstance(v, dict) and isinstance(v.get("name"), str) for v in variants
    ):
        raise GlbFormatError(f"{VARIANTS_EXTENSION}.variants must be a list of named objects")
    return tuple(v["name"] for v in variants)


def primitive_mappings(primitive: dict[str, Any]) -> list[dict[str, Any]]:
    """The primitive's variant mappings (``[]`` when it has none)."""
    extension = _extension(primitive)
    if extension is None:
        return []
    mappings = extension.get("mappings") if isinstance(extension, dict) else None
    if not isinstance(mappings, list) or not all(isinstance(m, dict) for m in mappings):
        raise GlbFormatError(f"{VARIANTS_EXTENSION}.mappings must be a list of objects")
    return mappings


def check_variants(gltf: dict[str, Any]) -> tuple[str, ...]:
    """Validate every mapping against the variant and material lists; return variant names."""
    names = variant_names(gltf)
    materials, meshes = gltf.get("materials", []), gltf.get("meshes", [])
    if not isinstance(materials, list) or not isinstance(meshes, list):
        raise GlbFormatError("'materials' and 'meshes' must be arrays")
    material_count = len(materials)
    for mesh_index, mesh in enumerate(meshes):
        primitives = mesh.get("primitives") if isinstance(mesh, dict) else None
        if not isinstance(primitives, list) or not all(isinstance(p, dict) for p in primitives):
            raise GlbFormatError(f"meshes[{mesh_index}].primitives must be an array of objects")
        for primitive in primitives:
            seen: set[int] = set()
            for mapping in primitive_mappings(primitive):
                material = mapping.get("material")
                variants = mapping.get("variants")
                if not isinstance(material, int) or not 0 <= material < material_count:
                    raise GlbFormatError(
                        f"meshes[{mesh_index}] maps to material {material!r}, "
                        f"but {material_count} materials exist"
                    )
                if not isinstance(variants, list) or not variants:
                    raise GlbFormatError(f"meshes[{mesh_index}] has a mapping without variants")
                for variant in variants:
                    if not isinstance(variant, int) or not 0 <= variant < len(names):
                        raise GlbFormatError(
                            f"meshes[{mesh_index}] maps unknown variant {variant!r}"
                        )
                    if variant in seen:
                        raise GlbFormatError(
                            f"meshes[{mesh_index}] maps variant {variant} more than once"
                        )
                    seen.add(variant)
    return names


def material_for_variant(primitive: dict[str, Any], variant: int | None) -> int | None:
    """Material index a primitive uses under ``variant`` (its default when not mapped)."""
    if variant is not None:
        for mapping in primitive_mappings(primitive):
            if variant in mapping.get("variants", []):
                material = mapping.get("material")
                return material if isinstance(material, int) else None
    default = primitive.get("material")
    return default if isinstance(default, int) else None
