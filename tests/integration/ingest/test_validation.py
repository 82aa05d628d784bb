"""Validation before parsing, in-process: every hostile input gets a typed reason."""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path

import pytest

from render_jobs.glb import write_glb
from render_jobs.ingest.errors import IngestRejected
from render_jobs.ingest.params import IngestLimits
from render_jobs.ingest.sniff import Kind
from render_jobs.ingest.validate import ValidatedInput, validate_input
from tests.integration.ingest.conftest import BAD_ASSETS, BAD_FILES, needs_assets
from tests.unit.render_jobs.ingest.builders import (
    gltf_json,
    png_bytes,
    textured_glb,
    textured_quad,
    zip_bytes,
)

LIMITS = IngestLimits()


def _validate(root: Path, name: str, limits: IngestLimits = LIMITS) -> ValidatedInput:
    return validate_input(root, name, root / ".scratch", limits)


def _rejected(root: Path, name: str, limits: IngestLimits = LIMITS) -> IngestRejected:
    with pytest.raises(IngestRejected) as caught:
        _validate(root, name, limits)
    return caught.value


@needs_assets
def test_every_bad_file_has_an_expectation():
    # given the bad/ folder / then every file in it is covered here
    present = {p.name for p in BAD_ASSETS.iterdir() if p.suffix != ".py"}
    assert present == set(BAD_FILES)


@needs_assets
@pytest.mark.parametrize(("name", "expected"), sorted(BAD_FILES.items()))
def test_bad_files_are_rejected_with_the_check_and_place(name, expected, tmp_path):
    # when a hostile file is validated
    error = _rejected(BAD_ASSETS, name, LIMITS.model_copy())

    # then the check and the place are the expected ones, with a readable message
    assert (error.check, error.where) == expected
    assert error.message.startswith(f"Rejected by the {expected[0]} check at {expected[1]}: ")
    assert len(error.reason) > 10


def _write(tmp_path: Path, name: str, data: bytes) -> str:
    (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / name).write_bytes(data)
    return name


def test_gltf_with_external_buffer_and_texture_is_packed_into_one_glb(tmp_path):
    # given a .gltf whose buffer and texture are separate files, one name with a space
    gltf, binary = textured_quad(uri="tex%20ture.png")
    gltf["buffers"][0]["uri"] = "quad.bin"
    _write(tmp_path, "quad.bin", binary)
    _write(tmp_path, "tex ture.png", png_bytes(16, 16))
    name = _write(tmp_path, "quad.gltf", gltf_json(gltf))

    # when validated
    result = _validate(tmp_path, name)

    # then it is accepted as one self-contained GLB
    assert result.kind is Kind.GLTF
    assert result.stats is not None
    assert result.stats.triangle_count == 2
    assert result.texture_sizes == ((16, 16),)
    assert result.glb is not None
    assert result.glb[:4] == b"glTF"


@pytest.mark.parametrize(
    ("uri", "check"),
    [
        ("http://example.com/quad.bin", "path-traversal"),
        ("file:///etc/passwd", "path-traversal"),
        ("/etc/passwd", "path-traversal"),
        ("missing.bin", "missing-resource"),
    ],
)
def test_remote_absolute_and_missing_buffers_are_refused(tmp_path, uri, check):
    # given a .gltf whose buffer URI is remote, absolute or absent
    gltf, _ = textured_quad(png_bytes())
    gltf["buffers"][0]["uri"] = uri
    name = _write(tmp_path, "quad.gltf", gltf_json(gltf))

    # when validated / then the buffer's URI is named
    error = _rejected(tmp_path, name)
    assert (error.check, error.where) == (check, "/buffers/0/uri")


def test_texture_that_is_not_an_image_is_refused(tmp_path):
    # given a GLB whose "PNG" is a PDF
    name = _write(tmp_path, "quad.glb", textured_glb(b"%PDF-1.4 not an image"))

    # when validated / then the image is named
    error = _rejected(tmp_path, name)
    assert (error.check, error.where) == ("texture", "/images/0")
    assert "PDF" in error.reason


def test_oversized_texture_is_refused(tmp_path):
    name = _write(tmp_path, "quad.glb", textured_glb(png_bytes(300, 20)))

    error = _rejected(tmp_path, name, IngestLimits(max_texture_px=256))

    assert (error.check, error.where) == ("texture", "/images/0")
    assert "300x20 px" in error.reason


def test_meshopt_compressed_input_is_unsupported(tmp_path):
    gltf, binary = textured_quad(png_bytes())
    gltf["extensionsUsed"] = gltf["extensionsRequired"] = ["EXT_meshopt_compression"]
    name = _write(tmp_path, "packed.glb", write_glb(gltf, binary))

    error = _rejected(tmp_path, name)

    assert (error.check, error.where) == ("unsupported-format", "/extensionsUsed")


def test_zip_with_gltf_buffer_and_texture_is_unpacked_and_accepted(tmp_path):
    # given a ZIP of a .gltf in a subfolder with its .bin and texture
    gltf, binary = textured_quad(uri="tex.png")
    gltf["buffers"][0]["uri"] = "quad.bin"
    archive = zip_bytes(
        {"model/quad.gltf": gltf_json(gltf), "model/quad.bin": binary, "model/tex.png": png_bytes()}
    )
    name = _write(tmp_path, "upload.zip", archive)

    # when validated / then the model inside is found and packed
    result = _validate(tmp_path, name)
    assert (result.kind, result.main) == (Kind.GLTF, "model/quad.gltf")
    assert result.stats is not None
    assert result.stats.texture_count == 1


