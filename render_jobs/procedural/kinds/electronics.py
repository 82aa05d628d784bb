"""Electronics and desk accessories (front faces +Z)."""

from __future__ import annotations

import numpy as np

from render_jobs.procedural.kinds.registry import Parts, kind
from render_jobs.procedural.shapes import (
    arc,
    box,
    combine,
    cylinder,
    moved,
    revolved,
    rounded_box,
    slab,
    tube,
)


@kind("speaker", "cabinet", "grille", "drivers")
def speaker(w: float, d: float, h: float) -> Parts:
    """Bookshelf speaker: cabinet, fabric-wrapped front, woofer cone and tweeter dome."""
    baffle_t = 0.012
    cabinet_d = d - baffle_t - 0.006
    cabinet = rounded_box(w, h, cabinet_d, 0.012, (0.0, h / 2, -d / 2 + cabinet_d / 2))
    front = -d / 2 + cabinet_d
    baffle = rounded_box(w - 0.01, h - 0.01, baffle_t, 0.004, (0.0, h / 2, front + baffle_t / 2))
    face = front + baffle_t
    woofer_r = 0.38 * w
    woofer_y = 0.36 * h
    cone = [
        (0.0, -0.004),
        (woofer_r * 0.25, -0.004),
        (woofer_r, 0.006),
        (woofer_r * 1.04, 0.006),
        (woofer_r * 1.04, 0.0),
        (0.0, 0.0),
    ]
    woofer = moved(revolved(cone, sections=40), (0.0, woofer_y, face), rx=90.0)
    tweeter_r = 0.12 * w
    dome = (
        [(0.0, 0.006)]
        + [
            (float(tweeter_r * np.cos(a)), float(0.006 * np.sin(a)))
            for a in np.linspace(np.pi / 2, 0.0, 6)[1:]
        ]
        + [(0.0, 0.0)]
    )
    tweeter = moved(revolved(dome, sections=32), (0.0, 0.78 * h, face), rx=90.0)
    return {"cabinet": cabinet, "grille": baffle, "drivers": combine([woofer, tweeter])}


@kind("headphones", "headband", "cups", "cushions")
def headphones(w: float, d: float, h: float) -> Parts:
    """Over-ear headphones standing on their ear cups (depth is the cup diameter)."""
    cup_t = 0.2 * w
    cup_r = d / 2
    band_r = 0.008
    span = w / 2 - cup_t / 2
    center_y = h - span - band_r
    cup_top = 2 * cup_r * 0.85
    path = np.vstack(
        [
            [(-span, cup_top, 0.0)],
            arc((0.0, center_y, 0.0), span, 180.0, 0.0, steps=32),
            [(span, cup_top, 0.0)],
        ]
    )
    band = tube(path, band_r, (0.0, 0.0, 1.0), sections=12)
    cups, cushions = [], []
    for side in (-1, 1):
        outer_x = side * w / 2
        cup = cylinder(cup_r, 0.6 * cup_t, sections=40)
        cups.append(moved(cup, (outer_x - side * 0.6 * cup_t, cup_r, 0.0), rz=-90.0 * side))
        pad = cylinder(cup_r * 0.9, 0.4 * cup_t, sections=40)
        cushions.append(moved(pad, (outer_x - side * cup_t, cup_r, 0.0), rz=-90.0 * side))
    return {"headband": band, "cups": combine(cups), "cushions": combine(cushions)}


@kind("smartwatch", "case", "screen", "strap", "crown")
def smartwatch(w: float, d: float, h: float) -> Parts:
    """Watch lying flat with its strap stretched out along Z (depth is the strap length)."""
    crown_len = 0.004
    case_w = w - crown_len
    case_d = min(0.05, 0.3 * d)
    glass_t = 0.0015
    case_h = h - glass_t
    x0 = -crown_len / 2
    case = rounded_box(case_w, case_h, case_d, 0.008, (x0, case_h / 2, 0.0))
    screen = rounded_box(case_w * 0.86, glass_t * 2, case_d * 0.86, 0.006, (x0, case_h, 0.0))
    strap_len = (d - case_d) / 2 + 0.004
    strap = combine(
        [
            rounded_box(
                0.8 * case_w,
                0.0035,
                strap_len,
                0.0015,
                (x0, 0.0035 / 2, z * (d / 2 - strap_len / 2)),
            )
            for z in (-1, 1)
        ]
    )
    crown = moved(
        cylinder(0.0035, crown_len + 0.002, sections=20), (w / 2, case_h * 0.55, 0.006), rz=90.0
    )
    return {"case": case, "screen": screen, "strap": strap, "crown": crown}


@kind("desk_phone_stand", "base", "support", "lip")
def desk_phone_stand(w: float, d: float, h: float) -> Parts:
    """Aluminium phone stand: base plate, reclined back support and a front lip."""
    plate = 0.008
    t = 0.008
    base = rounded_box(w, plate, d, 0.004, (0.0, plate / 2, 0.0))
    foot_z = d / 2 - 0.035
    support = slab(
        -0.4 * w,
        0.4 * w,
        [(foot_z, plate), (foot_z - t * 1.2, plate), (-d / 2, h), (-d / 2 + t * 1.2, h)],
    )
    lip = slab(
        -0.4 * w,
        0.4 * w,
        [
            (foot_z + 0.002, plate),
            (foot_z + 0.012, plate),
            (foot_z + 0.016, plate + 0.016),
            (foot_z + 0.006, plate + 0.016),
        ],
    )
    return {"base": base, "support": support, "lip": lip}


@kind("laptop_stand", "sides", "platform", "pads")
def laptop_stand(w: float, d: float, h: float) -> Parts:
    """Two triangular side plates carrying an inclined platform with grip pads."""
    t = 0.006
    low, high = 0.04, h - t
    sides = combine(
        [
            slab(
                x * (w / 2) - (t if x > 0 else 0.0),
                x * (w / 2) + (t if x < 0 else 0.0),
                [(d / 2, 0.0), (-d / 2, 0.0), (-d / 2, high), (d / 2, low)],
            )
            for x in (-1, 1)
        ]
    )
    platform = slab(
        -w / 2 + t, w / 2 - t, [(d / 2, low), (-d / 2, high), (-d / 2, high + t), (d / 2, low + t)]
    )
    slope = (high - low) / d
    pads = []
    for frac in (0.2, 0.8):
        z = d / 2 - frac * d
        y = low + t + (d / 2 - z) * slope
        pad = box(w - 2 * t - 0.04, 0.003, 0.02, (0.0, 0.0, 0.0))
        pads.append(moved(pad, (0.0, y, z), rx=-float(np.degrees(np.arctan(slope)))))
    lip = box(w - 2 * t, 0.015, t, (0.0, low + t + 0.0075, d / 2 - t / 2))
    pads.append(lip)
    return {"sides": sides, "platform": platform, "pads": combine(pads)}
