"""Typed outcomes of an ingest that did not produce outputs.

``IngestRejected`` is the input's fault (a broken, hostile or unsupported file): the reason is
meant for the merchant who uploaded it. ``IngestFailed`` is the pipeline's fault (a tool is
missing or crashed): the reason is meant for an operator, and a retry may succeed.
"""

from __future__ import annotations

from typing import Any

# The checks an input can fail, in the order the pipeline runs them.
CHECKS: tuple[str, ...] = (
    "size-limit",  # the input (or an archive member) is larger than allowed
    "file-type",  # the content is not a 3D model (sniffed by magic bytes, not by name)
    "unsupported-format",  # a 3D format or feature this pipeline does not take (yet)
    "zip-bomb",  # archive sizes or compression ratios past the limits
    "archive-contents",  # archive or folder without exactly one model; encrypted members
    "path-traversal",  # a URI or archive path that leaves the asset's folder
    "missing-resource",  # a referenced buffer, image or MTL file is not there
    "glb-container",  # GLB header/chunk defects
    "gltf-structure",  # glTF JSON inconsistent: indices, accessor bounds, buffers
    "non-finite",  # NaN or infinite vertex data
    "obj-syntax",  # OBJ/MTL lines that do not parse
    "obj-index",  # OBJ face indices out of range
    "stl-structure",  # STL size/layout defects
    "texture",  # an image that is not PNG/JPEG/WebP or is too large
    "complexity-limit",  # more triangles/vertices than the pipeline accepts
    "empty-geometry",  # nothing to draw
    "khronos-validator",  # the Khronos glTF validator reported errors
    "resource-limit",  # the sandbox hit its CPU, memory or wall-clock limit
)


class IngestRejected(Exception):
    """The input was refused: which ``check`` failed, ``where`` in the file, and why.

    ``where`` is a JSON pointer for glTF content (``/accessors/0``), ``line N`` for OBJ/MTL,
    ``triangle N`` or ``byte N`` for STL, an archive member name, or ``file``.
    ``details`` holds further messages of the same check (e.g. every validator error).
    """

    def __init__(
        self, check: str, where: str, reason: str, *, details: tuple[str, ...] = ()
    ) -> None:
        if check not in CHECKS:
            raise ValueError(f"unknown ingest check {check!r}")
        self.check = check
        self.where = where
        self.reason = reason
        self.details = details
        super().__init__(self.message)

    @property
    def message(self) -> str:
        """One human-readable sentence."""
        return f"Rejected by the {self.check} check at {self.where}: {self.reason}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "check": self.check,
            "where": self.where,
            "reason": self.reason,
            "details": list(self.details),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> IngestRejected:
        """Inverse of ``to_dict``."""
        return cls(
            str(data["check"]),
            str(data["where"]),
            str(data["reason"]),
            details=tuple(str(d) for d in data.get("details", ())),
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_rejected, (self.to_dict(),))


def _rebuild_rejected(data: dict[str, Any]) -> IngestRejected:
    return IngestRejected.from_dict(data)


class IngestFailed(Exception):
    """The pipeline itself failed (missing tool, tool crash, storage error); retryable."""

    def __init__(self, stage: str, reason: str) -> None:
        self.stage = stage
        self.reason = reason
        super().__init__(f"Ingest failed during {stage}: {reason}")
