"""Shopping: carts, checkout and orders (backed by the PostgreSQL shopping store)."""
