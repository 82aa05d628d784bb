"""build_glb: deterministic GLB export, real-world bounds and KHR_materials_variants."""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import sys
from typing import Any

import numpy as np
import pytest
import trimesh

from render_jobs.glb import read_glb
from render_jobs.gltf_stats import compute_stats
from render_jobs.procedural import (
    DEMO_RECIPES,
    KINDS,
    MaterialVariant,
    ModelRecipe,
    PbrMaterial,
    build_glb,
)

SLUGS = [recipe.slug for recipe in DEMO_RECIPES]
WITH_VARIANTS = [recipe.slug for recipe in DEMO_RECIPES if recipe.variants]
EXTENSION = "KHR_materials_variants"


def _by_slug(slug: str) -> ModelRecipe:
    return next(recipe for recipe in DEMO_RECIPES if recipe.slug == slug)


def test_two_builds_are_byte_identical():
    # given a recipe with variants
    recipe = _by_slug("wayfarer-sunglasses")

    # when it is built twice
    first, second = build_glb(recipe), build_glb(recipe)

    # then the bytes are identical
    assert first == second


def test_builds_are_identical_across_processes_and_hash_seeds(demo_glbs):
    # given the in-process build of a recipe
    expected = hashlib.sha256(demo_glbs["harbor-sofa"][1]).hexdigest()
    script = (
        "import hashlib; from render_jobs.procedural import DEMO_RECIPES, build_glb;"
        "r = next(r for r in DEMO_RECIPES if r.slug == 'harbor-sofa');"
        "print(hashlib.sha256(build_glb(r)).hexdigest())"
    )

    # when a fresh interpreter with another string-hash seed builds it
    env = {**os.environ, "PYTHONHASHSEED": "4242"}
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True
    )

    # then it produces the same bytes
    assert result.stdout.strip() == expected


@pytest.mark.parametrize("slug", SLUGS)
def test_model_rests_on_the_floor_centred_at_recipe_size(demo_glbs, slug: str):
    # given a built demo model
    recipe, glb = demo_glbs[slug]

    # when measured
    stats = compute_stats(glb)

    # then it is Y-up on the floor, centred on X/Z and exactly the recipe's size
    (x0, y0, z0), (x1, _, z1) = stats.bounds_min, stats.bounds_max
    assert y0 == pytest.approx(0.0, abs=1e-6)
    assert (x0 + x1) / 2 == pytest.approx(0.0, abs=1e-6)
    assert (z0 + z1) / 2 == pytest.approx(0.0, abs=1e-6)
    assert stats.extents == pytest.approx(
        (recipe.width_m, recipe.height_m, recipe.depth_m), rel=1e-5
    )
    assert stats.triangle_count < 20_000


@pytest.mark.parametrize("slug", SLUGS)
def test_kind_builders_aim_at_the_recipe_size_before_the_final_fit(slug: str):
    # given a recipe and the raw parts of its kind, before centring and exact scaling
    recipe = _by_slug(slug)
    parts = KINDS[recipe.kind].build(recipe.width_m, recipe.depth_m, recipe.height_m)

    # when their joint bounding box is measured
    low = np.min([mesh.bounds[0] for mesh in parts.values()], axis=0)
    high = np.max([mesh.bounds[1] for mesh in parts.values()], axis=0)

    # then it is within 3 % of the recipe on every axis, so the final fit barely distorts
    wanted = (recipe.width_m, recipe.height_m, recipe.depth_m)
    assert (high - low).tolist() == pytest.approx(wanted, rel=0.03)
    assert set(parts) == set(KINDS[recipe.kind].parts)


@pytest.mark.parametrize("slug", SLUGS)
def test_one_named_node_and_primitive_per_part(demo_glbs, slug: str):
    # given a built demo model
    recipe, glb = demo_glbs[slug]

    # when its scene graph is read
    gltf, _ = read_glb(glb)

    # then each part of the kind is one node with one primitive that has normals
    assert [node["name"] for node in gltf["nodes"]] == list(KINDS[recipe.kind].parts)
    assert all(len(mesh["primitives"]) == 1 for mesh in gltf["meshes"])
    assert all("NORMAL" in mesh["primitives"][0]["attributes"] for mesh in gltf["meshes"])
    assert gltf["scenes"][0]["name"] == slug
    assert compute_stats(glb).draw_calls == len(recipe.parts)


@pytest.mark.parametrize("slug", SLUGS)
def test_trimesh_reloads_the_glb_with_the_same_triangle_count(demo_glbs, slug: str):
    # given a built demo model and its stats
    _, glb = demo_glbs[slug]
    stats = compute_stats(glb)

    # when trimesh loads it
    scene = trimesh.load(io.BytesIO(glb), file_type="glb", force="scene")

    # then trimesh sees the same triangles and bounds
    triangles = sum(len(scene.geometry[name].faces) for name in scene.graph.nodes_geometry)
    assert triangles == stats.triangle_count
    assert scene.bounds.ravel().tolist() == pytest.approx(
        stats.bounds_min + stats.bounds_max, abs=1e-6
    )


def _mappings(primitive: dict[str, Any]) -> list[dict[str, Any]]:
    mappings: list[dict[str, Any]] = (
        primitive.get("extensions", {}).get(EXTENSION, {}).get("mappings", [])
    )
    return mappings


def _material_key(material: dict[str, Any]) -> tuple[Any, ...]:
    pbr = material["pbrMetallicRoughness"]
    return (material["name"], tuple(pbr["baseColorFactor"]), pbr["metallicFactor"])


