"""Asset ingest: validate (sandboxed), normalise to a GLB master, LODs, compressed delivery
GLBs, USDZ, budgets, all stored under content-hash keys (the render cache).

Public API::

    report = await ingest_file(path_or_bytes, IngestParams(unit_scale=0.001), blobs)
    report.verdict, report.rejection, report.lods, report.budget, report.usdz
    validate_file(path_or_bytes)            # checks only; raises IngestRejected

The names below load on first use, so the sandbox process (``python -m
render_jobs.ingest.sandbox``) starts without importing the worker side.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from render_jobs.ingest.budgets import BudgetCheck, BudgetReport
    from render_jobs.ingest.errors import CHECKS, IngestFailed, IngestRejected
    from render_jobs.ingest.job import ingest_file, ingest_file_sync, validate_file
    from render_jobs.ingest.measure import ModelSummary
    from render_jobs.ingest.params import PIPELINE_VERSION, IngestLimits, IngestParams
    from render_jobs.ingest.pipeline import ValidationSummary
    from render_jobs.ingest.report import (
        Artifact,
        IngestReport,
        LodReport,
        Rejection,
        SourceInfo,
        UsdzReport,
    )

_WHERE = {
    "BudgetCheck": "budgets",
    "BudgetReport": "budgets",
    "CHECKS": "errors",
    "IngestFailed": "errors",
    "IngestRejected": "errors",
    "ingest_file": "job",
    "ingest_file_sync": "job",
    "validate_file": "job",
    "ModelSummary": "measure",
    "PIPELINE_VERSION": "params",
    "IngestLimits": "params",
    "IngestParams": "params",
    "ValidationSummary": "pipeline",
    "Artifact": "report",
    "IngestReport": "report",
    "LodReport": "report",
    "Rejection": "report",
    "SourceInfo": "report",
    "UsdzReport": "report",
}

__all__ = [
    "CHECKS",
    "PIPELINE_VERSION",
    "Artifact",
    "BudgetCheck",
    "BudgetReport",
    "IngestFailed",
    "IngestLimits",
    "IngestParams",
    "IngestRejected",
    "IngestReport",
    "LodReport",
    "ModelSummary",
    "Rejection",
    "SourceInfo",
    "UsdzReport",
    "ValidationSummary",
    "ingest_file",
    "ingest_file_sync",
    "validate_file",
]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'render_jobs.ingest' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"render_jobs.ingest.{_WHERE[name]}"), name)
    globals()[name] = value
    return value
