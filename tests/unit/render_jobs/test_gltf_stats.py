"""compute_stats: counts, exact world bounds, variants, and rejection of inconsistent files."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from render_jobs.glb import write_glb
from render_jobs.gltf_stats import GlbFormatError, ModelStats, compute_stats, read_glb
from tests.unit.render_jobs.samples import SHARED_ASSETS, triangle_asset

BAD_ASSETS = SHARED_ASSETS / "bad"
# Per bad/make_bad.py: these are broken at the GLB container level (header / chunks / magic).
CONTAINER_LEVEL_BAD = (
    "empty.glb",
    "bad_magic.glb",
    "png_named.glb",
    "truncated.glb",
    "truncated_in_json.glb",
    "length_mismatch.glb",
    "chunk_overflow.glb",
)
# Well-formed containers whose glTF content lies about buffers, accessors or values.
CONTENT_LEVEL_BAD = {
    "buffer_2gb.glb": "buffers[0] declares 2147483648 bytes but the BIN chunk holds 44",
    "accessor_overflow.glb": "accessors[0] needs 12000000 bytes for 1000000 elements",
    "nan_positions.glb": "has NaN/Inf values",
}


def test_single_triangle_counts_and_bounds():
    # given one indexed triangle drawn once
    data = write_glb(*triangle_asset())

    # when measured
    stats = compute_stats(data)

    # then every field is exact
    assert stats == ModelStats(
        triangle_count=1,
        vertex_count=3,
        draw_calls=1,
        material_count=0,
        texture_count=0,
        byte_size=len(data),
        bounds_min=(0.0, 0.0, 0.0),
        bounds_max=(1.0, 1.0, 0.0),
        variant_names=(),
    )
    assert stats.extents == (1.0, 1.0, 0.0)


def test_instances_count_per_node_and_bounds_apply_node_transforms():
    # given the triangle drawn by a translated+scaled node and by a child rotated 90deg about Z
    quarter = math.sqrt(0.5)
    nodes = [
        {"mesh": 0, "translation": [10.0, 0.0, 0.0], "scale": [2.0, 2.0, 2.0], "children": [1]},
        {"mesh": 0, "rotation": [0.0, 0.0, quarter, quarter]},
    ]
    gltf, binary = triangle_asset(nodes=nodes)
    gltf["scenes"] = [{"nodes": [0]}]

    # when measured
    stats = compute_stats(write_glb(gltf, binary))

    # then both instances count and the bounds are the transformed vertices
    assert (stats.triangle_count, stats.vertex_count, stats.draw_calls) == (2, 6, 2)
    assert stats.bounds_min == pytest.approx((8.0, 0.0, 0.0))
    assert stats.bounds_max == pytest.approx((12.0, 2.0, 0.0))


def test_matrix_nodes_are_column_major():
    # given a node whose matrix translates by (0, 5, -3)
    matrix = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 5, -3, 1]
    gltf, binary = triangle_asset(nodes=[{"mesh": 0, "matrix": matrix}])

    # when measured
    stats = compute_stats(write_glb(gltf, binary))

    # then the translation is taken from the last column
    assert stats.bounds_min == (0.0, 5.0, -3.0)
    assert stats.bounds_max == (1.0, 6.0, -3.0)


@pytest.mark.parametrize(
    ("mode", "indices", "triangles"), [(5, (0, 1, 2, 1), 2), (6, (0, 1, 2, 1), 2)]
)
def test_strips_and_fans_count_n_minus_2_triangles(
    mode: int, indices: tuple[int, ...], triangles: int
):
    # given a strip or fan primitive of four indices
    gltf, binary = triangle_asset(indices=indices)
    gltf["meshes"][0]["primitives"][0]["mode"] = mode

    # when measured
    stats = compute_stats(write_glb(gltf, binary))

    # then it has two triangles
    assert stats.triangle_count == triangles


def test_variant_names_come_from_the_root_extension():
    # given a triangle with two materials and two variants mapped onto them
    gltf, binary = triangle_asset()
    gltf["materials"] = [{"name": "red"}, {"name": "blue"}]
    gltf["extensions"] = {
        "KHR_materials_variants": {"variants": [{"name": "Red"}, {"name": "Blue"}]}
    }
    gltf["meshes"][0]["primitives"][0]["material"] = 0
    gltf["meshes"][0]["primitives"][0]["extensions"] = {
        "KHR_materials_variants": {
            "mappings": [{"material": 0, "variants": [0]}, {"material": 1, "variants": [1]}]
        }
    }

    # when measured
    stats = compute_stats(write_glb(gltf, binary))

    # then the names are listed in index order
    assert stats.variant_names == ("Red", "Blue")
    assert stats.material_count == 2


@pytest.mark.parametrize(
    ("mapping", "reason"),
    [
        ({"material": 5, "variants": [0]}, "maps to material 5, but 1 materials exist"),
        ({"material": 0, "variants": [3]}, "maps unknown variant 3"),
        ({"material": 0, "variants": []}, "mapping without variants"),
    ],
)
def test_broken_variant_mappings_are_rejected(mapping: dict[str, object], reason: str):
    # given a variant mapping that points nowhere
    gltf, binary = triangle_asset()
    gltf["materials"] = [{"name": "only"}]
    gltf["extensions"] = {"KHR_materials_variants": {"variants": [{"name": "A"}]}}
    gltf["meshes"][0]["primitives"][0]["extensions"] = {
        "KHR_materials_variants": {"mappings": [mapping]}
    }

    # when measured
    # then the inconsistency is reported
    with pytest.raises(GlbFormatError, match=reason):
        compute_stats(write_glb(gltf, binary))


def test_index_past_the_vertex_count_is_rejected():
    # given indices that reference vertex 7 of a 3-vertex primitive
    gltf, binary = triangle_asset(indices=(0, 1, 7))

    # when measured
    # then it is rejected before any geometry is used
    with pytest.raises(GlbFormatError, match="references vertex 7 but the primitive has 3"):
        compute_stats(write_glb(gltf, binary))


def test_buffer_view_outside_its_buffer_is_rejected():
    # given a buffer view that claims more bytes than the buffer holds
    gltf, binary = triangle_asset()
    gltf["bufferViews"][0]["byteLength"] = 4096

    # when measured
    # then it is rejected
    with pytest.raises(GlbFormatError, match=r"bufferViews\[0\] spans bytes 0..4096"):
        compute_stats(write_glb(gltf, binary))


def test_node_cycle_is_rejected():
    # given two nodes that are each other's child
    nodes: list[dict[str, Any]] = [{"mesh": 0, "children": [1]}, {"children": [0]}]
    gltf, binary = triangle_asset(nodes=nodes)
    gltf["scenes"] = [{"nodes": [0]}]

    # when measured
    # then the cycle is reported instead of recursing forever
    with pytest.raises(GlbFormatError, match="cycle"):
        compute_stats(write_glb(gltf, binary))


def test_draco_compressed_files_are_refused():
    # given a file that requires Draco decompression
    gltf, binary = triangle_asset()
    gltf["extensionsRequired"] = ["KHR_draco_mesh_compression"]

    # when measured
    # then it is refused with the reason
    with pytest.raises(GlbFormatError, match="compressed geometry is not supported"):
        compute_stats(write_glb(gltf, binary))


def _shared(name: str) -> Path:
    path = SHARED_ASSETS / name
    if not path.exists():
        pytest.skip(f"shared asset {path} is not available in this checkout")
    return path


def test_box_glb_has_12_triangles_and_unit_bounds():
    # given the Khronos Box sample
    data = _shared("Box.glb").read_bytes()

    # when measured
    stats = compute_stats(data)

    # then it is the 1 m cube of 12 triangles
    assert stats.triangle_count == 12
    assert stats.draw_calls == 1
    assert stats.bounds_min == pytest.approx((-0.5, -0.5, -0.5))
    assert stats.bounds_max == pytest.approx((0.5, 0.5, 0.5))


def test_instanced_truck_counts_every_instance():
    # given CesiumMilkTruck, whose wheels mesh is drawn twice (see shared/assets/SOURCES.md)
    data = _shared("CesiumMilkTruck.glb").read_bytes()

    # when measured
    stats = compute_stats(data)

    # then the count and bounds match trimesh's instanced numbers from SOURCES.md
    assert stats.triangle_count == 3624
    assert stats.bounds_min == pytest.approx((-1.396, 0.0015, -2.431), abs=1e-3)
    assert stats.bounds_max == pytest.approx((1.396, 2.584, 2.438), abs=1e-3)


def test_velvet_sofa_lists_its_five_variants():
    # given the GlamVelvetSofa sample with KHR_materials_variants
    data = _shared("GlamVelvetSofa.glb").read_bytes()

    # when measured
    stats = compute_stats(data)

    # then all variants are listed in order
    assert stats.variant_names == ("Champagne", "Navy", "Gray", "Black", "Pale Pink")


@pytest.mark.parametrize("name", CONTAINER_LEVEL_BAD)
def test_container_level_bad_files_raise_glb_format_error(name: str):
    # given a file broken at the container level
    if not BAD_ASSETS.is_dir():
        pytest.skip(f"{BAD_ASSETS} is not available in this checkout")
    data = (BAD_ASSETS / name).read_bytes()

    # when read
    # then both the container reader and the stats reject it
    with pytest.raises(GlbFormatError):
        read_glb(data)
    with pytest.raises(GlbFormatError):
        compute_stats(data)


@pytest.mark.parametrize(("name", "reason"), sorted(CONTENT_LEVEL_BAD.items()))
def test_content_level_bad_files_are_rejected_without_allocating(name: str, reason: str):
    # given a well-formed container whose glTF content lies
    if not BAD_ASSETS.is_dir():
        pytest.skip(f"{BAD_ASSETS} is not available in this checkout")
    data = (BAD_ASSETS / name).read_bytes()

    # when measured
    read_glb(data)  # the container itself is fine
    with pytest.raises(GlbFormatError) as caught:
        compute_stats(data)

    # then the reason names the inconsistency
    assert reason in str(caught.value)
