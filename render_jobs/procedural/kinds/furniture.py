"""Furniture: sofa, armchair, dining and side tables, bookshelf, bed."""

from __future__ import annotations

import itertools

import trimesh

from render_jobs.procedural.kinds.registry import Parts, kind
from render_jobs.procedural.shapes import (
    box,
    combine,
    cylinder,
    ellipsoid,
    frustum,
    moved,
    rounded_box,
)


def _seating(w: float, d: float, h: float, seats: int) -> Parts:
    leg_h = min(0.12, 0.14 * h)
    base_top = 0.5 * h - 0.07 * h
    arm_w = min(0.2, max(0.1, 0.09 * w))
    arm_h = 0.72 * h
    back_t = 0.2 * d
    legs = [
        frustum(0.024, 0.016, leg_h, (x * (w / 2 - 0.07), 0.0, z * (d / 2 - 0.07)), sections=16)
        for x in (-1, 1)
        for z in (-1, 1)
    ]
    frame = [
        rounded_box(
            w - 2 * arm_w + 0.02, base_top - leg_h, d, 0.02, (0.0, (leg_h + base_top) / 2, 0.0)
        ),
        rounded_box(w, h - leg_h, back_t, 0.04, (0.0, (leg_h + h) / 2, -d / 2 + back_t / 2)),
    ]
    for side in (-1, 1):
        x = side * (w / 2 - arm_w / 2)
        frame.append(rounded_box(arm_w, arm_h - leg_h, d, 0.05, (x, (leg_h + arm_h) / 2, 0.0)))
    inner = w - 2 * arm_w
    seat_w = inner / seats
    seat_d = d - back_t - 0.01
    seat_h = 0.14 * h
    cushions = []
    for i in range(seats):
        x = -inner / 2 + seat_w * (i + 0.5)
        seat_z = d / 2 - seat_d / 2 - 0.005
        cushions.append(
            rounded_box(seat_w - 0.01, seat_h, seat_d, 0.04, (x, base_top + seat_h / 2, seat_z))
        )
        back = rounded_box(seat_w - 0.02, 0.4 * h, 0.16 * d, 0.05)
        back_z = -d / 2 + back_t + 0.08 * d
        cushions.append(moved(back, (x, base_top + seat_h + 0.2 * h, back_z), rx=-10.0))
    return {"frame": combine(frame), "cushions": combine(cushions), "legs": combine(legs)}


@kind("sofa", "frame", "cushions", "legs")
def sofa(w: float, d: float, h: float) -> Parts:
    """Three-seater (two-seater below 1.8 m) with arms, back and loose cushions."""
    return _seating(w, d, h, seats=3 if w >= 1.8 else 2)


@kind("armchair", "frame", "cushions", "legs")
def armchair(w: float, d: float, h: float) -> Parts:
    """Single-seat version of the sofa."""
    return _seating(w, d, h, seats=1)


@kind("dining_table", "top", "legs")
def dining_table(w: float, d: float, h: float) -> Parts:
    """Rectangular table: rounded top over four square legs joined by an apron."""
    top_t = 0.035
    leg = 0.06
    inset = 0.05 + leg / 2
    leg_h = h - top_t
    legs = [
        box(leg, leg_h, leg, (x * (w / 2 - inset), leg_h / 2, z * (d / 2 - inset)))
        for x in (-1, 1)
        for z in (-1, 1)
    ]
    apron_y = leg_h - 0.05
    span_x, span_z = w - 2 * inset, d - 2 * inset
    legs += [box(span_x, 0.08, 0.02, (0.0, apron_y, z * span_z / 2)) for z in (-1, 1)]
    legs += [box(0.02, 0.08, span_z, (x * span_x / 2, apron_y, 0.0)) for x in (-1, 1)]
    top = rounded_box(w, top_t, d, 0.012, (0.0, h - top_t / 2, 0.0))
    return {"top": top, "legs": combine(legs)}


@kind("side_table", "top", "stem", "base")
def side_table(w: float, d: float, h: float) -> Parts:
    """Round pedestal table (width is the top's diameter)."""
    radius = w / 2
    top_t = 0.03
    base = frustum(0.6 * radius, 0.5 * radius, 0.025, sections=48)
    stem = cylinder(0.025, h - top_t - 0.025, (0.0, 0.025, 0.0), sections=24)
    top = cylinder(radius, top_t, (0.0, h - top_t, 0.0), sections=48)
    return {"top": top, "stem": stem, "base": base}


