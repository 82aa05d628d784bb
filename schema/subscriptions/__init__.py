"""Subscriptions: events of orders, carts, stock, prices and ingest jobs."""
