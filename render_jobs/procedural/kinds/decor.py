"""Decor: vase, planter, mirror, rug."""

from __future__ import annotations

import numpy as np
import trimesh

from render_jobs.procedural.kinds.registry import Parts, kind
from render_jobs.procedural.shapes import (
    arc,
    box,
    combine,
    cylinder,
    ellipsoid,
    frustum,
    moved,
    rounded_box,
    scaling,
    shell,
    tube,
)


@kind("vase", "body", "band")
def vase(w: float, d: float, h: float) -> Parts:
    """Hollow amphora-like vase with a decorative band at the shoulder."""
    r = w / 2
    ys = np.linspace(0.0, 1.0, 16)
    radii = r * (0.62 + 0.38 * np.sin(np.pi * np.clip(ys * 1.25, 0.0, 1.0)) - 0.06 * ys)
    radii[-3:] = np.maximum(radii[-3:], 0.56 * r)
    radii *= 0.985 * r / radii.max()
    outer = [(0.0, 0.0)] + [(float(a), float(b * h)) for a, b in zip(radii, ys, strict=True)]
    body = shell(outer, max(0.004, 0.03 * r), sections=48)
    band_y = 0.62 * h
    band_r = float(np.interp(band_y, ys * h, radii))
    ring = arc((0.0, band_y, 0.0), band_r, 0.0, 360.0, plane="xz", steps=48)[:-1]
    band = tube(ring, 0.012 * w, (0.0, 1.0, 0.0), closed=True, sections=10)
    return {"body": body, "band": band}


@kind("planter", "pot", "soil", "foliage")
def planter(w: float, d: float, h: float) -> Parts:
    """Tapered pot with soil and a rounded shrub (width is the foliage spread)."""
    pot_h = 0.42 * h
    top_r = 0.36 * w
    pot = shell([(0.0, 0.0), (0.75 * top_r, 0.0), (top_r, pot_h), (top_r * 1.04, pot_h)], 0.012)
    soil = cylinder(top_r * 0.95, 0.01, (0.0, pot_h * 0.88, 0.0), sections=32)
    spread = w / 2
    crown_base = pot_h * 0.88
    crown_h = h - crown_base
    low_size, mid_size, top_size = 0.3 * spread, 0.3 * spread, 0.36 * spread
    leaves = [ellipsoid(top_size, 0.8 * top_size, top_size, (0.0, h - 0.8 * top_size, 0.0))]
    for count, radius, size, y, offset in (
        (8, spread - low_size, low_size, crown_base + 0.3 * crown_h, 0.0),
        (4, 0.5 * spread, mid_size, crown_base + 0.6 * crown_h, np.pi / 4),
    ):
        for i in range(count):
            angle = offset + 2.0 * np.pi * i / count
            at = (float(radius * np.cos(angle)), float(y), float(radius * np.sin(angle)))
            leaves.append(ellipsoid(size, 0.8 * size, size, at))
    return {"pot": pot, "soil": soil, "foliage": combine(leaves)}


@kind("mirror", "frame", "glass")
def mirror(w: float, d: float, h: float) -> Parts:
    """Full-length rectangular mirror: moulded frame around a recessed glass."""
    bar = min(0.06, 0.1 * w)
    frame = [rounded_box(bar, h, d, 0.008, (x * (w / 2 - bar / 2), h / 2, 0.0)) for x in (-1, 1)]
    frame += [rounded_box(w, bar, d, 0.008, (0.0, y, 0.0)) for y in (bar / 2, h - bar / 2)]
    frame.append(box(w - bar, h - bar, 0.006, (0.0, h / 2, -d / 2 + 0.003)))
    glass = box(w - 2 * bar + 0.01, h - 2 * bar + 0.01, 0.005, (0.0, h / 2, -d / 2 + 0.0085))
    return {"frame": combine(frame), "glass": glass}


@kind("rug", "field", "border", "pattern")
def rug(w: float, d: float, h: float) -> Parts:
    """Flat rectangular rug: woven field, border and a raised centre medallion."""
    border = min(0.12, 0.08 * min(w, d))
    pile = h * 0.85
    edges = [box(w, pile, border, (0.0, pile / 2, z * (d / 2 - border / 2))) for z in (-1, 1)]
    edges += [
        box(border, pile, d - 2 * border, (x * (w / 2 - border / 2), pile / 2, 0.0))
        for x in (-1, 1)
    ]
    field = box(w - 2 * border, pile, d - 2 * border, (0.0, pile / 2, 0.0))
    motifs = [_diamond(0.25 * w, 0.25 * d, h, (0.0, 0.0))]
    corner_x, corner_z = w / 2 - border - 0.1 * w, d / 2 - border - 0.1 * d
    size = 0.05 * min(w, d)
    motifs += [
        _diamond(size, size, h, (x * corner_x, z * corner_z)) for x in (-1, 1) for z in (-1, 1)
    ]
    return {"field": field, "border": combine(edges), "pattern": combine(motifs)}


def _diamond(half_x: float, half_z: float, h: float, at: tuple[float, float]) -> trimesh.Trimesh:
    """Flat rhombus, slightly above the floor so it reads as a raised motif."""
    shape = frustum(1.0, 1.0, h - 0.001, (0.0, 0.001, 0.0), sections=4)
    shape.apply_transform(scaling(half_x, 1.0, half_z))
    return moved(shape, (at[0], 0.0, at[1]))
