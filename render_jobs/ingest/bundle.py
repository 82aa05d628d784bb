"""An ingest input as a set of files: the model plus the buffers, textures and material
libraries it references. Built in the worker process without parsing geometry: only the
references are looked up (leniently; the sandbox judges them strictly)."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from render_jobs.ingest.errors import IngestRejected
from render_jobs.ingest.params import IngestLimits, IngestParams
from render_jobs.ingest.paths import (
    is_data_uri,
    mtl_map_candidates,
    obj_mtllib_candidates,
    resolve_reference,
)
from render_jobs.ingest.sniff import Kind, kind_for_suffix, sniff

_MAX_DISCOVERY_JSON = 64 * 2**20
_MAX_DISCOVERY_TEXT = 64 * 2**20


@dataclass(frozen=True)
class Bundle:
    """``files`` maps root-relative POSIX paths to bytes; ``main`` is the model's path."""

    main: str
    files: Mapping[str, bytes]
    display_name: str

    @property
    def total_bytes(self) -> int:
        """Size of every file together."""
        return sum(len(data) for data in self.files.values())

    def content_digest(self) -> str:
        """SHA-256 of the files (names, lengths and bytes, in name order)."""
        digest = hashlib.sha256()
        digest.update(self.main.encode() + b"\x00")
        for name in sorted(self.files):
            data = self.files[name]
            digest.update(f"{name}\x00{len(data)}\x00".encode())
            digest.update(data)
        return digest.hexdigest()

    def cache_key(self, params: IngestParams) -> str:
        """sha256(input bytes + normalised parameters + pipeline version), hex."""
        digest = hashlib.sha256(b"vitrine-ingest\x00")
        digest.update(self.content_digest().encode())
        digest.update(params.cache_token())
        return digest.hexdigest()

    def write_to(self, directory: Path) -> Path:
        """Write the files under ``directory``; return the model's path."""
        for name, data in self.files.items():
            target = directory / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        return directory / self.main


def bundle_from_bytes(data: bytes, name: str, limits: IngestLimits) -> Bundle:
    """A single uploaded file (a model, or a ZIP of one with its resources)."""
    safe = PurePosixPath(name.replace("\\", "/")).name.replace("\x00", "") or "input"
    if safe in {".", ".."}:
        safe = "input"
    if len(data) > limits.max_input_bytes:
        raise IngestRejected(
            "size-limit", safe, f"{len(data)} bytes; the limit is {limits.max_input_bytes}"
        )
    return Bundle(main=safe, files={safe: data}, display_name=name)


def bundle_from_path(path: Path, limits: IngestLimits) -> Bundle:
    """A model file (with the files it references next to it) or a folder holding one."""
    if path.is_dir():
        root = path
        main = _find_model(root, limits)
    elif path.is_file():
        root, main = path.parent, path.name
    else:
        raise IngestRejected("missing-resource", str(path), "no such file or folder")
    reader = _Reader(root, limits)
    files = {main: reader.read(main)}
    for reference in _references(main, files[main], reader):
        if reference not in files and reader.available(reference):
            files[reference] = reader.read(reference)
    return Bundle(main=main, files=files, display_name=str(path))


class _Reader:
    """Reads regular files under ``root`` (never through a link that leaves it), counting
    bytes against the input limit."""

    def __init__(self, root: Path, limits: IngestLimits) -> None:
        self.root = root.resolve()
        self.limits = limits
        self.total = 0

    def available(self, relative: str) -> bool:
        target = (self.root / relative).resolve()
        return target.is_relative_to(self.root) and target.is_file()

    def read(self, relative: str) -> bytes:
        target = (self.root / relative).resolve()
        if not target.is_relative_to(self.root):
            raise IngestRejected("path-traversal", relative, "a link that leaves the folder")
        size = target.stat().st_size
        self.total += size
        if self.total > self.limits.max_input_bytes:
            raise IngestRejected(
                "size-limit",
                relative,
                f"the input reaches {self.total} bytes; the limit is {self.limits.max_input_bytes}",
            )
        return target.read_bytes()


def _find_model(root: Path, limits: IngestLimits) -> str:
    found: list[str] = []
    seen = 0
    for directory, folders, names in os.walk(root):
        folders[:] = sorted(f for f in folders if not f.startswith(".") and f != "__MACOSX")
        for name in sorted(names):
            seen += 1
            if seen > limits.max_files:
                raise IngestRejected(
                    "archive-contents", str(root), f"more than {limits.max_files} files"
                )
            if not name.startswith(".") and kind_for_suffix(name) is not None:
                found.append(Path(directory, name).relative_to(root).as_posix())
    if len(found) != 1:
        shown = ", ".join(found[:5]) + (", ..." if len(found) > 5 else "")
        what = "no model file" if not found else f"{len(found)} model files ({shown})"
        raise IngestRejected(
            "archive-contents",
            str(root),
            f"the folder must hold exactly one .glb, .gltf, .obj or .stl; it has {what}",
        )
    return found[0]


def _references(main: str, data: bytes, reader: _Reader) -> Iterator[str]:
    kind = sniff(data[:4096], len(data))
    base = str(PurePosixPath(main).parent)
    if kind is Kind.GLTF and len(data) <= _MAX_DISCOVERY_JSON:
        yield from _gltf_references(base, data)
    elif kind is Kind.OBJ and len(data) <= _MAX_DISCOVERY_TEXT:
        for library in _obj_libraries(base, data):
            yield library
            if reader.available(library):
                yield from _mtl_textures(library, reader.read(library))


def _gltf_references(base: str, data: bytes) -> Iterator[str]:
    try:
        gltf: Any = json.loads(data)
    except (ValueError, RecursionError):
        return
    if not isinstance(gltf, dict):
        return
    for key in ("buffers", "images"):
        items = gltf.get(key)
        for entry in items if isinstance(items, list) else []:
            uri = entry.get("uri") if isinstance(entry, dict) else None
            if isinstance(uri, str) and not is_data_uri(uri):
                yield from _safe(base, uri, uri=True)


def _obj_libraries(base: str, data: bytes) -> Iterator[str]:
    for line in data.decode("utf-8", "replace").splitlines():
        keyword, _, rest = line.strip().partition(" ")
        if keyword == "mtllib":
            for candidate in obj_mtllib_candidates(rest):
                yield from _safe(base, candidate, uri=False)


def _mtl_textures(library: str, data: bytes) -> Iterator[str]:
    base = str(PurePosixPath(library).parent)
    for line in data.decode("utf-8", "replace").splitlines():
        keyword, _, rest = line.strip().partition(" ")
        for candidate in mtl_map_candidates(keyword, rest):
            yield from _safe(base, candidate, uri=False)


def _safe(base: str, reference: str, *, uri: bool) -> Iterator[str]:
    try:
        yield resolve_reference(base, reference, reference, uri=uri)
    except IngestRejected:
        return  # judged (and reported) by the sandbox's checks
