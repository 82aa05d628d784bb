"""Recommendations: products to show beside a product, with reasons."""
