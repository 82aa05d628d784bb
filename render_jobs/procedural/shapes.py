"""Y-up primitive builders (metres) on top of ``trimesh.creation``.

Round shapes take their axis along +Y and are positioned by the centre of their base.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

import numpy as np
import numpy.typing as npt
import trimesh

Vec3 = tuple[float, float, float]
Points = npt.NDArray[np.float64]

ORIGIN: Vec3 = (0.0, 0.0, 0.0)


def rotation(axis: int, degrees: float) -> Points:
    """4x4 rotation about the X (0), Y (1) or Z (2) axis, right-handed."""
    c, s = np.cos(np.radians(degrees)), np.sin(np.radians(degrees))
    i, j = [(1, 2), (2, 0), (0, 1)][axis]
    matrix = np.eye(4)
    matrix[i, i], matrix[i, j], matrix[j, i], matrix[j, j] = c, -s, s, c
    return matrix


def scaling(sx: float, sy: float, sz: float) -> Points:
    """4x4 axis-aligned scale."""
    return np.diag([sx, sy, sz, 1.0])


# Maps trimesh's +Z axis (revolve, cylinder) onto +Y.
_Z_TO_Y = rotation(0, -90.0)


def moved(
    mesh: trimesh.Trimesh,
    at: Vec3 = ORIGIN,
    *,
    rx: float = 0.0,
    ry: float = 0.0,
    rz: float = 0.0,
) -> trimesh.Trimesh:
    """Rotate a copy about X, then Y, then Z (degrees, about the origin), then move it."""
    matrix = rotation(2, rz) @ rotation(1, ry) @ rotation(0, rx)
    matrix[:3, 3] = at
    result: trimesh.Trimesh = mesh.copy().apply_transform(matrix)
    return result


def box(sx: float, sy: float, sz: float, at: Vec3 = ORIGIN) -> trimesh.Trimesh:
    """Axis-aligned box of extents ``(sx, sy, sz)`` centred at ``at``."""
    return moved(trimesh.creation.box(extents=(sx, sy, sz)), at)


def hull(points: Points | Sequence[Sequence[float]]) -> trimesh.Trimesh:
    """Convex hull of a point cloud (used for rounded and tapered solids)."""
    result: trimesh.Trimesh = trimesh.convex.convex_hull(np.asarray(points, dtype=np.float64))
    return result


def slab(x0: float, x1: float, zy: Sequence[tuple[float, float]]) -> trimesh.Trimesh:
    """Convex side profile given as ``(z, y)`` points, extruded along X from x0 to x1."""
    return hull([(x, y, z) for x in (x0, x1) for z, y in zy])


def rounded_box(
    sx: float, sy: float, sz: float, radius: float, at: Vec3 = ORIGIN
) -> trimesh.Trimesh:
    """Box of extents ``(sx, sy, sz)`` with edges rounded by ``radius``, centred at ``at``."""
    r = min(radius, sx / 2.0, sy / 2.0, sz / 2.0) * 0.999
    sphere = trimesh.creation.icosphere(subdivisions=1, radius=r).vertices
    corners = [
        sphere + np.array([x * (sx / 2.0 - r), y * (sy / 2.0 - r), z * (sz / 2.0 - r)])
        for x in (-1, 1)
        for y in (-1, 1)
        for z in (-1, 1)
    ]
    return moved(hull(np.concatenate(corners)), at)


def revolved(
    profile: Sequence[tuple[float, float]], base: Vec3 = ORIGIN, sections: int = 32
) -> trimesh.Trimesh:
    """Revolve a ``(radius, height)`` polyline about the vertical axis through ``base``.

    Close the polyline (first point == last) for a solid wall, or start and end it on the
    axis (radius 0) for a solid of revolution.
    """
    mesh = trimesh.creation.revolve(np.asarray(profile, dtype=np.float64), sections=sections)
    return moved(mesh.apply_transform(_Z_TO_Y), base)


def cylinder(
    radius: float, height: float, base: Vec3 = ORIGIN, sections: int = 32
) -> trimesh.Trimesh:
    """Vertical cylinder standing on ``base``."""
    return frustum(radius, radius, height, base, sections)


def frustum(
    bottom_radius: float, top_radius: float, height: float, base: Vec3 = ORIGIN, sections: int = 32
) -> trimesh.Trimesh:
    """Vertical truncated cone standing on ``base`` (a cone when ``top_radius`` is 0)."""
    profile = [(0.0, 0.0), (bottom_radius, 0.0), (top_radius, height), (0.0, height)]
    if top_radius == 0.0:
        profile = profile[:3]
    return revolved(profile, base, sections)


def shell(
    outer: Sequence[tuple[float, float]],
    thickness: float,
    base: Vec3 = ORIGIN,
    sections: int = 32,
) -> trimesh.Trimesh:
    """Thin-walled open vessel: ``outer`` is its ``(radius, height)`` wall, bottom to rim.

    The wall is thickened inwards; a profile starting on the axis gives a closed bottom.
    """
    wall = np.asarray(outer, dtype=np.float64)
    inner = wall[::-1].copy()
    inner[:, 0] = np.maximum(inner[:, 0] - thickness, 0.0)
    if wall[0, 0] == 0.0:
        inner[-1, 1] = wall[0, 1] + thickness
        inner[-2, 1] = max(inner[-2, 1], wall[0, 1] + thickness)
    loop = np.concatenate([wall, inner, wall[:1]])
    return revolved([(float(r), float(y)) for r, y in loop], base, sections)


def ellipsoid(rx: float, ry: float, rz: float, at: Vec3 = ORIGIN) -> trimesh.Trimesh:
    """Ellipsoid with semi-axes ``(rx, ry, rz)`` centred at ``at``."""
    sphere = trimesh.creation.icosphere(subdivisions=2, radius=1.0)
    sphere.apply_transform(scaling(rx, ry, rz))
    return moved(sphere, at)


def tube(
    path: Points | Sequence[Sequence[float]],
    radius: float,
    normal: Vec3,
    *,
    closed: bool = False,
    sections: int = 12,
) -> trimesh.Trimesh:
    """Sweep a circle along a path lying in the plane with the given ``normal``.

    Open tubes get flat end caps, closed ones (rings) wrap around.
    """
    points = np.asarray(path, dtype=np.float64)
    count = len(points)
    ahead = np.roll(points, -1, axis=0) if closed else np.vstack([points[1:], points[-1:]])
    behind = np.roll(points, 1, axis=0) if closed else np.vstack([points[:1], points[:-1]])
    tangent = ahead - behind
    tangent /= np.linalg.norm(tangent, axis=1, keepdims=True)
    up = np.broadcast_to(np.asarray(normal, dtype=np.float64), tangent.shape)
    side = np.cross(tangent, up)
    side /= np.linalg.norm(side, axis=1, keepdims=True)
    angles = np.linspace(0.0, 2.0 * np.pi, sections, endpoint=False)
    ring = np.cos(angles)[None, :, None] * up[:, None, :]
    ring = ring + np.sin(angles)[None, :, None] * side[:, None, :]
    vertices = (points[:, None, :] + radius * ring).reshape(-1, 3)
    faces = _ring_faces(count, sections, closed)
    if not closed:
        vertices = np.vstack([vertices, points[0], points[-1]])
        first, last = count * sections, count * sections + 1
        around = np.arange(sections)
        following = (around + 1) % sections
        start_cap = np.column_stack([np.full(sections, first), following, around])
        end_ring = (count - 1) * sections
        end_cap = np.column_stack(
            [np.full(sections, last), end_ring + around, end_ring + following]
        )
        faces = np.vstack([faces, start_cap, end_cap])
    mesh = trimesh.Trimesh(vertices=vertices, faces=faces, process=False)
    if mesh.volume < 0.0:
        mesh.invert()
    return mesh


def _ring_faces(count: int, sections: int, closed: bool) -> npt.NDArray[np.int64]:
    rows = count if closed else count - 1
    i = np.arange(rows)[:, None]
    j = np.arange(sections)[None, :]
    a = i * sections + j
    b = i * sections + (j + 1) % sections
    c = ((i + 1) % count) * sections + j
    d = ((i + 1) % count) * sections + (j + 1) % sections
    quads = np.stack([a, b, c, d], axis=-1).reshape(-1, 4)
    return np.vstack([quads[:, [0, 2, 1]], quads[:, [1, 2, 3]]]).astype(np.int64)


def arc(
    center: Vec3,
    radius: float,
    start_deg: float,
    end_deg: float,
    *,
    plane: str = "xy",
    steps: int = 24,
) -> Points:
    """Points on a circular arc in the ``xy``, ``yz`` or ``xz`` plane (angles from axis 1)."""
    theta = np.radians(np.linspace(start_deg, end_deg, steps + 1))
    first, second = {"xy": (0, 1), "yz": (2, 1), "xz": (0, 2)}[plane]
    points = np.tile(np.asarray(center, dtype=np.float64), (len(theta), 1))
    points[:, first] += radius * np.cos(theta)
    points[:, second] += radius * np.sin(theta)
    return points


def height_at(mesh: trimesh.Trimesh, x: float, z: float) -> float:
    """Highest point of the mesh surface straight above ``(x, z)`` (mesh minimum if none)."""
    tri = mesh.triangles
    a, b, c = tri[:, 0], tri[:, 1], tri[:, 2]
    e1, e2 = b - a, c - a
    det = e1[:, 0] * e2[:, 2] - e1[:, 2] * e2[:, 0]
    usable = np.abs(det) > 1e-15
    safe = np.where(usable, det, 1.0)
    px, pz = x - a[:, 0], z - a[:, 2]
    u = (px * e2[:, 2] - pz * e2[:, 0]) / safe
    v = (e1[:, 0] * pz - e1[:, 2] * px) / safe
    inside = usable & (u >= 0.0) & (v >= 0.0) & (u + v <= 1.0)
    if not inside.any():
        return float(mesh.bounds[0][1])
    heights = a[:, 1] + u * e1[:, 1] + v * e2[:, 1]
    return float(heights[inside].max())


def combine(meshes: Sequence[trimesh.Trimesh]) -> trimesh.Trimesh:
    """Merge meshes of one part into a single mesh."""
    return cast(trimesh.Trimesh, trimesh.util.concatenate(list(meshes)))
