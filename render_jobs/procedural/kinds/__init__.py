"""Model kinds by name; importing this package registers every builder."""

from render_jobs.procedural.kinds import decor, electronics, fashion, furniture, lighting
from render_jobs.procedural.kinds.registry import KINDS, Kind, Parts

__all__ = ["KINDS", "Kind", "Parts", "decor", "electronics", "fashion", "furniture", "lighting"]
