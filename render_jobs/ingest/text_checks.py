"""Streaming checks of OBJ (+MTL) and STL inputs: every index in range, every number finite,
sizes bounded, and every referenced file inside the asset's folder. Nothing is built in memory
beyond counters, so a huge file costs time (bounded by the sandbox) but not memory."""

from __future__ import annotations

import math
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import BinaryIO

import numpy as np

from render_jobs.ingest.errors import IngestRejected
from render_jobs.ingest.images import check_image
from render_jobs.ingest.params import IngestLimits
from render_jobs.ingest.paths import mtl_map_candidates, obj_mtllib_candidates, resolve_reference

_MAX_LINE = 1 << 20
_STL_TRIANGLE = np.dtype(
    [("normal", "<f4", (3,)), ("vertices", "<f4", (3, 3)), ("attribute", "<u2")]
)


@dataclass
class MeshSummary:
    """What the checks learnt: counts, the files used, and warnings for the report."""

    vertices: int = 0
    triangles: int = 0
    libraries: list[str] = field(default_factory=list)
    textures: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _lines(stream: BinaryIO, name: str) -> Iterator[tuple[int, str]]:
    number = 0
    while True:
        raw = stream.readline(_MAX_LINE + 1)
        if not raw:
            return
        number += 1
        if len(raw) > _MAX_LINE:
            raise IngestRejected(
                "obj-syntax", f"{name} line {number}", f"longer than {_MAX_LINE} bytes"
            )
        yield number, raw.decode("utf-8", "replace").strip()


def _floats(values: list[str], count: int, where: str, what: str) -> None:
    if len(values) < count:
        raise IngestRejected("obj-syntax", where, f"{what} needs {count} numbers")
    for value in values:
        try:
            number = float(value)
        except ValueError as error:
            raise IngestRejected(
                "obj-syntax", where, f"{what} has {value!r}, not a number"
            ) from error
        if not math.isfinite(number):
            raise IngestRejected("non-finite", where, f"{what} has the value {value}")


def _index(token: str, count: int, where: str, what: str) -> None:
    try:
        index = int(token)
    except ValueError as error:
        raise IngestRejected(
            "obj-syntax", where, f"{what} index {token!r} is not an integer"
        ) from error
    if index == 0:
        raise IngestRejected("obj-index", where, f"{what} index 0 is invalid (OBJ counts from 1)")
    resolved = index if index > 0 else count + index + 1
    if not 1 <= resolved <= count:
        raise IngestRejected(
            "obj-index",
            where,
            f"{what} index {index} is out of range: {count} defined so far",
        )


def check_obj(path: Path, root: Path, main: str, limits: IngestLimits) -> MeshSummary:
    """Check an OBJ file and the MTL libraries and textures it names."""
    summary = MeshSummary()
    counts = {"v": 0, "vt": 0, "vn": 0}
    base = str(PurePosixPath(main).parent)
    with path.open("rb") as stream:
        for number, line in _lines(stream, main):
            if not line or line.startswith("#"):
                continue
            keyword, _, rest = line.partition(" ")
            where = f"line {number}"
            values = rest.split()
            if keyword == "v":
                _floats(values, 3, where, "vertex")
                counts["v"] += 1
                if counts["v"] > limits.max_vertices:
                    raise IngestRejected(
                        "complexity-limit", where, f"more than {limits.max_vertices} vertices"
                    )
            elif keyword == "vt":
                _floats(values, 1, where, "texture coordinate")
                counts["vt"] += 1
            elif keyword == "vn":
                _floats(values, 3, where, "normal")
                counts["vn"] += 1
            elif keyword in {"f", "l", "p"}:
                minimum = {"f": 3, "l": 2, "p": 1}[keyword]
                if len(values) < minimum:
                    raise IngestRejected(
                        "obj-syntax", where, f"'{keyword}' needs at least {minimum} vertices"
                    )
                for token in values:
                    parts = token.split("/")
                    if len(parts) > 3 or not parts[0]:
                        raise IngestRejected("obj-syntax", where, f"bad vertex reference {token!r}")
                    _index(parts[0], counts["v"], where, "vertex")
                    if len(parts) > 1 and parts[1]:
                        _index(parts[1], counts["vt"], where, "texture coordinate")
                    if len(parts) > 2 and parts[2]:
                        _index(parts[2], counts["vn"], where, "normal")
                if keyword == "f":
                    summary.triangles += len(values) - 2
                    if summary.triangles > limits.max_triangles:
                        raise IngestRejected(
                            "complexity-limit", where, f"more than {limits.max_triangles} triangles"
                        )
            elif keyword == "mtllib":
                _library(obj_mtllib_candidates(rest), base, root, where, summary, limits)
    summary.vertices = counts["v"]
    if summary.triangles == 0:
        raise IngestRejected("empty-geometry", main, "the OBJ file has no faces")
    return summary


