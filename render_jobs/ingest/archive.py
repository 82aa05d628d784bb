"""Safe extraction of a ZIP upload (a glTF with its buffers and textures, or an OBJ with its
MTL and textures): member names stay inside the folder, links and encrypted members are
refused, and sizes and compression ratios are bounded before and during inflation."""

from __future__ import annotations

import os
import stat
import zipfile
from pathlib import Path, PurePosixPath

from render_jobs.ingest.errors import IngestRejected
from render_jobs.ingest.params import IngestLimits
from render_jobs.ingest.paths import resolve_reference
from render_jobs.ingest.sniff import kind_for_suffix

_CHUNK = 1 << 20
_SMALL_MEMBER = 1 << 20  # members below this may compress better than the ratio limit


def extract_zip(archive: Path, destination: Path, limits: IngestLimits) -> list[str]:
    """Extract ``archive`` under ``destination``; return the extracted root-relative paths."""
    zip_size = archive.stat().st_size
    try:
        with zipfile.ZipFile(archive) as bundle:
            members = bundle.infolist()
            _check_members(members, zip_size, limits)
            written: list[str] = []
            for member in members:
                if member.is_dir():
                    continue
                name = resolve_reference("", member.filename, member.filename, uri=False)
                target = destination / name
                target.parent.mkdir(parents=True, exist_ok=True)
                _inflate(bundle, member, target)
                written.append(name)
            return written
    except zipfile.BadZipFile as error:
        raise IngestRejected(
            "archive-contents", "archive", f"not a readable ZIP: {error}"
        ) from error
    except (NotImplementedError, RuntimeError) as error:
        # Unsupported compression method, or an encrypted member that slipped through.
        raise IngestRejected("archive-contents", "archive", str(error)) from error


def _check_members(members: list[zipfile.ZipInfo], zip_size: int, limits: IngestLimits) -> None:
    if len(members) > limits.max_files:
        raise IngestRejected(
            "archive-contents",
            "archive",
            f"{len(members)} members; the limit is {limits.max_files}",
        )
    total = 0
    names: set[str] = set()
    for member in members:
        where = member.filename
        if member.flag_bits & 0x1:
            raise IngestRejected("archive-contents", where, "encrypted members are not accepted")
        mode = member.external_attr >> 16
        if stat.S_ISLNK(mode):
            raise IngestRejected("path-traversal", where, "symbolic links are not accepted")
        name = resolve_reference("", member.filename, where, uri=False)
        if name.lower() in names:
            raise IngestRejected("archive-contents", where, "the name appears twice")
        names.add(name.lower())
        total += member.file_size
        if member.file_size > _SMALL_MEMBER and member.file_size > limits.max_zip_ratio * max(
            member.compress_size, 1
        ):
            raise IngestRejected(
                "zip-bomb",
                where,
                f"inflates {member.compress_size} bytes to {member.file_size} "
                f"(more than {limits.max_zip_ratio:g}:1)",
            )
    if total > limits.max_unzipped_bytes:
        raise IngestRejected(
            "zip-bomb",
            "archive",
            f"the members add up to {total} bytes; the limit is {limits.max_unzipped_bytes}",
        )
    if total > _SMALL_MEMBER and total > limits.max_zip_ratio * max(zip_size, 1):
        raise IngestRejected(
            "zip-bomb",
            "archive",
            f"{zip_size} bytes inflate to {total} (more than {limits.max_zip_ratio:g}:1)",
        )


def _inflate(bundle: zipfile.ZipFile, member: zipfile.ZipInfo, target: Path) -> None:
    """Copy one member, never writing more than its declared size."""
    written = 0
    with bundle.open(member) as source, target.open("wb") as sink:
        while chunk := source.read(_CHUNK):
            written += len(chunk)
            if written > member.file_size:
                raise IngestRejected(
                    "zip-bomb", member.filename, "inflates past the size its header declares"
                )
            sink.write(chunk)


def find_model(paths: list[str], where: str) -> str:
    """The one model file among ``paths`` (hidden files and __MACOSX ignored)."""
    models = [
        p
        for p in paths
        if kind_for_suffix(p) is not None
        and not any(part.startswith(".") or part == "__MACOSX" for part in PurePosixPath(p).parts)
    ]
    if len(models) != 1:
        names = sorted(models)
        shown = ", ".join(names[:5]) + (", ..." if len(names) > 5 else "")
        what = "none" if not models else f"{len(models)}: {shown}"
        raise IngestRejected(
            "archive-contents",
            where,
            f"expected exactly one .glb, .gltf, .obj or .stl model; found {what}",
        )
    return models[0]


def list_files(root: Path) -> list[str]:
    """Root-relative POSIX paths of the regular files under ``root``."""
    found: list[str] = []
    for directory, _, names in os.walk(root):
        found.extend(Path(directory, n).relative_to(root).as_posix() for n in names)
    return sorted(found)