@kind("bookshelf", "frame", "shelves", "books")
def bookshelf(w: float, d: float, h: float) -> Parts:
    """Open bookcase with evenly spaced shelves, partly filled with books."""
    t = 0.022
    plinth = 0.06
    frame = [box(t, h, d, (x * (w / 2 - t / 2), h / 2, 0.0)) for x in (-1, 1)]
    frame.append(box(w - 2 * t, t, d, (0.0, h - t / 2, 0.0)))
    frame.append(box(w - 2 * t, plinth, d - 0.02, (0.0, plinth / 2, -0.01)))
    frame.append(box(w - 2 * t, h - plinth - t, 0.008, (0.0, (plinth + h - t) / 2, -d / 2 + 0.004)))
    levels = max(3, round((h - plinth) / 0.36))
    pitch = (h - plinth - t) / levels
    floors = [plinth + pitch * i for i in range(levels)]
    shelves = [box(w - 2 * t, t, d - 0.01, (0.0, y + t / 2, 0.005)) for y in floors[1:]]
    books = _books(w - 2 * t, d, floors, pitch, t)
    return {"frame": combine(frame), "shelves": combine(shelves), "books": combine(books)}


def _books(
    inner: float, d: float, floors: list[float], pitch: float, t: float
) -> list[trimesh.Trimesh]:
    widths = itertools.cycle((0.032, 0.024, 0.041, 0.019, 0.035, 0.028, 0.045))
    heights = itertools.cycle((0.8, 0.72, 0.86, 0.68, 0.78, 0.75, 0.83, 0.7))
    books = []
    clear = pitch - t
    for level, floor in enumerate(floors):
        x = -inner / 2 + 0.02 + (0.5 * inner if level % 2 else 0.0)
        limit = x + 0.45 * inner
        while True:
            width = next(widths)
            if x + width > limit:
                break
            height = min(next(heights) * clear, 0.32)
            depth = min(d - 0.04, 0.24)
            books.append(
                box(
                    width - 0.002,
                    height,
                    depth,
                    (x + width / 2, floor + t + height / 2, -d / 2 + 0.01 + depth / 2),
                )
            )
            x += width
    return books


@kind("bed", "frame", "headboard", "mattress", "bedding", "pillows")
def bed(w: float, d: float, h: float) -> Parts:
    """Upholstered bed: base, tall headboard, mattress, duvet and two pillows."""
    head_t = 0.08
    base_top = 0.32
    legs = [
        cylinder(0.025, 0.06, (x * (w / 2 - 0.08), 0.0, z * (d / 2 - 0.1)), sections=16)
        for x in (-1, 1)
        for z in (-1, 1)
    ]
    frame = combine(
        [
            rounded_box(
                w, base_top - 0.06, d - head_t, 0.03, (0.0, (0.06 + base_top) / 2, head_t / 2)
            ),
            *legs,
        ]
    )
    headboard = rounded_box(w, h, head_t, 0.03, (0.0, h / 2, -d / 2 + head_t / 2))
    mat_w, mat_d = w - 0.06, d - head_t - 0.04
    mat_top = base_top + 0.2
    mattress = rounded_box(mat_w, 0.2, mat_d, 0.05, (0.0, base_top + 0.1, head_t / 2 - 0.01))
    duvet_d = 0.68 * mat_d
    bedding = rounded_box(
        mat_w + 0.04, 0.06, duvet_d, 0.03, (0.0, mat_top + 0.01, d / 2 - 0.02 - duvet_d / 2)
    )
    pillow_z = -d / 2 + head_t + 0.2
    double = w >= 1.2
    pillow_rx = 0.2 * mat_w if double else 0.3 * mat_w
    pillow_xs = (-0.25 * mat_w, 0.25 * mat_w) if double else (0.0,)
    pillows = combine(
        [ellipsoid(pillow_rx, 0.07, 0.17, (x, mat_top + 0.06, pillow_z)) for x in pillow_xs]
    )
    return {
        "frame": frame,
        "headboard": headboard,
        "mattress": mattress,
        "bedding": bedding,
        "pillows": pillows,
    }
