"""Text helpers shared by the search engines: typo distances and the stable tie-breaker."""

from __future__ import annotations

import hashlib

FIELD_BOOSTS: tuple[tuple[str, float], ...] = (
    ("name", 4.0),
    ("brand_text", 3.0),
    ("tags_text", 3.0),
    ("category_text", 2.0),
    ("description", 1.0),
)
"""Text fields and their weights: name > brand and tags > category > description."""

SIMILAR_MAX_TERMS = 12
"""Most salient words of a product that a more-like-this query looks for."""
SIMILAR_ATTRIBUTE_BOOSTS: tuple[tuple[str, float], ...] = (
    ("brand", 2.0),
    ("material", 2.0),
    ("category", 1.5),
    ("colour", 1.0),
)
"""Keyword fields a more-like-this query also matches on, with the score each adds (a
category adds its boost times its depth in the path)."""


def tiebreak(product_id: str) -> int:
    """A stable 63-bit number per product: equal sort values break ties on it, the same way
    in every engine (so pages never repeat or skip a product)."""
    return int.from_bytes(hashlib.sha256(product_id.encode()).digest()[:8], "big") >> 1


def max_edits(word: str) -> int:
    """Typos tolerated in ``word``: OpenSearch's ``fuzziness: AUTO`` (0 up to 2 letters,
    1 up to 5, then 2)."""
    if len(word) <= 2:
        return 0
    return 1 if len(word) <= 5 else 2


def edit_distance(a: str, b: str, limit: int) -> int:
    """Damerau-Levenshtein distance (adjacent swaps cost 1), or ``limit + 1`` beyond it."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]
