"""A typed Python client of the Vitrine API and one short script per shopper journey."""
