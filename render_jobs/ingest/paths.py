"""Relative references inside an asset (glTF URIs, OBJ ``mtllib``, MTL ``map_*``), checked so
that nothing outside the asset's own folder is ever read."""

from __future__ import annotations

import posixpath
import re
from urllib.parse import unquote

from render_jobs.ingest.errors import IngestRejected

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")
_MTL_MAPS = frozenset(
    {
        "map_kd",
        "map_ka",
        "map_ks",
        "map_ns",
        "map_d",
        "map_bump",
        "bump",
        "norm",
        "map_pr",
        "map_pm",
        "map_ke",
        "disp",
        "decal",
        "refl",
    }
)


def resolve_reference(base_dir: str, reference: str, where: str, *, uri: bool) -> str:
    """Resolve ``reference`` (relative to ``base_dir``, both POSIX, relative to the asset
    root) to a normalised root-relative path, or raise ``IngestRejected('path-traversal')``.

    glTF URIs (``uri=True``) are percent-decoded first, so ``..%2F`` is caught too. Schemes
    (``file:``, ``http:``, drive letters), absolute paths, backslashes and paths that climb
    out of the root are refused.
    """
    text = unquote(reference) if uri else reference
    if _SCHEME.match(reference) or _SCHEME.match(text):
        raise IngestRejected(
            "path-traversal", where, f"{reference!r} uses a URI scheme; only relative paths"
        )
    if "\x00" in text or "\\" in text:
        raise IngestRejected("path-traversal", where, f"{reference!r} has a NUL or backslash")
    if text.startswith("/"):
        raise IngestRejected("path-traversal", where, f"{reference!r} is an absolute path")
    joined = posixpath.normpath(posixpath.join(base_dir, text)) if text else ""
    if not text or joined in {".", ""}:
        raise IngestRejected("missing-resource", where, "empty reference")
    if joined == ".." or joined.startswith("../"):
        raise IngestRejected(
            "path-traversal", where, f"{reference!r} points outside the asset's folder"
        )
    return joined


def is_data_uri(uri: str) -> bool:
    """Whether a glTF URI embeds its bytes (``data:...;base64,...``)."""
    return uri.startswith("data:")


def obj_mtllib_candidates(rest: str) -> list[str]:
    """File names an ``mtllib`` line may mean: the whole rest (names with spaces), then each
    whitespace-separated name."""
    rest = rest.strip()
    names = [rest] if rest else []
    return names + [token for token in rest.split() if token != rest]


def mtl_map_candidates(keyword: str, rest: str) -> list[str]:
    """File names a texture line (``map_Kd -s 1 1 1 wood grain.png``) may mean."""
    if keyword.lower() not in _MTL_MAPS:
        return []
    rest = rest.strip()
    tokens = rest.split()
    # Options come first (-o u v w, -bm 1...); the file name is what follows the last one.
    index = 0
    while index < len(tokens) and tokens[index].startswith("-"):
        index += 1
        while index < len(tokens) and _is_number(tokens[index]):
            index += 1
    tail = " ".join(tokens[index:])
    names = [n for n in (tail, rest) if n]
    if tokens and tokens[-1] not in names:
        names.append(tokens[-1])
    return names


def _is_number(token: str) -> bool:
    try:
        float(token)
    except ValueError:
        return token.lower() in {"on", "off"}
    return True
