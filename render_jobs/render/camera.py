"""Camera framing: a 3/4 view orbiting the model, fitted to its bounding box."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Matrix = npt.NDArray[np.float64]

FOV_DEGREES = 30.0
ELEVATION_DEGREES = 18.0
POSTER_AZIMUTH_DEGREES = 35.0
MARGIN = 0.08


@dataclass(frozen=True)
class View:
    """A camera: where it is, its world-space basis and the combined view-projection."""

    eye: npt.NDArray[np.float64]
    right: npt.NDArray[np.float64]
    up: npt.NDArray[np.float64]
    back: npt.NDArray[np.float64]
    view_projection: Matrix


def _basis(azimuth: float, elevation: float) -> tuple[Matrix, Matrix, Matrix]:
    back = np.array(
        [
            math.sin(azimuth) * math.cos(elevation),
            math.sin(elevation),
            math.cos(azimuth) * math.cos(elevation),
        ]
    )
    right = np.cross([0.0, 1.0, 0.0], back)
    right /= np.linalg.norm(right)
    up = np.cross(back, right)
    return right, up, back


def _corners(low: Matrix, high: Matrix) -> Matrix:
    return np.array(
        [[x, y, z] for x in (low[0], high[0]) for y in (low[1], high[1]) for z in (low[2], high[2])]
    )


def fit_distance(low: Matrix, high: Matrix, azimuths: list[float], elevation: float) -> float:
    """Smallest eye distance from the box centre at which every corner stays inside the
    frame (less the margin) for each of the azimuths."""
    centre = (low + high) / 2
    relative = _corners(low, high) - centre
    half = math.tan(math.radians(FOV_DEGREES) / 2) * (1 - MARGIN)
    distance = 0.0
    for azimuth in azimuths:
        right, up, back = _basis(azimuth, elevation)
        along = relative @ back
        sideways = np.maximum(np.abs(relative @ right), np.abs(relative @ up))
        distance = max(distance, float(np.max(along + sideways / half)))
    radius = float(np.linalg.norm(high - low)) / 2
    return max(distance, radius * 1.05, 1e-6)


def orbit_view(
    low: Matrix, high: Matrix, azimuth: float, elevation: float, distance: float
) -> View:
    """The camera at ``azimuth`` around the box centre (radians), ``distance`` away."""
    centre = (low + high) / 2
    right, up, back = _basis(azimuth, elevation)
    eye = centre + back * distance
    radius = max(float(np.linalg.norm(high - low)) / 2, 1e-6)
    near = max(distance - radius * 1.5, distance * 0.01)
    far = distance + radius * 1.5
    view = np.eye(4)
    view[0, :3], view[1, :3], view[2, :3] = right, up, back
    view[:3, 3] = -view[:3, :3] @ eye
    f = 1 / math.tan(math.radians(FOV_DEGREES) / 2)
    projection = np.zeros((4, 4))
    projection[0, 0] = projection[1, 1] = f
    projection[2, 2] = (far + near) / (near - far)
    projection[2, 3] = 2 * far * near / (near - far)
    projection[3, 2] = -1.0
    return View(eye=eye, right=right, up=up, back=back, view_projection=projection @ view)
