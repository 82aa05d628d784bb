"""Benchmarks: Vitrine's GraphQL path against a hand-written endpoint and a naive resolver set.

``python -m bench.run`` (or ``make bench``) runs everything and writes ``docs/benchmarks.md``.
"""
