"""GLB container: strict reading of malformed bytes and deterministic writing."""

from __future__ import annotations

import struct

import pytest

from render_jobs.glb import CHUNK_BIN, CHUNK_JSON, GlbFormatError, read_glb, write_glb
from tests.unit.render_jobs.samples import raw_glb, triangle_asset

JSON_OK = b'{"asset":{"version":"2.0"}}     '  # 32 bytes, space padded


def test_write_then_read_round_trips_json_and_binary():
    # given a glTF document with a 3-byte payload (needs padding)
    gltf = {"asset": {"version": "2.0"}, "buffers": [{"byteLength": 3}]}

    # when it is written and read back
    data = write_glb(gltf, b"\x01\x02\x03")
    parsed, binary = read_glb(data)

    # then the header, padding and content are as the spec requires
    assert data[:4] == b"glTF"
    assert struct.unpack_from("<II", data, 4) == (2, len(data))
    assert len(data) % 4 == 0
    assert parsed == gltf
    assert binary == b"\x01\x02\x03\x00"


def test_write_pads_json_with_spaces_and_bin_with_zeros():
    # given a document whose JSON is not a multiple of 4 bytes
    data = write_glb({"a": 1}, b"\xff")

    # when the chunks are inspected
    json_length, json_type = struct.unpack_from("<II", data, 12)
    json_chunk = data[20 : 20 + json_length]
    bin_length, bin_type = struct.unpack_from("<II", data, 20 + json_length)
    bin_chunk = data[28 + json_length :]

    # then JSON is space padded and BIN zero padded to 4 bytes
    assert (json_type, bin_type) == (CHUNK_JSON, CHUNK_BIN)
    assert json_chunk == b'{"a":1} '
    assert (bin_length, bin_chunk) == (4, b"\xff\x00\x00\x00")


def test_write_omits_empty_bin_chunk():
    # given no binary payload
    # when written
    data = write_glb({"asset": {"version": "2.0"}})

    # then only the JSON chunk follows the header
    json_length = struct.unpack_from("<I", data, 12)[0]
    assert len(data) == 12 + 8 + json_length
    assert read_glb(data)[1] == b""


def test_unknown_chunk_types_are_ignored():
    # given a GLB with an extension chunk after the BIN chunk
    data = raw_glb(JSON_OK, ((CHUNK_BIN, b"abcd"), (0x12345678, b"1234")))

    # when read
    gltf, binary = read_glb(data)

    # then the unknown chunk is skipped
    assert gltf == {"asset": {"version": "2.0"}}
    assert binary == b"abcd"


def test_real_asset_round_trips_byte_for_byte():
    # given a GLB produced by write_glb from a triangle asset
    gltf, binary = triangle_asset()
    data = write_glb(gltf, binary)

    # when it is read and written again
    again = write_glb(*read_glb(data))

    # then nothing changes
    assert again == data


def _patched(data: bytes, offset: int, value: int) -> bytes:
    """``data`` with the uint32 at ``offset`` replaced (to forge lying length fields)."""
    return data[:offset] + struct.pack("<I", value) + data[offset + 4 :]


GOOD = raw_glb(JSON_OK, ((CHUNK_BIN, b"abcd"),))  # 12 + 8 + 32 + 8 + 4 = 64 bytes


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "file is empty"),
        (b"glTF\x02\x00", "shorter than the 12-byte GLB header"),
        (b"gLTF" + GOOD[4:], "bad magic b'gLTF'"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 16, "bad magic b'\\x89PNG'"),
        (_patched(GOOD, 4, 1), "unsupported GLB version 1"),
        (GOOD[:-8], "truncated: header declares 64 bytes but the file has only 56"),
        (_patched(GOOD, 8, 10_000_000), "header declares 10000000 bytes but the file has only 64"),
        (GOOD + b"\x00" * 4, "length mismatch: header declares 64 bytes but the file has 68"),
        (_patched(GOOD, 12, 0xFFFFFFF0), "chunk overflow: chunk 0 declares 4294967280 bytes"),
        (_patched(GOOD, 52, 0xFFFFFFF0), "chunk overflow: chunk 1 declares 4294967280 bytes"),
        (_patched(GOOD, 52, 2), "chunk 1 length 2 is not a multiple of 4"),
        (_patched(GOOD, 16, CHUNK_BIN), "the first chunk must be the JSON chunk"),
        (raw_glb(JSON_OK, ((CHUNK_JSON, JSON_OK),)), "more than one JSON chunk"),
        (raw_glb(b"[1, 2]  "), "must hold a JSON object"),
        (raw_glb(b"{oops}  "), "not valid JSON"),
        (raw_glb(b'{"a":NaN}   '), "non-standard number NaN"),
        (raw_glb(b'{"a":"\xff"}   '), "not valid UTF-8"),
    ],
)
def test_malformed_bytes_raise_glb_format_error_with_reason(data: bytes, reason: str):
    # given malformed GLB bytes
    # when read
    with pytest.raises(GlbFormatError) as caught:
        read_glb(data)

    # then the error is a ValueError that says what is wrong
    assert isinstance(caught.value, ValueError)
    assert reason in str(caught.value)


def test_chunk_header_cut_off_is_reported():
    # given a valid JSON chunk followed by 4 stray bytes (half a chunk header)
    data = raw_glb(JSON_OK) + b"\x00" * 4
    data = data[:8] + struct.pack("<I", len(data)) + data[12:]

    # when read
    with pytest.raises(GlbFormatError, match="chunk 1 header is cut off"):
        read_glb(data)
