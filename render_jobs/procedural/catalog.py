"""The demo catalogue: 30 procedural products with real-world sizes and material variants."""

from __future__ import annotations

from render_jobs.procedural.recipes import MaterialVariant, ModelRecipe, PbrMaterial


def _mat(
    name: str,
    r: float,
    g: float,
    b: float,
    metallic: float = 0.0,
    rough: float = 0.6,
    alpha: float = 1.0,
) -> PbrMaterial:
    return PbrMaterial(name, (r, g, b, alpha), metallic, rough)


# Linear-space base colours.
OAK = _mat("oak", 0.47, 0.3, 0.16, rough=0.55)
WALNUT = _mat("walnut", 0.2, 0.11, 0.06, rough=0.5)
ASH_WHITE = _mat("white ash", 0.78, 0.72, 0.62, rough=0.55)
BLACK_STEEL = _mat("black steel", 0.03, 0.03, 0.03, metallic=1.0, rough=0.35)
BRASS = _mat("brass", 0.78, 0.56, 0.24, metallic=1.0, rough=0.25)
CHROME = _mat("chrome", 0.9, 0.9, 0.9, metallic=1.0, rough=0.08)
ALUMINIUM = _mat("aluminium", 0.72, 0.73, 0.75, metallic=1.0, rough=0.3)
SPACE_GREY = _mat("space grey", 0.15, 0.15, 0.17, metallic=1.0, rough=0.35)
RUBBER = _mat("black rubber", 0.02, 0.02, 0.02, rough=0.9)
LINEN = _mat("oatmeal linen", 0.62, 0.55, 0.45, rough=0.9)
VELVET_GREEN = _mat("emerald velvet", 0.03, 0.2, 0.1, rough=0.8)
VELVET_BLUE = _mat("navy velvet", 0.03, 0.06, 0.2, rough=0.8)
VELVET_ROSE = _mat("rose velvet", 0.6, 0.25, 0.25, rough=0.8)
BOUCLE = _mat("ivory boucle", 0.8, 0.77, 0.7, rough=0.95)
LEATHER_COGNAC = _mat("cognac leather", 0.4, 0.14, 0.04, rough=0.5)
LEATHER_BLACK = _mat("black leather", 0.02, 0.02, 0.02, rough=0.45)
LEATHER_TAN = _mat("tan leather", 0.55, 0.3, 0.13, rough=0.5)
COTTON_WHITE = _mat("white cotton", 0.85, 0.85, 0.83, rough=0.9)
COTTON_GREY = _mat("grey cotton", 0.35, 0.36, 0.38, rough=0.9)
CERAMIC_WHITE = _mat("white ceramic", 0.86, 0.85, 0.8, rough=0.25)
CERAMIC_SAGE = _mat("sage ceramic", 0.3, 0.4, 0.3, rough=0.3)
CERAMIC_TERRACOTTA = _mat("terracotta", 0.55, 0.2, 0.09, rough=0.8)
CERAMIC_COBALT = _mat("cobalt glaze", 0.03, 0.08, 0.4, rough=0.2)
GLASS_SMOKE = _mat("smoked glass", 0.15, 0.15, 0.15, rough=0.05, alpha=0.55)
GLASS_AMBER = _mat("amber glass", 0.6, 0.3, 0.05, rough=0.05, alpha=0.6)
MIRROR_GLASS = _mat("mirror", 0.95, 0.95, 0.95, metallic=1.0, rough=0.02)
PAPER_SHADE = _mat("paper shade", 0.9, 0.86, 0.76, rough=0.9)
OLIVE_LEAF = _mat("olive leaves", 0.12, 0.2, 0.08, rough=0.8)
HERB_GREEN = _mat("herb leaves", 0.08, 0.32, 0.05, rough=0.8)
MARBLE = _mat("white marble", 0.8, 0.79, 0.76, rough=0.2)
LEATHER_WHITE = _mat("white leather", 0.82, 0.81, 0.78, rough=0.45)
RUBBER_WHITE = _mat("white rubber", 0.78, 0.77, 0.74, rough=0.8)
SILICONE_BLACK = _mat("black silicone", 0.02, 0.02, 0.02, rough=0.6)
HONEY_ACETATE = _mat("honey acetate", 0.5, 0.25, 0.05, rough=0.3)
SOIL = _mat("soil", 0.08, 0.05, 0.03, rough=1.0)
WOOL_RED = _mat("madder wool", 0.45, 0.06, 0.05, rough=1.0)
WOOL_CREAM = _mat("cream wool", 0.75, 0.68, 0.55, rough=1.0)
WOOL_INDIGO = _mat("indigo wool", 0.05, 0.07, 0.25, rough=1.0)
FABRIC_MESH = _mat("speaker mesh", 0.05, 0.05, 0.055, rough=0.95)
PLASTIC_WHITE = _mat("white plastic", 0.8, 0.8, 0.8, rough=0.4)
PLASTIC_BLACK = _mat("black plastic", 0.03, 0.03, 0.03, rough=0.4)
SILICONE_ORANGE = _mat("orange silicone", 0.8, 0.2, 0.02, rough=0.6)
SILICONE_SAND = _mat("sand silicone", 0.6, 0.5, 0.38, rough=0.6)
SCREEN = _mat("screen glass", 0.005, 0.005, 0.008, rough=0.05)
FELT_GREY = _mat("grey felt", 0.3, 0.3, 0.3, rough=1.0)
FELT_CAMEL = _mat("camel felt", 0.45, 0.3, 0.15, rough=1.0)
RIBBON_BLACK = _mat("black ribbon", 0.02, 0.02, 0.02, rough=0.5)
NYLON_OLIVE = _mat("olive nylon", 0.12, 0.14, 0.06, rough=0.7)
NYLON_BLACK = _mat("black nylon", 0.02, 0.02, 0.02, rough=0.7)
TORTOISE = _mat("tortoiseshell", 0.2, 0.08, 0.02, rough=0.3)


