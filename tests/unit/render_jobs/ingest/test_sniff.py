"""sniff: content kinds from magic bytes, never from names."""

from __future__ import annotations

import struct

import pytest

from render_jobs.ingest.sniff import Kind, kind_for_suffix, sniff
from tests.unit.render_jobs.ingest.builders import png_bytes, textured_glb, zip_bytes


def _sniff(data: bytes) -> Kind:
    return sniff(data[:4096], len(data))


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"", Kind.EMPTY),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 20, Kind.JPEG),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", Kind.WEBP),
        (b"GIF89a" + b"\x00" * 10, Kind.GIF),
        (b"\x1f\x8b\x08\x00", Kind.GZIP),
        (b"%PDF-1.7\n", Kind.PDF),
        (b"PXR-USDC" + b"\x00" * 8, Kind.USD),
        (b'  {"asset": {"version": "2.0"}}', Kind.GLTF),
        (b"# exported\nmtllib a.mtl\no cube\nv 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n", Kind.OBJ),
        (b"newmtl wood\nKd 1 1 1\n", Kind.MTL),
        (b"solid part\n facet normal 0 0 1\n  outer loop\n", Kind.STL_ASCII),
        (b"hello, this is just some text\nand more\n", Kind.UNKNOWN),
    ],
)
def test_sniff_recognises_content_by_its_first_bytes(data, kind):
    # when sniffed / then the kind follows the bytes
    assert _sniff(data) is kind


def test_png_and_glb_are_told_apart_whatever_their_names():
    # given a real PNG and a real GLB
    # when sniffed / then the names play no part
    assert _sniff(png_bytes()) is Kind.PNG
    assert _sniff(textured_glb()) is Kind.GLB
    assert kind_for_suffix("png_named.glb") is Kind.GLB


def test_binary_stl_is_detected_by_its_size_even_when_the_header_says_solid():
    # given a binary STL whose 80-byte header starts with "solid" (common in CAD exports)
    data = b"solid binary".ljust(80, b" ") + struct.pack("<I", 2) + b"\x00" * 100

    # when sniffed / then the size formula 84 + 50 n wins
    assert _sniff(data) is Kind.STL_BINARY


def test_zip_whose_first_member_is_a_usd_layer_is_usdz():
    # given a USDZ-like archive and a plain ZIP
    usdz = zip_bytes({"scene.usdc": b"PXR-USDC", "tex.png": b"x"})
    plain = zip_bytes({"model.gltf": b"{}"})

    # when sniffed / then they differ
    assert _sniff(usdz) is Kind.USDZ
    assert _sniff(plain) is Kind.ZIP
