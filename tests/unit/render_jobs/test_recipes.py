"""Recipe value objects: validation and material resolution per variant."""

from __future__ import annotations

import pytest

from render_jobs.procedural.recipes import MaterialVariant, ModelRecipe, PbrMaterial

OAK = PbrMaterial("oak", (0.5, 0.3, 0.1, 1.0), 0.0, 0.6)
STEEL = PbrMaterial("steel", (0.1, 0.1, 0.1, 1.0), 1.0, 0.3)
WALNUT = PbrMaterial("walnut", (0.2, 0.1, 0.05, 1.0), 0.0, 0.5)


def _table(*variants: MaterialVariant) -> ModelRecipe:
    return ModelRecipe("dining_table", 1.8, 0.9, 0.75, (("top", OAK), ("legs", STEEL)), variants)


def test_default_material_is_the_first_variants_look():
    # given a table whose first variant swaps the top to walnut
    recipe = _table(MaterialVariant("Walnut", (("top", WALNUT),)), MaterialVariant("Oak", ()))

    # when resolving the default look
    # then the first variant wins, and parts it leaves alone keep the recipe material
    assert recipe.default_material("top") == WALNUT
    assert recipe.default_material("legs") == STEEL
    assert recipe.material_for("top", recipe.variants[1]) == OAK


def test_without_variants_the_recipe_material_is_the_default():
    # given a table without variants
    recipe = _table()

    # when resolving
    # then the recipe's own materials are used and the slug falls back to the kind
    assert recipe.default_material("top") == OAK
    assert recipe.parts == ("top", "legs")
    assert recipe.slug == "dining_table"


def test_recipes_are_hashable_values():
    # given two equal recipes
    # when compared and hashed
    # then they behave as values
    assert _table() == _table()
    assert hash(_table()) == hash(_table())


def test_translucency_follows_alpha():
    # given an opaque and a translucent material
    glass = PbrMaterial("glass", (0.9, 0.9, 0.9, 0.4), 0.0, 0.05)

    # when asked
    # then only alpha below 1 is translucent
    assert glass.is_translucent
    assert not OAK.is_translucent


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: PbrMaterial("x", (1.2, 0.0, 0.0, 1.0)), "4 values in 0..1"),
        (lambda: PbrMaterial("x", (0.5, 0.5, 0.5)), "4 values in 0..1"),  # type: ignore[arg-type]
        (lambda: PbrMaterial("x", (0.5, 0.5, 0.5, 1.0), metallic=2.0), "metallic and roughness"),
        (lambda: PbrMaterial("", (0.5, 0.5, 0.5, 1.0)), "name must not be empty"),
        (lambda: ModelRecipe("rug", 0.0, 1.0, 0.01, (("field", OAK),)), "width must be within"),
        (lambda: ModelRecipe("rug", 1.0, 1.0, float("nan"), (("field", OAK),)), "height"),
        (lambda: ModelRecipe("rug", 1.0, 1.0, 0.01, (("a", OAK), ("a", STEEL))), "unique"),
        (lambda: _table(MaterialVariant("A", ()), MaterialVariant("A", ())), "variant names"),
        (lambda: _table(MaterialVariant("A", (("seat", OAK),))), "unknown parts ['seat']"),
        (lambda: MaterialVariant("", ()), "variant name must not be empty"),
    ],
)
def test_invalid_values_are_rejected(build, message: str):
    # given an invalid material, variant or recipe
    # when constructed
    # then a ValueError explains why
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        build()
