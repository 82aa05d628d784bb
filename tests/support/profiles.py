"""Settings of the production profile that pass its start-up refusals (no real services)."""

from __future__ import annotations

PRODUCTION_API_KEY = "da2-production-key"
SAFE_PRODUCTION: dict[str, object] = {
    "VITRINE_PROFILE": "production",
    "VITRINE_INTROSPECTION": False,
    "VITRINE_GRAPHIQL": False,
    "AWS_ENDPOINT_URL": None,
    "DATABASE_URL": "postgresql://app@aurora.cluster-abc.eu-west-1.rds.amazonaws.com/vitrine",
    "REDIS_URL": "rediss://cache.abc.euw1.cache.amazonaws.com:6379/0",
    "VITRINE_API_KEYS": [PRODUCTION_API_KEY],
    "VITRINE_ASSET_CDN_URL": "https://assets.example.com",
    "VITRINE_PAYMENT_PROVIDER": "stripe",
    "STRIPE_SECRET_KEY": "sk_live_not_a_real_key",
}
