"""Shopper analytics: sinks, trending counters and trackEvents."""
