"""Shopper analytics: the trackEvents mutation."""
