"""Lighting: floor, table and pendant lamps (width is the shade's diameter)."""

from __future__ import annotations

import numpy as np
import trimesh

from render_jobs.procedural.kinds.registry import Parts, kind
from render_jobs.procedural.shapes import (
    Vec3,
    arc,
    combine,
    cylinder,
    ellipsoid,
    frustum,
    moved,
    revolved,
    shell,
    tube,
)

_SHADE_WALL = 0.004


def _drum_shade(bottom_r: float, top_r: float, height: float, base: Vec3) -> trimesh.Trimesh:
    """Open-ended conical lampshade with a thin wall."""
    t = _SHADE_WALL
    loop = [
        (bottom_r, 0.0),
        (top_r, height),
        (top_r - t, height),
        (bottom_r - t, 0.0),
        (bottom_r, 0.0),
    ]
    return revolved(loop, base, sections=48)


@kind("floor_lamp", "base", "pole", "shade")
def floor_lamp(w: float, d: float, h: float) -> Parts:
    """Arc lamp: heavy disc base at one end, arching pole, dome shade hanging at the other.

    Depth is the base and shade diameter; width is the reach from base edge to shade edge.
    """
    radius = d / 2
    pole_r = 0.012
    base_x, shade_x = -w / 2 + radius, w / 2 - radius
    bend = max((shade_x - base_x) / 2, 0.05)
    bend_y = h - bend - pole_r
    dome_h = 0.6 * radius
    drop = 0.06
    shade_top = bend_y - drop
    base = frustum(radius, 0.9 * radius, 0.04, (base_x, 0.0, 0.0), sections=48)
    path = np.vstack(
        [
            [(base_x, 0.04, 0.0)],
            arc((base_x + bend, bend_y, 0.0), bend, 180.0, 0.0, steps=32),
            [(base_x + 2 * bend, shade_top - 0.005, 0.0)],
        ]
    )
    pole = tube(path, pole_r, (0.0, 0.0, 1.0), sections=12)
    angles = np.linspace(0.0, np.pi / 2, 14)
    outer = [(float(radius * np.sin(a)), float(dome_h * (1 - np.cos(a)))) for a in angles]
    shade = moved(shell(outer, 0.003, sections=48), (shade_x, shade_top, 0.0), rx=180.0)
    return {"base": base, "pole": pole, "shade": shade}


@kind("table_lamp", "body", "fitting", "shade")
def table_lamp(w: float, d: float, h: float) -> Parts:
    """Ginger-jar ceramic body, brass fitting and an empire shade."""
    shade_h = 0.4 * h
    body_h = 0.5 * h
    r = min(0.3 * w, 0.09)
    ys = np.linspace(0.0, 1.0, 12)
    radii = r * (0.55 + 0.45 * np.sin(np.pi * (0.15 + 0.75 * ys)))
    profile = [(0.0, 0.0)] + [(float(a), float(b * body_h)) for a, b in zip(radii, ys, strict=True)]
    profile.append((0.0, body_h))
    body = revolved(profile, sections=40)
    fitting = combine(
        [
            cylinder(0.009, h - shade_h * 0.6 - body_h, (0.0, body_h, 0.0), sections=16),
            frustum(0.03, 0.02, 0.02, (0.0, body_h, 0.0), sections=24),
        ]
    )
    shade = _drum_shade(w / 2, 0.6 * w / 2, shade_h, (0.0, h - shade_h, 0.0))
    return {"body": body, "fitting": fitting, "shade": shade}


@kind("pendant_lamp", "shade", "cord", "bulb")
def pendant_lamp(w: float, d: float, h: float) -> Parts:
    """Dome pendant hanging from a ceiling canopy (model spans shade rim to canopy top)."""
    radius = w / 2
    dome_h = min(0.6 * radius, 0.45 * h)
    angles = np.linspace(0.0, np.pi / 2, 14)
    outer = [(float(radius * np.sin(a)), float(dome_h * (1 - np.cos(a)))) for a in angles]
    bowl = shell(outer, 0.003, sections=48)
    shade = moved(bowl, (0.0, dome_h, 0.0), rx=180.0)
    canopy_h = 0.025
    cord = combine(
        [
            cylinder(0.004, h - dome_h - canopy_h + 0.01, (0.0, dome_h - 0.01, 0.0), sections=12),
            frustum(0.045, 0.06, canopy_h, (0.0, h - canopy_h, 0.0), sections=32),
            cylinder(0.02, 0.05, (0.0, dome_h - 0.04, 0.0), sections=24),
        ]
    )
    bulb_r = min(0.04, 0.3 * dome_h)
    bulb = ellipsoid(0.8 * bulb_r, bulb_r, 0.8 * bulb_r, (0.0, dome_h - 0.04 - bulb_r, 0.0))
    return {"shade": shade, "cord": cord, "bulb": bulb}
