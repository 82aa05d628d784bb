"""Validation before parsing: what the input really is and whether it is safe to process.

Runs inside the sandbox (see ``sandbox``). Returns a ``ValidatedInput`` pointing at the
model on disk, or raises ``IngestRejected`` with the check that failed and where.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from render_jobs.gltf_stats import ModelStats
from render_jobs.ingest.archive import extract_zip, find_model
from render_jobs.ingest.errors import IngestRejected
from render_jobs.ingest.gltf_checks import check_gltf, parse_gltf_json, read_container
from render_jobs.ingest.params import IngestLimits
from render_jobs.ingest.sniff import IMAGE_KINDS, Kind, describe, kind_for_suffix, sniff
from render_jobs.ingest.text_checks import check_obj, check_stl

_HEAD = 4096


@dataclass
class ValidatedInput:
    """A model that passed the structural checks.

    ``root`` is the folder its references resolve in and ``main`` its root-relative path.
    glTF/GLB inputs come packed as one self-contained GLB (``glb``) with their ``stats``.
    """

    kind: Kind
    root: Path
    main: str
    glb: bytes | None = None
    stats: ModelStats | None = None
    triangles: int = 0
    texture_sizes: tuple[tuple[int, int], ...] = ()
    notes: list[str] = field(default_factory=list)

    @property
    def path(self) -> Path:
        """The model file."""
        return self.root / self.main


def validate_input(root: Path, main: str, scratch: Path, limits: IngestLimits) -> ValidatedInput:
    """Check the model ``root/main`` (unpacking it first when it is a ZIP under ``scratch``)."""
    path = root / main
    size = path.stat().st_size
    if size > limits.max_input_bytes:
        raise IngestRejected(
            "size-limit", main, f"{size} bytes; the limit is {limits.max_input_bytes}"
        )
    with path.open("rb") as stream:
        head = stream.read(_HEAD)
    kind = sniff(head, size)
    if kind is Kind.ZIP:
        unpacked = scratch / "unzipped"
        unpacked.mkdir(parents=True, exist_ok=True)
        model = find_model(extract_zip(path, unpacked, limits), main)
        inner = validate_input(unpacked, model, scratch / "inner", limits)
        if inner.kind is Kind.ZIP:
            raise IngestRejected("archive-contents", model, "nested archives are not accepted")
        return inner
    _check_kind(kind, main, head)
    if kind is Kind.GLB:
        gltf, binary = read_container(path.read_bytes())
        return _gltf_input(kind, root, main, gltf, binary, limits)
    if kind is Kind.GLTF:
        return _gltf_input(kind, root, main, parse_gltf_json(path.read_bytes()), None, limits)
    if kind is Kind.OBJ:
        summary = check_obj(path, root, main, limits)
        return ValidatedInput(kind, root, main, triangles=summary.triangles, notes=summary.notes)
    summary = check_stl(path, main, kind is Kind.STL_BINARY, limits)
    return ValidatedInput(kind, root, main, triangles=summary.triangles)


def _check_kind(kind: Kind, main: str, head: bytes) -> None:
    claimed = kind_for_suffix(main)
    suffix = PurePosixPath(main).suffix.lower()
    if kind in {Kind.GLB, Kind.GLTF, Kind.OBJ, Kind.STL_BINARY, Kind.STL_ASCII}:
        return
    if kind in {Kind.USDZ, Kind.USD}:
        raise IngestRejected(
            "unsupported-format",
            main,
            f"the content is {describe(kind)}; USD input is not supported yet "
            "(upload GLB, glTF, OBJ or STL; USDZ is produced for you)",
        )
    if kind is Kind.UNKNOWN and claimed is Kind.GLB:
        # Let the container reader say precisely what is wrong with the header.
        read_container(head if len(head) < _HEAD else head[:12] + b"\x00" * 8)
    if kind is Kind.UNKNOWN and claimed is Kind.STL_BINARY and len(head) >= 84:
        raise IngestRejected(
            "stl-structure",
            "header",
            "neither an ASCII STL nor a binary one whose size matches its triangle count",
        )
    named = f" although it is named {suffix}" if suffix else ""
    signature = f" (first bytes {head[:8].hex(' ')})" if head else ""
    if kind in IMAGE_KINDS:
        reason = f"the content is {describe(kind)}{signature}, not a 3D model{named}"
    elif kind is Kind.EMPTY:
        reason = "the file is empty"
    else:
        reason = (
            f"the content is {describe(kind)}{signature}{named}; expected GLB, glTF, OBJ or STL"
        )
    raise IngestRejected("file-type", main, reason)


def _gltf_input(
    kind: Kind,
    root: Path,
    main: str,
    gltf: dict[str, object],
    binary: bytes | None,
    limits: IngestLimits,
) -> ValidatedInput:
    def read_file(relative: str, where: str) -> bytes:
        target = root / relative
        if not target.is_file():
            raise IngestRejected("missing-resource", where, f"{relative!r} is not in the upload")
        if target.stat().st_size > limits.max_input_bytes:
            raise IngestRejected("size-limit", where, f"{relative!r} is too large")
        return target.read_bytes()

    checked = check_gltf(gltf, binary, str(PurePosixPath(main).parent), read_file, limits)
    return ValidatedInput(
        kind,
        root,
        main,
        glb=checked.glb,
        stats=checked.stats,
        triangles=checked.stats.triangle_count,
        texture_sizes=checked.texture_sizes,
    )
