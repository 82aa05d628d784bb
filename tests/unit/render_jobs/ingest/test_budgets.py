"""Khronos 3D Commerce web/mobile budgets: pass, warn from 80%, fail past the limit."""

from __future__ import annotations

import pytest

from render_jobs.ingest.budgets import evaluate, judge


@pytest.mark.parametrize(
    ("actual", "limit", "inclusive", "verdict"),
    [
        (100, 150, True, "pass"),
        (120, 150, True, "warn"),
        (150, 150, True, "warn"),
        (151, 150, True, "fail"),
        (15, 20, False, "pass"),
        (16, 20, False, "warn"),
        (19, 20, False, "warn"),
        (20, 20, False, "fail"),
    ],
)
def test_judge_thresholds(actual, limit, inclusive, verdict):
    # when judged / then warn starts at 80% and an exclusive limit fails when reached
    assert judge(actual, limit, inclusive=inclusive) == verdict


def test_report_lists_every_budget_and_takes_the_worst_verdict():
    # given a 2.5 MB model with 40k triangles, 20 draw calls and 4K textures
    report = evaluate(
        "models/k/delivery-lod0.glb",
        file_bytes=2_500_000,
        triangles=40_000,
        draw_calls=20,
        max_texture_px=4096,
    )

    # then each budget has its own verdict and the report the worst one
    assert [(c.name, c.verdict) for c in report.checks] == [
        ("file size", "warn"),
        ("triangles", "pass"),
        ("draw calls", "fail"),
        ("texture size", "fail"),
    ]
    assert report.verdict == "fail"
    assert report.check("file size").limit == 3_000_000
    assert report.check("triangles").sentence == (
        "triangles: 40,000 triangles of at most 150,000 (27%) - pass"
    )
    assert report.model_dump()["verdict"] == "fail"
