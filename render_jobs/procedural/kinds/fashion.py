"""Fashion: sneaker, hat, handbag, backpack, sunglasses (fronts face +Z)."""

from __future__ import annotations

import numpy as np
import trimesh

from render_jobs.procedural.kinds.registry import Parts, kind
from render_jobs.procedural.shapes import (
    Points,
    arc,
    box,
    combine,
    cylinder,
    ellipsoid,
    height_at,
    hull,
    moved,
    revolved,
    rounded_box,
    tube,
)


def _bezier(
    p0: tuple[float, ...], p1: tuple[float, ...], p2: tuple[float, ...], steps: int
) -> Points:
    t = np.linspace(0.0, 1.0, steps + 1)[:, None]
    a, b, c = (np.asarray(p, dtype=np.float64) for p in (p0, p1, p2))
    result: Points = (1 - t) ** 2 * a + 2 * (1 - t) * t * b + t**2 * c
    return result


@kind("sneaker", "sole", "upper", "laces", "lining")
def sneaker(w: float, d: float, h: float) -> Parts:
    """Stylised low-top sneaker: toe-spring sole, rounded upper, laces, collar lining."""
    sole_h = 0.2 * h
    theta = np.linspace(0.0, 2.0 * np.pi, 48, endpoint=False)
    shape = np.sin(theta) * (0.86 + 0.14 * np.cos(theta))
    norm = float(np.abs(shape).max())
    x = (w / 2) * shape / norm
    z = (d / 2) * np.cos(theta)
    lift = 0.1 * sole_h * np.clip(np.cos(theta), 0.0, None) ** 3
    sole = hull(
        np.vstack(
            [
                np.column_stack([x, lift, z]),
                np.column_stack([x * 0.97, np.full_like(x, sole_h), z * 0.99]),
            ]
        )
    )

    def top(u: float) -> float:
        if u < 0.32:
            return h - 0.03 * h
        if u < 0.85:
            return float(np.interp(u, (0.32, 0.85), (0.86 * h, 0.45 * h)))
        return float(np.interp(u, (0.85, 1.0), (0.45 * h, sole_h + 0.02 * h)))

    sections = []
    for u in np.linspace(0.02, 0.98, 15):
        zc = -d / 2 + u * d
        at = float(np.arccos(np.clip(zc / (d / 2), -1.0, 1.0)))
        outline = (w / 2) * np.sin(at) * (0.86 + 0.14 * np.cos(at)) / norm
        half = max(0.92 * float(outline), 0.2 * w)
        phi = np.linspace(0.0, np.pi, 9)
        height = top(float(u)) - sole_h
        sections.append(
            np.column_stack(
                [
                    half * np.cos(phi),
                    sole_h + height * np.sin(phi),
                    np.full_like(phi, zc),
                ]
            )
        )
    upper = hull(np.vstack(sections))
    laces = []
    for u in np.linspace(0.42, 0.76, 5):
        zc = -d / 2 + u * d
        back, front = height_at(upper, 0.0, zc - 0.01), height_at(upper, 0.0, zc + 0.01)
        angle = float(np.degrees(np.arctan2(back - front, 0.02)))
        lace = box(0.4 * w, 0.004, 0.008)
        laces.append(moved(lace, (0.0, (back + front) / 2 + 0.002, zc), rx=angle))
    collar = ellipsoid(0.3 * w, 0.004, 0.12 * d, (0.0, h - 0.004, -d / 2 + 0.17 * d))
    return {"sole": sole, "upper": upper, "laces": combine(laces), "lining": collar}


@kind("hat", "crown", "brim", "band")
def hat(w: float, d: float, h: float) -> Parts:
    """Fedora made of revolved profiles: pinched crown, upturned brim and ribbon band."""
    brim_t = 0.006
    crown_r = min(0.1, 0.3 * w)
    crown_profile = [
        (0.0, brim_t),
        (crown_r, brim_t),
        (crown_r * 0.93, brim_t + 0.8 * (h - brim_t)),
        (crown_r * 0.82, h),
        (crown_r * 0.3, h),
        (0.0, h - 0.02),
    ]
    crown = revolved(crown_profile, sections=48)
    radii = np.linspace(crown_r * 0.9, w / 2, 10)
    curl = 0.03 * ((radii - radii[0]) / (radii[-1] - radii[0])) ** 2
    bottom = [(float(r), float(c)) for r, c in zip(radii, curl, strict=True)]
    top = [(float(r), float(c + brim_t)) for r, c in zip(radii[::-1], curl[::-1], strict=True)]
    brim = revolved([*bottom, *top, bottom[0]], sections=48)

    def crown_at(y: float) -> float:
        return float(np.interp(y, (brim_t, brim_t + 0.8 * (h - brim_t)), (crown_r, crown_r * 0.93)))

    y0, y1 = brim_t, brim_t + 0.3 * (h - brim_t)
    band_loop = [
        (crown_at(y0) - 0.003, y0),
        (crown_at(y0) + 0.0025, y0),
        (crown_at(y1) + 0.0025, y1),
        (crown_at(y1) - 0.003, y1),
        (crown_at(y0) - 0.003, y0),
    ]
    band = revolved(band_loop, sections=48)
    return {"crown": crown, "brim": brim, "band": band}


