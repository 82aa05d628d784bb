"""The ingest report: what was done to one input, stored as ``report.json`` next to the
outputs (its presence marks the work as done: the render cache)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from render_jobs.ingest.budgets import BudgetReport
from render_jobs.ingest.errors import IngestRejected
from render_jobs.ingest.measure import ModelSummary
from render_jobs.ingest.params import PIPELINE_VERSION, IngestParams

GLB_TYPE = "model/gltf-binary"
USDZ_TYPE = "model/vnd.usdz+zip"
JSON_TYPE = "application/json"
REPORT_NAME = "report.json"


class Artifact(BaseModel):
    """One stored output."""

    model_config = ConfigDict(frozen=True)

    key: str
    bytes: int
    content_type: str
    sha256: str


class Rejection(BaseModel):
    """Why an input was refused (the fields of ``IngestRejected``)."""

    model_config = ConfigDict(frozen=True)

    check: str
    where: str
    reason: str
    details: tuple[str, ...] = ()

    @classmethod
    def of(cls, error: IngestRejected) -> Rejection:
        """From the exception."""
        return cls(check=error.check, where=error.where, reason=error.reason, details=error.details)

    def error(self) -> IngestRejected:
        """As the exception."""
        return IngestRejected(self.check, self.where, self.reason, details=self.details)


class SourceInfo(BaseModel):
    """The input as received."""

    model_config = ConfigDict(frozen=True)

    name: str
    kind: str | None = None
    files: int
    bytes: int
    sha256: str


class LodReport(BaseModel):
    """One level of detail: the plain GLB and its compressed delivery variant."""

    model_config = ConfigDict(frozen=True)

    level: int
    ratio: float
    target_triangles: int
    glb: Artifact
    stats: ModelSummary
    delivery: Artifact
    delivery_stats: ModelSummary
    budget: BudgetReport


class UsdzReport(BaseModel):
    """The AR Quick Look package and what the USD validators said."""

    model_config = ConfigDict(frozen=True)

    artifact: Artifact
    valid: bool
    usd_version: str
    errors: tuple[str, ...]
    warnings: tuple[str, ...]
    validators: int
    notes: tuple[str, ...] = ()


class IngestReport(BaseModel):
    """Everything an ingest produced or why it produced nothing."""

    model_config = ConfigDict(frozen=True)

    key: str
    pipeline_version: str = PIPELINE_VERSION
    params: IngestParams
    source: SourceInfo
    verdict: Literal["accepted", "rejected"]
    rejection: Rejection | None = None
    unit_scale: float | None = None
    up_axis: str | None = None
    master: ModelSummary | None = None
    master_budget: BudgetReport | None = None
    lods: tuple[LodReport, ...] = ()
    usdz: UsdzReport | None = None
    khronos: dict[str, Any] | None = None
    notes: tuple[str, ...] = ()
    timings: dict[str, float] = Field(default_factory=dict)
    from_cache: bool = False

    @property
    def accepted(self) -> bool:
        """Whether outputs were produced."""
        return self.verdict == "accepted"

    @property
    def budget(self) -> BudgetReport | None:
        """The budgets of what web and mobile get: the compressed LOD 0."""
        return self.lods[0].budget if self.lods else None

    @property
    def bytes_before(self) -> int:
        """The input's size."""
        return self.source.bytes

    @property
    def bytes_after(self) -> int | None:
        """The compressed LOD 0's size."""
        return self.lods[0].delivery.bytes if self.lods else None

    @property
    def size_reduction(self) -> float | None:
        """How many times smaller the delivered LOD 0 is than the input."""
        after = self.bytes_after
        return self.bytes_before / after if after else None

    def artifacts(self) -> list[Artifact]:
        """Every stored output but the report itself."""
        found = [a for lod in self.lods for a in (lod.glb, lod.delivery)]
        if self.usdz is not None:
            found.append(self.usdz.artifact)
        return found

    def stored_key(self) -> str | None:
        """Where this report is stored: ``report.json`` in its outputs' folder (None for a
        report with no outputs)."""
        if not self.lods:
            return None
        return f"{self.lods[0].glb.key.rsplit('/', 1)[0]}/{REPORT_NAME}"

    def raise_for_rejection(self) -> IngestReport:
        """Raise ``IngestRejected`` if the input was refused; return self otherwise."""
        if self.rejection is not None:
            raise self.rejection.error()
        return self


def output_key(prefix: str, key: str, name: str) -> str:
    """``models/<key>/<name>``."""
    return f"{prefix.strip('/')}/{key}/{name}"