def _expected_key(material: PbrMaterial) -> tuple[Any, ...]:
    return (material.name, material.base_color_rgba, material.metallic)


@pytest.mark.parametrize("slug", WITH_VARIANTS)
def test_variants_extension_follows_the_khronos_layout(demo_glbs, slug: str):
    # given a built demo model with variants
    recipe, glb = demo_glbs[slug]

    # when its glTF JSON is read
    gltf, _ = read_glb(glb)
    materials = gltf["materials"]

    # then the root lists the variants and the extension is declared as used (not required)
    names = [v["name"] for v in gltf["extensions"][EXTENSION]["variants"]]
    assert names == [v.name for v in recipe.variants]
    assert EXTENSION in gltf["extensionsUsed"]
    assert EXTENSION not in gltf.get("extensionsRequired", [])
    # and materials are unique
    assert len({_material_key(m) for m in materials}) == len(materials)
    for mesh in gltf["meshes"]:
        part = mesh["name"]
        primitive = mesh["primitives"][0]
        # the primitive's default material is the first variant's
        assert _material_key(materials[primitive["material"]]) == _expected_key(
            recipe.default_material(part)
        )
        mappings = _mappings(primitive)
        mapped = [v for mapping in mappings for v in mapping["variants"]]
        assert len(mapped) == len(set(mapped))  # each variant at most once per primitive
        for mapping in mappings:
            assert 0 <= mapping["material"] < len(materials)
            for index in mapping["variants"]:
                wanted = recipe.material_for(part, recipe.variants[index])
                assert _material_key(materials[mapping["material"]]) == _expected_key(wanted)
        if mappings:
            assert sorted(mapped) == list(range(len(recipe.variants)))


def test_every_variant_changes_at_least_one_part(demo_glbs):
    # given the demo recipes with variants
    for slug in WITH_VARIANTS:
        recipe, glb = demo_glbs[slug]
        gltf, _ = read_glb(glb)

        # when collecting which variants some primitive maps explicitly
        mapped = {
            index
            for mesh in gltf["meshes"]
            for mapping in _mappings(mesh["primitives"][0])
            for index in mapping["variants"]
        }

        # then every variant is reachable
        assert mapped == set(range(len(recipe.variants))), slug


def test_recipe_without_variants_has_no_extension(demo_glbs):
    # given a demo recipe without variants
    _, glb = demo_glbs["nook-loveseat"]

    # when read
    gltf, _ = read_glb(glb)

    # then neither the root nor any primitive mentions the extension
    assert "extensions" not in gltf
    assert "extensionsUsed" not in gltf
    assert all("extensions" not in mesh["primitives"][0] for mesh in gltf["meshes"])


def test_translucent_materials_use_alpha_blending(demo_glbs):
    # given the amber glass vase
    _, glb = demo_glbs["amber-bud-vase"]

    # when its materials are read
    gltf, _ = read_glb(glb)
    by_name = {m["name"]: m for m in gltf["materials"]}

    # then glass blends and brass stays opaque (the default mode)
    assert by_name["amber glass"]["alphaMode"] == "BLEND"
    assert by_name["amber glass"]["pbrMetallicRoughness"]["baseColorFactor"][3] == 0.6
    assert "alphaMode" not in by_name["brass"]


def test_recipe_must_name_exactly_the_parts_of_its_kind():
    # given a table recipe that forgets the legs and invents a drawer
    oak = PbrMaterial("oak", (0.5, 0.3, 0.1, 1.0))
    recipe = ModelRecipe("dining_table", 1.2, 0.8, 0.75, (("top", oak), ("drawer", oak)))

    # when built
    # then the mismatch is explained
    with pytest.raises(ValueError, match=r"missing \['legs'\], unknown \['drawer'\]"):
        build_glb(recipe)


def test_unknown_kind_is_rejected():
    # given a recipe of a kind nobody registered
    oak = PbrMaterial("oak", (0.5, 0.3, 0.1, 1.0))
    recipe = ModelRecipe("spaceship", 1.0, 1.0, 1.0, (("hull", oak),))

    # when built
    # then the known kinds are listed
    with pytest.raises(ValueError, match="unknown kind 'spaceship'; known: armchair, backpack"):
        build_glb(recipe)


def test_variant_overrides_apply_only_to_named_parts():
    # given a side table whose "Black" variant only recolours the stem
    walnut = PbrMaterial("walnut", (0.2, 0.1, 0.05, 1.0))
    brass = PbrMaterial("brass", (0.8, 0.6, 0.2, 1.0), 1.0, 0.25)
    black = PbrMaterial("black", (0.02, 0.02, 0.02, 1.0), 1.0, 0.4)
    recipe = ModelRecipe(
        "side_table",
        0.5,
        0.5,
        0.55,
        (("top", walnut), ("stem", brass), ("base", brass)),
        (MaterialVariant("Brass", ()), MaterialVariant("Black", (("stem", black),))),
    )

    # when built
    gltf, _ = read_glb(build_glb(recipe))
    mappings = {mesh["name"]: _mappings(mesh["primitives"][0]) for mesh in gltf["meshes"]}

    # then only the stem has mappings: brass (shared with the base) for 0, black appended for 1
    assert [m["name"] for m in gltf["materials"]] == ["walnut", "brass", "black"]
    assert mappings == {
        "top": [],
        "stem": [{"material": 1, "variants": [0]}, {"material": 2, "variants": [1]}],
        "base": [],
    }
