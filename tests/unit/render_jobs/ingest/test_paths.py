"""resolve_reference: URIs and file names stay inside the asset's folder."""

from __future__ import annotations

import pytest

from render_jobs.ingest.errors import IngestRejected
from render_jobs.ingest.paths import mtl_map_candidates, resolve_reference


@pytest.mark.parametrize(
    ("base", "reference", "expected"),
    [
        ("", "model.bin", "model.bin"),
        ("", "textures/wood%20grain.png", "textures/wood grain.png"),
        ("sub", "../shared.bin", "shared.bin"),
        ("", "./a/./b.png", "a/b.png"),
    ],
)
def test_relative_references_resolve_inside_the_root(base, reference, expected):
    # when resolved / then the root-relative path comes back
    assert resolve_reference(base, reference, "/buffers/0/uri", uri=True) == expected


@pytest.mark.parametrize(
    "reference",
    [
        "../../../../etc/passwd",
        "..%2F..%2F..%2Fetc%2Fhostname",
        "/etc/shadow",
        "file:///etc/passwd",
        "http://example.com/model.bin",
        "https://example.com/model.bin",
        "C:/Windows/system.ini",
        "a\\..\\..\\b",
        "sub/../../outside.bin",
    ],
)
def test_escaping_or_remote_references_are_refused_as_path_traversal(reference):
    # when resolved
    with pytest.raises(IngestRejected) as caught:
        resolve_reference("", reference, "/images/0/uri", uri=True)

    # then the check and the place are named
    assert caught.value.check == "path-traversal"
    assert caught.value.where == "/images/0/uri"
    assert any(
        phrase in caught.value.reason
        for phrase in ("outside the asset", "URI scheme", "absolute path", "backslash")
    )


def test_mtl_texture_lines_yield_the_file_name_after_the_options():
    # when a map line with options and a name with a space is read
    candidates = mtl_map_candidates("map_Kd", "-s 1 1 1 -clamp on fuze uv.jpg")

    # then the name after the options comes first
    assert candidates[0] == "fuze uv.jpg"
    assert mtl_map_candidates("Kd", "1 1 1") == []
