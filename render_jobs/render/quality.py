"""How much an optimized model looks like its master: SSIM of their posters.

Both posters are rendered with the same camera (it is fitted to the model's bounds, which
decimation and texture re-encoding keep), composited over the same grey, and compared with
scikit-image's structural similarity over the colour channels. 1.0 is identical.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from skimage.metrics import structural_similarity

from render_jobs.render.model import load_model
from render_jobs.render.renderer import Renderer

QUALITY_POSTER_PX = 512
BACKDROP = 0.5
"""Grey behind both posters, so that silhouettes count as much as surfaces."""
SSIM_TARGET = 0.98
"""The issue's bar for an optimized LOD 0 against its master."""


@dataclass(frozen=True)
class PosterSimilarity:
    """SSIM of a candidate's poster against its master's."""

    ssim: float
    size: int

    @property
    def meets_target(self) -> bool:
        """Whether it looks like the master by the issue's bar (SSIM >= 0.98)."""
        return self.ssim >= SSIM_TARGET


def ssim_of_frames(master: NDArray[np.uint8], candidate: NDArray[np.uint8]) -> float:
    """SSIM of two RGBA frames of one size, each composited over the grey backdrop."""
    if master.shape != candidate.shape:
        raise ValueError(f"frames differ in shape: {master.shape} vs {candidate.shape}")
    score = structural_similarity(  # type: ignore[no-untyped-call]  # skimage is untyped
        _over_backdrop(master), _over_backdrop(candidate), channel_axis=-1, data_range=1.0
    )
    return float(score)


def poster_similarity(
    renderer: Renderer, master_glb: bytes, candidate_glb: bytes, size: int = QUALITY_POSTER_PX
) -> PosterSimilarity:
    """Render both models' posters and compare them (uncompressed GLBs)."""
    frames = []
    for glb in (master_glb, candidate_glb):
        model = renderer.upload(load_model(glb))
        try:
            frames.append(renderer.poster(model, size))
        finally:
            model.release()
    return PosterSimilarity(ssim_of_frames(frames[0], frames[1]), size)


def _over_backdrop(frame: NDArray[np.uint8]) -> NDArray[np.float64]:
    rgba = frame.astype(np.float64) / 255.0
    alpha = rgba[..., 3:4]
    composited: NDArray[np.float64] = rgba[..., :3] * alpha + BACKDROP * (1.0 - alpha)
    return composited