def _library(
    candidates: list[str],
    base: str,
    root: Path,
    where: str,
    summary: MeshSummary,
    limits: IngestLimits,
) -> None:
    resolved = [resolve_reference(base, c, where, uri=False) for c in candidates]
    present = [r for r in resolved if (root / r).is_file()]
    if not present:
        summary.notes.append(f"material library {candidates[0]!r} ({where}) is missing")
        return
    library = present[0]
    if library in summary.libraries:
        return
    summary.libraries.append(library)
    _check_mtl(root, library, summary, limits)


def _check_mtl(root: Path, library: str, summary: MeshSummary, limits: IngestLimits) -> None:
    base = str(PurePosixPath(library).parent)
    with (root / library).open("rb") as stream:
        for number, line in _lines(stream, library):
            keyword, _, rest = line.partition(" ")
            candidates = mtl_map_candidates(keyword, rest)
            if not candidates:
                continue
            where = f"{library} line {number}"
            resolved = [resolve_reference(base, c, where, uri=False) for c in candidates]
            present = [r for r in resolved if (root / r).is_file()]
            if not present:
                summary.notes.append(f"texture {candidates[0]!r} ({where}) is missing")
                continue
            if present[0] not in summary.textures:
                check_image((root / present[0]).read_bytes(), where, limits.max_texture_px)
                summary.textures.append(present[0])


def check_stl(path: Path, main: str, binary: bool, limits: IngestLimits) -> MeshSummary:
    """Check a binary STL (size formula, finite coordinates) or an ASCII one (structure)."""
    return _check_binary_stl(path, main, limits) if binary else _check_ascii_stl(path, main, limits)


def _check_binary_stl(path: Path, main: str, limits: IngestLimits) -> MeshSummary:
    size = path.stat().st_size
    with path.open("rb") as stream:
        header = stream.read(84)
        if len(header) < 84:
            raise IngestRejected("stl-structure", "header", f"{size} bytes is shorter than 84")
        (count,) = struct.unpack_from("<I", header, 80)
        if 84 + 50 * count != size:
            raise IngestRejected(
                "stl-structure",
                "header",
                f"declares {count} triangles ({84 + 50 * count} bytes) but the file has {size}",
            )
        if count == 0:
            raise IngestRejected("empty-geometry", main, "the STL file has no triangles")
        if count > limits.max_triangles:
            raise IngestRejected(
                "complexity-limit",
                "header",
                f"{count} triangles; the limit is {limits.max_triangles}",
            )
        done = 0
        while done < count:
            batch = min(count - done, 1 << 16)
            triangles = np.frombuffer(stream.read(50 * batch), dtype=_STL_TRIANGLE)
            finite = np.isfinite(triangles["vertices"]).all(axis=(1, 2))
            if not finite.all():
                bad = done + int(np.argmin(finite))
                raise IngestRejected(
                    "non-finite", f"triangle {bad}", "a vertex coordinate is NaN or infinite"
                )
            done += batch
    return MeshSummary(vertices=3 * count, triangles=count)


def _check_ascii_stl(path: Path, main: str, limits: IngestLimits) -> MeshSummary:
    vertices = facets = 0
    with path.open("rb") as stream:
        for number, line in _lines(stream, main):
            keyword, _, rest = line.partition(" ")
            where = f"line {number}"
            if keyword == "facet":
                facets += 1
                if facets > limits.max_triangles:
                    raise IngestRejected(
                        "complexity-limit", where, f"more than {limits.max_triangles} triangles"
                    )
            elif keyword == "vertex":
                values = rest.split()
                if len(values) != 3:
                    raise IngestRejected("stl-structure", where, "a vertex needs 3 numbers")
                try:
                    numbers = [float(v) for v in values]
                except ValueError as error:
                    raise IngestRejected(
                        "stl-structure", where, f"not a number: {error}"
                    ) from error
                if not all(math.isfinite(n) for n in numbers):
                    raise IngestRejected(
                        "non-finite", where, "a vertex coordinate is NaN or infinite"
                    )
                vertices += 1
            elif keyword == "endfacet" and vertices != 3 * facets:
                raise IngestRejected("stl-structure", where, "a facet must have exactly 3 vertices")
    if facets == 0:
        raise IngestRejected("empty-geometry", main, "the STL file has no facets")
    if vertices != 3 * facets:
        raise IngestRejected("stl-structure", main, "a facet must have exactly 3 vertices")
    return MeshSummary(vertices=vertices, triangles=facets)
