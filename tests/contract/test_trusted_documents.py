"""The trusted-documents manifest is current with client_examples/operations."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.persisted_queries import (
    DEFAULT_MANIFEST,
    OPERATIONS_DIR,
    build_manifest,
    document_hash,
    load_manifest,
    render_manifest,
)


def test_committed_manifest_is_current() -> None:
    # given the operations as they are now
    expected = render_manifest(build_manifest(OPERATIONS_DIR))
    # then the committed manifest is byte for byte what `vitrine schema trusted-documents` writes
    assert DEFAULT_MANIFEST.read_text() == expected, (
        "client_examples/trusted-documents.json is stale: run `vitrine schema trusted-documents`"
    )


def test_manifest_holds_every_operation_by_its_sha256() -> None:
    # when the manifest is loaded
    manifest = load_manifest(DEFAULT_MANIFEST)
    # then each operation file is in it under the sha256 of its exact text
    files = sorted(OPERATIONS_DIR.glob("*.graphql"))
    assert len(manifest) == len(files)
    for path in files:
        assert manifest[document_hash(path.read_text())] == path.read_text()


def test_tampered_manifest_is_refused(tmp_path: Path) -> None:
    # given a manifest whose document no longer matches its hash
    path = tmp_path / "manifest.json"
    path.write_text(render_manifest({document_hash("{ a }"): "{ b }"}))
    # when it is loaded, then it is refused by name
    with pytest.raises(ValueError, match="is not a manifest of sha256 -> document"):
        load_manifest(path)