@kind("handbag", "body", "flap", "handle", "hardware")
def handbag(w: float, d: float, h: float) -> Parts:
    """Structured tote: tapered body, front flap, arched top handle and metal clasp."""
    body_h = 0.6 * h
    top_w, top_d = 0.82 * w, 0.6 * d
    body = hull(
        [
            (x * sx / 2, y, z * sz / 2)
            for y, sx, sz in ((0.0, w, d), (body_h, top_w, top_d))
            for x in (-1, 1)
            for z in (-1, 1)
        ]
    )

    def front(y: float) -> tuple[float, float]:
        f = y / body_h
        return (w / 2 - (w - top_w) / 2 * f) * 1.004, d / 2 - (d - top_d) / 2 * f

    t = 0.004
    flap_points = []
    for y in (0.42 * body_h, body_h):
        half, zf = front(y)
        flap_points += [(s * half, y, zf + o) for s in (-1, 1) for o in (0.0, t)]
    half, zf = front(body_h)
    flap_points += [
        (s * half, body_h + o, zc) for s in (-1, 1) for o in (0.0, t) for zc in (zf, 0.0)
    ]
    flap = hull(flap_points)
    tube_r = 0.007
    phi = np.linspace(np.pi, 0.0, 33)
    handle_path = np.column_stack(
        [
            0.3 * w * np.cos(phi),
            body_h - 0.01 + (h - body_h + 0.01 - tube_r) * np.sin(phi),
            np.zeros_like(phi),
        ]
    )
    handle = tube(handle_path, tube_r, (0.0, 0.0, 1.0), sections=12)
    clasp_y = 0.5 * body_h
    _, clasp_z = front(clasp_y)
    hardware = [box(0.035, 0.022, 0.008, (0.0, clasp_y, clasp_z + t + 0.002))]
    hardware += [cylinder(0.012, 0.012, (x * 0.3 * w, body_h - 0.004, 0.0), 20) for x in (-1, 1)]
    return {"body": body, "flap": flap, "handle": handle, "hardware": combine(hardware)}


@kind("backpack", "body", "pocket", "straps")
def backpack(w: float, d: float, h: float) -> Parts:
    """Daypack: rounded main body, front pocket, shoulder straps and a top grab handle."""
    handle_a, handle_r = 0.03, 0.006
    body_h = h - handle_a - handle_r + 0.004
    strap_d, pocket_d = 0.12 * d, 0.28 * d
    body_d = d - strap_d - pocket_d
    body_z = -d / 2 + strap_d + body_d / 2
    body = rounded_box(w, body_h, body_d, 0.07, (0.0, body_h / 2, body_z))
    pocket_h = 0.42 * body_h
    pocket_z = d / 2 - (pocket_d + 0.03) / 2
    pocket = rounded_box(
        0.78 * w, pocket_h, pocket_d + 0.03, 0.04, (0.0, 0.08 + pocket_h / 2, pocket_z)
    )
    back = -d / 2 + strap_d
    r = 0.011
    straps: list[trimesh.Trimesh] = []
    for x in (-0.22 * w, 0.22 * w):
        bulge = 2 * (-d / 2 + r) - (back + 0.01)
        path = _bezier(
            (x, 0.88 * body_h, back + 0.01),
            (x, 0.5 * body_h, bulge),
            (x, 0.1 * body_h, back + 0.01),
            16,
        )
        straps.append(tube(path, r, (1.0, 0.0, 0.0), sections=10))
    loop = arc((0.0, body_h - 0.004, body_z), handle_a, 180.0, 0.0, plane="yz", steps=16)
    straps.append(tube(loop, handle_r, (1.0, 0.0, 0.0), sections=10))
    return {"body": body, "pocket": pocket, "straps": combine(straps)}


@kind("sunglasses", "frame", "lenses", "temples")
def sunglasses(w: float, d: float, h: float) -> Parts:
    """Wayfarer-style sunglasses standing on their rims and temple tips."""
    rim_r, bridge, hinge = 0.0025, 0.018, 0.005
    a = (w / 2 - hinge - bridge / 2 - 2.6 * rim_r) / 2
    b = h / 2 - 1.3 * rim_r
    cy = h / 2
    theta = np.linspace(0.0, 2.0 * np.pi, 40, endpoint=False)
    ux = np.sign(np.cos(theta)) * np.abs(np.cos(theta)) ** 0.7
    uy = np.sign(np.sin(theta)) * np.abs(np.sin(theta)) ** 0.8
    frame, lenses = [], []
    for side in (-1, 1):
        cx = side * (bridge / 2 + a + 1.3 * rim_r)
        outline = np.column_stack([cx + a * ux, cy + b * uy, np.zeros_like(ux)])
        thick = np.array([0.0, 0.0, 0.0015])
        lenses.append(hull(np.vstack([outline - thick, outline + thick])))
        rim = np.column_stack([cx + (a + 0.3 * rim_r) * ux, cy + (b + 0.3 * rim_r) * uy, ux * 0])
        frame.append(tube(rim, rim_r, (0.0, 0.0, 1.0), closed=True, sections=8))
        frame.append(
            box(
                hinge + 0.004,
                0.008,
                0.006,
                (side * (w / 2 - (hinge + 0.004) / 2), cy + 0.55 * b, -0.001),
            )
        )
    bridge_arc = arc((0.0, cy + 0.25 * b, 0.0), bridge / 2 + rim_r, 180.0, 0.0, steps=12)
    frame.append(tube(bridge_arc, rim_r * 0.9, (0.0, 0.0, 1.0), sections=8))
    temple_r = 0.002
    temples = []
    z_end = -(d - rim_r - temple_r)
    for side in (-1, 1):
        x = side * (w / 2 - 0.003)
        y = cy + 0.55 * b
        straight = np.array([(x, y, -0.002), (x, y, z_end + 0.035)])
        bend = _bezier((x, y, z_end + 0.035), (x, y, z_end), (x, temple_r + 0.004, z_end), 8)
        temples.append(tube(np.vstack([straight, bend[1:]]), temple_r, (1.0, 0.0, 0.0), sections=8))
    return {"frame": combine(frame), "lenses": combine(lenses), "temples": combine(temples)}
