"""Vectorised triangle rasteriser (numpy): depth-tested opaque pass, sorted translucent pass.

Opaque triangles go through a depth buffer, so interpenetrating and layered parts resolve per
pixel. Translucent triangles in front of the opaque surface are then composited back to
front per pixel (the painter's algorithm, done exactly per sample). All arithmetic is
deterministic: identical inputs give identical pixels.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

_CHUNK_SAMPLES = 1 << 20


def rasterize(corners: FloatArray, colors: FloatArray, canvas: int) -> FloatArray:
    """Render triangles to a premultiplied RGBA float image ``(canvas, canvas, 4)``.

    ``corners`` is ``(m, 3, 3)``: pixel x, pixel y (down), depth (larger is nearer).
    ``colors`` is ``(m, 4)`` straight RGBA in 0..1; alpha below 1 marks translucency.
    """
    pixels = canvas * canvas
    image = np.zeros((pixels, 4))
    translucent = colors[:, 3] < 1.0
    nearest = np.full(pixels, -np.inf)
    solid = np.flatnonzero(~translucent)
    samples = list(_samples(corners[solid], canvas))
    for pix, depth, _ in samples:
        np.maximum.at(nearest, pix, depth)
    winner = np.full(pixels, -1, dtype=np.int64)
    for pix, depth, tri in samples:
        hit = depth == nearest[pix]
        np.maximum.at(winner, pix[hit], solid[tri[hit]])
    covered = winner >= 0
    image[covered, :3] = colors[winner[covered], :3]
    image[covered, 3] = 1.0
    glass = np.flatnonzero(translucent)
    if len(glass):
        _composite(image, nearest, corners[glass], colors[glass], canvas)
    return image.reshape(canvas, canvas, 4)


def _composite(
    image: FloatArray, nearest: FloatArray, corners: FloatArray, colors: FloatArray, canvas: int
) -> None:
    """Blend translucent samples in front of the opaque surface, back to front per pixel."""
    parts = [
        (pix[keep], depth[keep], tri[keep])
        for pix, depth, tri in _samples(corners, canvas)
        for keep in [depth > nearest[pix]]
    ]
    if not parts:
        return
    pix = np.concatenate([p[0] for p in parts])
    depth = np.concatenate([p[1] for p in parts])
    tri = np.concatenate([p[2] for p in parts])
    order = np.lexsort((tri, depth, pix))  # per pixel, farthest first
    pix, tri = pix[order], tri[order]
    alpha = np.minimum(colors[tri, 3], 0.999)
    log_keep = np.log1p(-alpha)
    suffix = np.concatenate([np.cumsum(log_keep[::-1])[::-1], [0.0]])
    starts = np.flatnonzero(np.r_[True, pix[1:] != pix[:-1]])
    ends = np.r_[starts[1:], len(pix)]
    group_end = np.repeat(ends, ends - starts)
    behind_later = np.exp(suffix[1:] - suffix[group_end])  # transmittance of nearer layers
    through_all = np.exp(suffix[starts] - suffix[ends])
    first = pix[starts]
    image[first] *= through_all[:, None]
    contribution = (alpha * behind_later)[:, None] * np.column_stack(
        [colors[tri, :3], np.ones(len(tri))]
    )
    np.add.at(image, pix, contribution)


def _samples(corners: FloatArray, canvas: int) -> Iterator[tuple[IntArray, FloatArray, IntArray]]:
    """Yield ``(pixel index, depth, triangle index)`` for every pixel centre inside a triangle.

    Scanline conversion: each triangle row's covered span is found analytically, so the work
    is proportional to the covered pixels. Triangles are processed in memory-bounded chunks.
    """
    x, y = corners[..., 0], corners[..., 1]
    area = (x[:, 1] - x[:, 0]) * (y[:, 2] - y[:, 0]) - (y[:, 1] - y[:, 0]) * (x[:, 2] - x[:, 0])
    row0 = np.clip(np.ceil(y.min(axis=1) - 0.5), 0, canvas).astype(np.int64)
    row1 = np.clip(np.floor(y.max(axis=1) - 0.5), -1, canvas - 1).astype(np.int64)
    rows = np.where(area != 0.0, np.maximum(row1 - row0 + 1, 0), 0)
    span = np.clip(np.ceil(x.max(axis=1)) - np.floor(x.min(axis=1)) + 1, 1, canvas)
    budget = np.cumsum(rows * span) // _CHUNK_SAMPLES
    for chunk in np.unique(budget[rows > 0]):
        members = np.flatnonzero((budget == chunk) & (rows > 0))
        yield _scan(corners, area, members, row0, rows, canvas)


def _scan(
    corners: FloatArray,
    area: FloatArray,
    members: IntArray,
    row0: IntArray,
    rows: IntArray,
    canvas: int,
) -> tuple[IntArray, FloatArray, IntArray]:
    tri = np.repeat(members, rows[members])
    first = np.repeat(np.cumsum(rows[members]) - rows[members], rows[members])
    py = row0[tri] + np.arange(len(tri)) - first
    cy = py + 0.5
    left = np.full(len(tri), np.inf)
    right = np.full(len(tri), -np.inf)
    for i, j in ((0, 1), (1, 2), (2, 0)):
        lower = np.where(corners[tri, i, 1] <= corners[tri, j, 1], i, j)
        upper = i + j - lower
        xa, ya = corners[tri, lower, 0], corners[tri, lower, 1]
        xb, yb = corners[tri, upper, 0], corners[tri, upper, 1]
        crosses = (ya <= cy) & (cy <= yb) & (yb > ya)
        dy = np.where(crosses, yb - ya, 1.0)
        at = xa + (cy - ya) * (xb - xa) / dy
        left = np.where(crosses, np.minimum(left, at), left)
        right = np.where(crosses, np.maximum(right, at), right)
    col0 = np.clip(np.ceil(left - 0.5), 0, canvas).astype(np.int64)
    col1 = np.clip(np.floor(right - 0.5), -1, canvas - 1).astype(np.int64)
    width = np.where(np.isfinite(left), np.maximum(col1 - col0 + 1, 0), 0)
    sample_tri = np.repeat(tri, width)
    start = np.repeat(np.cumsum(width) - width, width)
    px = np.repeat(col0, width) + np.arange(len(sample_tri)) - start
    sy = np.repeat(py, width)
    depth = _planes(corners, area, members)
    local = np.searchsorted(members, sample_tri)
    dzdx, dzdy, offset = depth[0][local], depth[1][local], depth[2][local]
    return sy * canvas + px, offset + dzdx * (px + 0.5) + dzdy * (sy + 0.5), sample_tri


def _planes(
    corners: FloatArray, area: FloatArray, members: IntArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Depth plane ``z = dzdx * x + dzdy * y + offset`` of each member triangle."""
    a, b, c = corners[members, 0], corners[members, 1], corners[members, 2]
    ab, ac = b - a, c - a
    normal_x = ab[:, 1] * ac[:, 2] - ab[:, 2] * ac[:, 1]
    normal_y = ab[:, 2] * ac[:, 0] - ab[:, 0] * ac[:, 2]
    dzdx = -normal_x / area[members]
    dzdy = -normal_y / area[members]
    return dzdx, dzdy, a[:, 2] - dzdx * a[:, 0] - dzdy * a[:, 1]
