"""Ingest parameters (they change the outputs, so they are part of the cache key) and limits
(they only bound the work, so they are not)."""

from __future__ import annotations

import json
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

# Bump when a change to the pipeline changes its outputs: every cached result is redone.
PIPELINE_VERSION = "ingest-2"

UpAxis = Literal["auto", "y", "z", "-z", "x"]


class IngestParams(BaseModel):
    """What the outputs depend on besides the input bytes.

    ``unit_scale`` is metres per source unit (0.001 for millimetres). When ``None``: glTF is
    metres by specification; OBJ and STL are taken as metres too, unless ``guess_units`` asks
    for the size heuristic (the largest extent over 100 units means millimetres, over 10
    means centimetres). ``up_axis`` names the source axis that points up: ``auto`` is +Y for
    glTF and OBJ and +Z for STL (the CAD convention).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    unit_scale: float | None = Field(default=None, gt=0, le=1000)
    guess_units: bool = False
    up_axis: UpAxis = "auto"
    lod_ratios: tuple[float, ...] = (1.0, 0.5, 0.25, 0.1)
    delivery_texture_px: int = Field(default=2048, ge=64, le=8192)
    """Largest texture side of LOD 0's delivery GLB; each further level halves it."""
    min_lod_texture_px: int = Field(default=256, ge=64, le=8192)
    """The halving stops here (or at ``delivery_texture_px``, if that is smaller)."""
    webp_quality: int = Field(default=85, ge=1, le=100)
    usdz: bool = True

    @field_validator("lod_ratios")
    @classmethod
    def _ratios(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        if not value or value[0] != 1.0:
            raise ValueError("lod_ratios must start with 1.0 (LOD 0 is the full master)")
        if any(not 0 < r <= 1 for r in value) or list(value) != sorted(value, reverse=True):
            raise ValueError("lod_ratios must be in (0, 1] and decreasing")
        if len(value) > 8:
            raise ValueError("at most 8 levels of detail")
        return value

    def texture_px(self, level: int) -> int:
        """Largest texture side of LOD ``level``'s delivery GLB: a far, small-on-screen level
        needs fewer texels, so each level halves LOD 0's size, down to the floor."""
        floor = min(self.min_lod_texture_px, self.delivery_texture_px)
        return max(self.delivery_texture_px >> level, floor)

    def cache_token(self) -> bytes:
        """Canonical bytes of these parameters plus the pipeline version, for the cache key."""
        payload = {"pipeline": PIPELINE_VERSION, "params": self.model_dump(mode="json")}
        return json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()


class IngestLimits(BaseModel):
    """Bounds on one ingest. Exceeding a size bound rejects the input with a typed reason;
    exceeding a sandbox bound rejects it with ``resource-limit``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_input_bytes: int = 256 * 2**20
    max_files: int = 512
    max_unzipped_bytes: int = 512 * 2**20
    max_zip_ratio: float = 100.0
    max_triangles: int = 5_000_000
    max_vertices: int = 10_000_000
    max_texture_px: int = 8192
    cpu_seconds: int = 120
    memory_bytes: int = 3 * 2**30
    wall_seconds: float = 300.0
    tool_cpu_seconds: int = 60
    tool_memory_bytes: int = 2 * 2**30
