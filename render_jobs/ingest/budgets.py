"""The Khronos 3D Commerce budgets for a web/mobile single item, as pass/warn/fail.

Limits (Khronos 3D Commerce asset creation guidelines, web and mobile, single product):
file size at most 3 MB (3,000,000 bytes), at most 150,000 triangles, fewer than 20 draw
calls, textures at most 2048 px a side. A value at or above ``WARN_AT`` (80%) of its limit
warns: the asset passes but has little headroom left.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, computed_field

Verdict = Literal["pass", "warn", "fail"]
WARN_AT = 0.8
PROFILE = "khronos-3d-commerce-web-mobile"
_ORDER: dict[Verdict, int] = {"pass": 0, "warn": 1, "fail": 2}


class BudgetCheck(BaseModel):
    """One budget: the measured value against its limit."""

    model_config = ConfigDict(frozen=True)

    name: str
    actual: int
    limit: int
    inclusive: bool
    unit: str
    verdict: Verdict

    @property
    def sentence(self) -> str:
        """'triangles: 39,936 of at most 150,000 (27%) - pass'."""
        bound = "at most" if self.inclusive else "under"
        share = self.actual / self.limit if self.limit else 0.0
        return (
            f"{self.name}: {self.actual:,} {self.unit} of {bound} {self.limit:,} "
            f"({share:.0%}) - {self.verdict}"
        )


class BudgetReport(BaseModel):
    """Every budget for one artifact; the verdict is the worst of them."""

    model_config = ConfigDict(frozen=True)

    profile: str = PROFILE
    artifact: str
    checks: tuple[BudgetCheck, ...]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def verdict(self) -> Verdict:
        """``fail`` if any budget fails, else ``warn`` if any warns, else ``pass``."""
        worst: Verdict = "pass"
        for check in self.checks:
            if _ORDER[check.verdict] > _ORDER[worst]:
                worst = check.verdict
        return worst

    def check(self, name: str) -> BudgetCheck:
        """The budget called ``name``."""
        return next(c for c in self.checks if c.name == name)


def judge(actual: int, limit: int, *, inclusive: bool = True) -> Verdict:
    """``fail`` past the limit (at it, for an exclusive one), ``warn`` from 80% of it."""
    over = actual > limit if inclusive else actual >= limit
    if over:
        return "fail"
    return "warn" if actual >= WARN_AT * limit else "pass"


def evaluate(
    artifact: str,
    *,
    file_bytes: int,
    triangles: int,
    draw_calls: int,
    max_texture_px: int,
) -> BudgetReport:
    """The web/mobile single-item budgets of one artifact."""
    rows = (
        ("file size", file_bytes, 3_000_000, True, "bytes"),
        ("triangles", triangles, 150_000, True, "triangles"),
        ("draw calls", draw_calls, 20, False, "draw calls"),
        ("texture size", max_texture_px, 2048, True, "px"),
    )
    return BudgetReport(
        artifact=artifact,
        checks=tuple(
            BudgetCheck(
                name=name,
                actual=actual,
                limit=limit,
                inclusive=inclusive,
                unit=unit,
                verdict=judge(actual, limit, inclusive=inclusive),
            )
            for name, actual, limit, inclusive, unit in rows
        ),
    )
