"""Judged queries over the demo catalog: what a shopper types, and the product(s) that
should come first (any of them counts as the right answer)."""

from __future__ import annotations

JUDGEMENTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("sofa", ("demo-harbor-sofa",)),
    ("velvet sofa", ("demo-harbor-sofa",)),
    ("loveseat", ("demo-nook-loveseat",)),
    ("leather armchair", ("demo-lounge-armchair",)),
    ("dining table", ("demo-long-table",)),
    ("floor lamp", ("demo-arc-floor-lamp",)),
    ("pendant light", ("demo-dome-pendant",)),
    ("ceramic lamp", ("demo-ginger-jar-lamp",)),
    ("glass vase", ("demo-amber-bud-vase",)),
    ("wool rug", ("demo-kilim-rug", "demo-indigo-area-rug")),
    ("indigo rug", ("demo-indigo-area-rug",)),
    ("headphones", ("demo-over-ear-headphones",)),
    ("speaker", ("demo-studio-monitor",)),
    ("sneakers", ("demo-court-sneaker",)),
    ("backpack", ("demo-day-pack",)),
    ("sunglases", ("demo-wayfarer-sunglasses",)),
    (
        "lumio",
        ("demo-arc-floor-lamp", "demo-ginger-jar-lamp", "demo-dome-pendant", "demo-bedside-lamp"),
    ),
    ("bed", ("demo-queen-bed",)),
)
