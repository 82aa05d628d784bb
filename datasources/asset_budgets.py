"""An asset's performance budgets, read from its ingest's ``report.json`` in the asset bucket.

The ingest pipeline judges every delivered LOD against the Khronos 3D Commerce web/mobile
budgets and stores the verdicts in its report (``render_jobs.ingest.report``); the gateway
reads them back from the JSON, without importing the pipeline.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import orjson

from datasources.errors import NotFound
from datasources.ports import BlobStore

log = logging.getLogger("vitrine.asset_budgets")


class BudgetVerdict(StrEnum):
    """How a value compares with its budget: within it, within 20% of it, or over it."""

    PASS = "PASS"
    WARN = "WARN"
    FAIL = "FAIL"


@dataclass(frozen=True, slots=True)
class BudgetCheckRecord:
    """One budget of one delivered file: the measured value against its limit."""

    name: str
    actual: int
    limit: int
    unit: str
    inclusive: bool
    verdict: BudgetVerdict


@dataclass(frozen=True, slots=True)
class LodBudgetRecord:
    """The budgets of one level of detail's delivered GLB."""

    level: int
    verdict: BudgetVerdict
    checks: tuple[BudgetCheckRecord, ...]


@dataclass(frozen=True, slots=True)
class AssetBudgetRecord:
    """An asset's budgets: LOD 0 (what web and mobile load first) decides the verdict."""

    profile: str
    verdict: BudgetVerdict
    checks: tuple[BudgetCheckRecord, ...]
    lods: tuple[LodBudgetRecord, ...]


def _checks(raw: dict[str, Any]) -> tuple[BudgetCheckRecord, ...]:
    return tuple(
        BudgetCheckRecord(
            name=str(check["name"]),
            actual=int(check["actual"]),
            limit=int(check["limit"]),
            unit=str(check["unit"]),
            inclusive=bool(check["inclusive"]),
            verdict=BudgetVerdict(str(check["verdict"]).upper()),
        )
        for check in raw["checks"]
    )


def budget_from_report(report: bytes) -> AssetBudgetRecord | None:
    """The budgets in an ingest report's JSON; None when it has no delivered LOD (a
    rejection). ValueError or KeyError when it is not an ingest report."""
    raw: Any = orjson.loads(report)
    lods = [
        LodBudgetRecord(
            level=int(lod["level"]),
            verdict=BudgetVerdict(str(lod["budget"]["verdict"]).upper()),
            checks=_checks(lod["budget"]),
        )
        for lod in raw.get("lods") or ()
    ]
    if not lods:
        return None
    first = raw["lods"][0]["budget"]
    return AssetBudgetRecord(
        profile=str(first["profile"]),
        verdict=lods[0].verdict,
        checks=lods[0].checks,
        lods=tuple(lods),
    )


async def _budget_at(blobs: BlobStore, key: str) -> AssetBudgetRecord | None:
    try:
        return budget_from_report(await blobs.get(key))
    except NotFound:
        return None
    except (ValueError, KeyError, TypeError) as error:
        log.warning("ingest report %s is unreadable: %r", key, error)
        return None


async def budgets_by_report_keys(
    blobs: BlobStore, keys: Sequence[str]
) -> list[AssetBudgetRecord | None]:
    """The budgets in the reports at ``keys`` (one GetObject each, concurrently), None
    where a report is missing or unreadable."""
    return list(await asyncio.gather(*(_budget_at(blobs, key) for key in keys)))