def _variants(parts: str | tuple[str, ...], *looks: PbrMaterial) -> tuple[MaterialVariant, ...]:
    """One variant per material applied to ``parts``, named after the material."""
    names = (parts,) if isinstance(parts, str) else parts
    return tuple(
        MaterialVariant(look.name.title(), tuple((part, look) for part in names)) for look in looks
    )


def _recipe(
    name: str,
    kind: str,
    size: tuple[float, float, float],
    materials: dict[str, PbrMaterial],
    variants: tuple[MaterialVariant, ...] = (),
) -> ModelRecipe:
    width, depth, height = size
    return ModelRecipe(kind, width, depth, height, tuple(materials.items()), variants, name)


# Sizes are (width, depth, height) in metres.
DEMO_RECIPES: tuple[ModelRecipe, ...] = (
    _recipe(
        "harbor-sofa", "sofa", (2.2, 0.95, 0.82),
        {"frame": VELVET_GREEN, "cushions": VELVET_GREEN, "legs": OAK},
        _variants(("frame", "cushions"), VELVET_GREEN, VELVET_BLUE, VELVET_ROSE),
    ),
    _recipe(
        "nook-loveseat", "sofa", (1.7, 0.88, 0.78),
        {"frame": BOUCLE, "cushions": BOUCLE, "legs": BLACK_STEEL},
    ),
    _recipe(
        "lounge-armchair", "armchair", (0.86, 0.84, 0.8),
        {"frame": LEATHER_COGNAC, "cushions": LEATHER_COGNAC, "legs": WALNUT},
        _variants(("frame", "cushions"), LEATHER_COGNAC, LEATHER_BLACK, LEATHER_TAN),
    ),
    _recipe(
        "long-table", "dining_table", (1.8, 0.9, 0.75),
        {"top": OAK, "legs": BLACK_STEEL},
        _variants("top", OAK, WALNUT, ASH_WHITE),
    ),
    _recipe(
        "bistro-table", "dining_table", (0.7, 0.7, 0.75),
        {"top": ASH_WHITE, "legs": BLACK_STEEL},
    ),
    _recipe(
        "round-side-table", "side_table", (0.5, 0.5, 0.55),
        {"top": WALNUT, "stem": BRASS, "base": BRASS},
        _variants(("stem", "base"), BRASS, BLACK_STEEL),
    ),
    _recipe(
        "library-shelf", "bookshelf", (0.9, 0.32, 1.8),
        {"frame": OAK, "shelves": OAK, "books": WOOL_RED},
        _variants(("frame", "shelves"), OAK, WALNUT, ASH_WHITE),
    ),
    _recipe(
        "queen-bed", "bed", (1.66, 2.16, 1.05),
        {"frame": LINEN, "headboard": LINEN, "mattress": COTTON_WHITE, "bedding": COTTON_GREY,
         "pillows": COTTON_WHITE},
        _variants(("frame", "headboard"), LINEN, VELVET_BLUE, VELVET_GREEN),
    ),
    _recipe(
        "arc-floor-lamp", "floor_lamp", (1.5, 0.4, 1.95),
        {"base": MARBLE, "pole": BRASS, "shade": BRASS},
        _variants(("pole", "shade"), BRASS, BLACK_STEEL, CHROME),
    ),
    _recipe(
        "ginger-jar-lamp", "table_lamp", (0.34, 0.34, 0.56),
        {"body": CERAMIC_SAGE, "fitting": BRASS, "shade": PAPER_SHADE},
        _variants("body", CERAMIC_SAGE, CERAMIC_WHITE, CERAMIC_COBALT),
    ),
    _recipe(
        "bedside-lamp", "table_lamp", (0.26, 0.26, 0.44),
        {"body": CERAMIC_WHITE, "fitting": CHROME, "shade": COTTON_WHITE},
    ),
    _recipe(
        "dome-pendant", "pendant_lamp", (0.42, 0.42, 0.9),
        {"shade": BRASS, "cord": BLACK_STEEL, "bulb": PLASTIC_WHITE},
        _variants("shade", BRASS, BLACK_STEEL, CHROME),
    ),
    _recipe(
        "amphora-vase", "vase", (0.18, 0.18, 0.34),
        {"body": CERAMIC_TERRACOTTA, "band": BRASS},
        _variants("body", CERAMIC_TERRACOTTA, CERAMIC_COBALT, CERAMIC_WHITE),
    ),
    _recipe(
        "amber-bud-vase", "vase", (0.12, 0.12, 0.26),
        {"body": GLASS_AMBER, "band": BRASS},
    ),
    _recipe(
        "olive-planter", "planter", (0.5, 0.5, 0.95),
        {"pot": CERAMIC_TERRACOTTA, "soil": SOIL, "foliage": OLIVE_LEAF},
        _variants("pot", CERAMIC_TERRACOTTA, CERAMIC_WHITE, CERAMIC_SAGE),
    ),
    _recipe(
        "herb-pot", "planter", (0.3, 0.3, 0.45),
        {"pot": CERAMIC_TERRACOTTA, "soil": SOIL, "foliage": HERB_GREEN},
        _variants("pot", CERAMIC_TERRACOTTA, CERAMIC_WHITE),
    ),
    _recipe(
        "standing-mirror", "mirror", (0.6, 0.035, 1.6),
        {"frame": OAK, "glass": MIRROR_GLASS},
        _variants("frame", OAK, WALNUT, BLACK_STEEL),
    ),
    _recipe(
        "kilim-rug", "rug", (3.0, 2.0, 0.012),
        {"field": WOOL_CREAM, "border": WOOL_RED, "pattern": WOOL_INDIGO},
        (
            MaterialVariant("Madder", ()),
            MaterialVariant("Indigo", (("border", WOOL_INDIGO), ("pattern", WOOL_RED))),
        ),
    ),
    _recipe(
        "indigo-area-rug", "rug", (3.4, 2.4, 0.015),
        {"field": WOOL_INDIGO, "border": WOOL_CREAM, "pattern": WOOL_CREAM},
    ),
    _recipe(
        "studio-monitor", "speaker", (0.19, 0.26, 0.32),
        {"cabinet": WALNUT, "grille": FABRIC_MESH, "drivers": ALUMINIUM},
        _variants("cabinet", WALNUT, PLASTIC_WHITE, PLASTIC_BLACK),
    ),
    _recipe(
        "over-ear-headphones", "headphones", (0.18, 0.09, 0.2),
        {"headband": SPACE_GREY, "cups": SPACE_GREY, "cushions": LEATHER_BLACK},
        (
            MaterialVariant("Space Grey", ()),
            MaterialVariant(
                "Silver",
                (("headband", ALUMINIUM), ("cups", ALUMINIUM), ("cushions", COTTON_GREY)),
            ),
        ),
    ),
    _recipe(
        "sport-watch", "smartwatch", (0.045, 0.24, 0.012),
        {"case": ALUMINIUM, "screen": SCREEN, "strap": SILICONE_ORANGE, "crown": ALUMINIUM},
        _variants("strap", SILICONE_ORANGE, SILICONE_SAND, SILICONE_BLACK),
    ),
    _recipe(
        "phone-stand", "desk_phone_stand", (0.08, 0.1, 0.13),
        {"base": ALUMINIUM, "support": ALUMINIUM, "lip": RUBBER},
        _variants(("base", "support"), ALUMINIUM, SPACE_GREY),
    ),
    _recipe(
        "laptop-riser", "laptop_stand", (0.26, 0.24, 0.15),
        {"sides": ALUMINIUM, "platform": ALUMINIUM, "pads": RUBBER},
        _variants(("sides", "platform"), ALUMINIUM, SPACE_GREY),
    ),
    _recipe(
        "court-sneaker", "sneaker", (0.11, 0.3, 0.12),
        {"sole": RUBBER_WHITE, "upper": LEATHER_WHITE, "laces": COTTON_WHITE,
         "lining": COTTON_GREY},
        _variants("upper", LEATHER_WHITE, LEATHER_BLACK, LEATHER_TAN),
    ),
    _recipe(
        "trail-runner", "sneaker", (0.105, 0.29, 0.11),
        {"sole": RUBBER, "upper": NYLON_BLACK, "laces": NYLON_BLACK, "lining": SILICONE_ORANGE},
    ),
    _recipe(
        "felt-fedora", "hat", (0.36, 0.36, 0.13),
        {"crown": FELT_CAMEL, "brim": FELT_CAMEL, "band": RIBBON_BLACK},
        _variants(("crown", "brim"), FELT_CAMEL, FELT_GREY),
    ),
    _recipe(
        "city-tote", "handbag", (0.32, 0.14, 0.3),
        {"body": LEATHER_TAN, "flap": LEATHER_TAN, "handle": LEATHER_TAN, "hardware": BRASS},
        (
            MaterialVariant("Tan", ()),
            MaterialVariant(
                "Black",
                (("body", LEATHER_BLACK), ("flap", LEATHER_BLACK), ("handle", LEATHER_BLACK),
                 ("hardware", CHROME)),
            ),
        ),
    ),
    _recipe(
        "day-pack", "backpack", (0.3, 0.2, 0.45),
        {"body": NYLON_OLIVE, "pocket": NYLON_OLIVE, "straps": NYLON_BLACK},
        _variants(("body", "pocket"), NYLON_OLIVE, NYLON_BLACK),
    ),
    _recipe(
        "wayfarer-sunglasses", "sunglasses", (0.145, 0.15, 0.05),
        {"frame": TORTOISE, "lenses": GLASS_SMOKE, "temples": TORTOISE},
        (
            MaterialVariant("Tortoise", ()),
            MaterialVariant("Black", (("frame", PLASTIC_BLACK), ("temples", PLASTIC_BLACK))),
            MaterialVariant("Honey", (("frame", HONEY_ACETATE), ("temples", HONEY_ACETATE))),
        ),
    ),
)  # fmt: skip
