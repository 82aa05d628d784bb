"""The demo Cognito pool on the moto server: created per test module, signed in as a demo
user for a bearer header."""

from __future__ import annotations

import uuid

from gateway.local_cognito import LocalCognito, create_demo_pool, demo_user, sign_in

REGION = "us-east-1"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


def demo_pool(endpoint_url: str, prefix: str) -> LocalCognito:
    """A fresh demo user pool (shopper and admin users) named ``<prefix>-<random>``."""
    return create_demo_pool(
        endpoint_url, REGION, credentials=CREDENTIALS, pool_name=f"{prefix}-{uuid.uuid4().hex[:6]}"
    )


def bearer(pool: LocalCognito, role: str) -> dict[str, str]:
    """The Authorization header of demo user ``role`` (shopper | admin), signed in now."""
    user = demo_user(role)
    tokens = sign_in(
        client_id=pool.app_client_id,
        username=user.username,
        password=user.password,
        region=REGION,
        endpoint_url=pool.endpoint_url,
        credentials=CREDENTIALS,
    )
    return {"authorization": f"Bearer {tokens.access_token}"}
