"""Deterministic procedural 3D demo models: recipe -> GLB + poster PNG + stats."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from render_jobs.gltf_stats import ModelStats, compute_stats
from render_jobs.procedural.builder import build_glb, build_scene
from render_jobs.procedural.catalog import DEMO_RECIPES
from render_jobs.procedural.kinds import KINDS
from render_jobs.procedural.poster import render_poster_png
from render_jobs.procedural.recipes import MaterialVariant, ModelRecipe, PbrMaterial

__all__ = [
    "DEMO_RECIPES",
    "KINDS",
    "GeneratedModel",
    "MaterialVariant",
    "ModelRecipe",
    "PbrMaterial",
    "build_glb",
    "build_model",
    "build_scene",
    "render_poster_png",
]


@dataclass(frozen=True)
class GeneratedModel:
    """A built model: GLB bytes, poster PNG, measured stats and the GLB's SHA-256 (hex)."""

    glb: bytes
    poster_png: bytes
    stats: ModelStats
    sha256: str


def build_model(recipe: ModelRecipe, poster_size: int = 512) -> GeneratedModel:
    """Build a recipe's GLB, measure it and render its poster (default look)."""
    glb = build_glb(recipe)
    return GeneratedModel(
        glb=glb,
        poster_png=render_poster_png(glb, size=poster_size),
        stats=compute_stats(glb),
        sha256=hashlib.sha256(glb).hexdigest(),
    )
