"""Builds the demo catalogue's GLBs once per test session (about 1.5 s)."""

from __future__ import annotations

import pytest

from render_jobs.procedural import DEMO_RECIPES, ModelRecipe, build_glb


@pytest.fixture(scope="session")
def demo_glbs() -> dict[str, tuple[ModelRecipe, bytes]]:
    return {recipe.slug: (recipe, build_glb(recipe)) for recipe in DEMO_RECIPES}