def test_zip_bomb_is_refused_by_ratio_before_inflating(tmp_path):
    # given 64 MiB of zeros compressed to about 64 KiB
    name = _write(tmp_path, "bomb.zip", zip_bytes({"model.obj": b"\x00" * (64 << 20)}))

    # when validated / then the ratio limit stops it
    error = _rejected(tmp_path, name)
    assert (error.check, error.where) == ("zip-bomb", "model.obj")
    assert not (tmp_path / ".scratch" / "unzipped" / "model.obj").exists()


def test_zip_total_size_limit(tmp_path):
    name = _write(
        tmp_path, "big.zip", zip_bytes({"a.glb": b"a" * 5000}, compression=zipfile.ZIP_STORED)
    )

    error = _rejected(tmp_path, name, IngestLimits(max_unzipped_bytes=4096))

    assert (error.check, error.where) == ("zip-bomb", "archive")


@pytest.mark.parametrize("member", ["../evil.glb", "/abs/evil.glb", "a/../../evil.glb"])
def test_zip_slip_member_names_are_refused(tmp_path, member):
    buffer = tmp_path / "slip.zip"
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo(member), textured_glb())

    error = _rejected(tmp_path, "slip.zip")

    assert (error.check, error.where) == ("path-traversal", member)
    assert not (tmp_path.parent / "evil.glb").exists()


def test_zip_symlink_member_is_refused(tmp_path):
    info = zipfile.ZipInfo("model.glb")
    info.external_attr = 0o120777 << 16
    with zipfile.ZipFile(tmp_path / "link.zip", "w") as archive:
        archive.writestr(info, "/etc/passwd")

    error = _rejected(tmp_path, "link.zip")

    assert (error.check, error.where) == ("path-traversal", "model.glb")


@pytest.mark.parametrize(
    ("members", "reason"),
    [
        ({"readme.txt": b"hello"}, "found none"),
        ({"a.glb": b"x", "b.obj": b"v 0 0 0"}, "found 2: a.glb, b.obj"),
    ],
)
def test_zip_must_hold_exactly_one_model(tmp_path, members, reason):
    name = _write(tmp_path, "many.zip", zip_bytes(members))

    error = _rejected(tmp_path, name)

    assert (error.check, error.where) == ("archive-contents", "many.zip")
    assert reason in error.reason


def test_usdz_input_is_unsupported_for_now(tmp_path):
    name = _write(tmp_path, "chair.usdz", zip_bytes({"chair.usdc": b"PXR-USDC", "t.png": b"x"}))

    error = _rejected(tmp_path, name)

    assert error.check == "unsupported-format"
    assert "USD input is not supported yet" in error.reason


@pytest.mark.parametrize(
    ("text", "check", "where"),
    [
        (b"v 0 0 0\nv 1 0 0\nv 0 1 0\nv nan 0 0\nf 1 2 3\n", "non-finite", "line 4"),
        (b"v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 -4\n", "obj-index", "line 4"),
        (b"v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1/1 2 3\n", "obj-index", "line 4"),
        (b"v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 x\n", "obj-syntax", "line 4"),
        (b"mtllib ../../etc/passwd\nv 0 0 0\n", "path-traversal", "line 1"),
        (b"v 0 0 0\nv 1 0 0\n", "empty-geometry", "m.obj"),
    ],
)
def test_obj_defects_name_the_line(tmp_path, text, check, where):
    name = _write(tmp_path, "m.obj", text)

    error = _rejected(tmp_path, name)

    assert (error.check, error.where) == (check, where)


def test_obj_with_mtl_and_texture_is_accepted(tmp_path):
    _write(tmp_path, "wood grain.png", png_bytes())
    _write(tmp_path, "m.mtl", b"newmtl wood\nKd 1 1 1\nmap_Kd wood grain.png\n")
    name = _write(
        tmp_path,
        "m.obj",
        b"mtllib m.mtl\nv 0 0 0\nv 1 0 0\nv 0 1 0\nvt 0 0\nusemtl wood\nf 1/1 2/1 3/1\n",
    )

    result = _validate(tmp_path, name)

    assert (result.kind, result.triangles, result.notes) == (Kind.OBJ, 1, [])


def _stl(triangles: list[tuple[float, ...]]) -> bytes:
    body = b"".join(struct.pack("<12fH", 0, 0, 1, *t, 0) for t in triangles)
    return b"binary stl".ljust(80) + struct.pack("<I", len(triangles)) + body


def test_stl_checks(tmp_path):
    good = _write(tmp_path, "ok.stl", _stl([(0, 0, 0, 1, 0, 0, 0, 1, 0)]))
    nan = _write(
        tmp_path,
        "nan.stl",
        _stl([(0, 0, 0, 1, 0, 0, 0, 1, 0), (0, 0, 0, float("inf"), 0, 0, 0, 1, 0)]),
    )
    short = _write(tmp_path, "short.stl", _stl([(0, 0, 0, 1, 0, 0, 0, 1, 0)])[:-10])

    assert _validate(tmp_path, good).triangles == 1
    assert (_rejected(tmp_path, nan).check, _rejected(tmp_path, nan).where) == (
        "non-finite",
        "triangle 1",
    )
    assert (_rejected(tmp_path, short).check, _rejected(tmp_path, short).where) == (
        "stl-structure",
        "header",
    )
