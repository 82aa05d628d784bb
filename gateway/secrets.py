"""Secrets by ARN: API keys, database password, Redis AUTH token, the origin-verify value and
the Stripe keys, read from Secrets Manager once, at cold start, instead of from plain
environment values.

The stacks pass ``VITRINE_*_SECRET_ARN`` variables and grant ``secretsmanager:GetSecretValue``
on those ARNs only; the values never appear in the function's configuration or in
CloudFormation, and a rotated secret takes effect on the next cold start.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

from pydantic import SecretStr

from gateway.settings import LOCAL_API_KEY, Profile, Settings

Fetch = Callable[[str], str]
"""``SecretString`` of a secret ARN."""


class SecretResolutionError(RuntimeError):
    """A configured secret could not be read or does not hold what its setting needs."""


def secrets_manager_fetch(settings: Settings) -> Fetch:
    """GetSecretValue through boto3, with the settings' region, endpoint and credentials."""
    import boto3
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError

    client = boto3.client(
        "secretsmanager",
        region_name=settings.aws_region,
        endpoint_url=settings.aws_endpoint_url,
        aws_access_key_id=settings.aws_access_key_id,
        aws_secret_access_key=settings.secret_access_key(),
        config=Config(
            connect_timeout=settings.connect_timeout_seconds,
            read_timeout=settings.connect_timeout_seconds * 2,
            retries={"max_attempts": settings.max_retry_attempts + 1, "mode": "standard"},
        ),
    )

    def fetch(arn: str) -> str:
        try:
            answer: dict[str, Any] = client.get_secret_value(SecretId=arn)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "ClientError")
            raise SecretResolutionError(f"Secrets Manager refused {arn} ({code})") from error
        except BotoCoreError as error:
            raise SecretResolutionError(
                f"Secrets Manager did not answer for {arn} ({type(error).__name__})"
            ) from error
        value = answer.get("SecretString")
        if not isinstance(value, str):
            raise SecretResolutionError(f"{arn} holds no SecretString (binary secrets unused)")
        return value

    return fetch


def resolve_secrets(settings: Settings, fetch: Fetch | None = None) -> Settings:
    """``settings`` with every ``*_SECRET_ARN`` read and applied (unchanged if none is set)."""
    arns = (
        settings.api_keys_secret_arn,
        settings.database_secret_arn,
        settings.redis_auth_secret_arn,
        settings.origin_verify_secret_arn,
        settings.stripe_secret_arn,
        settings.stripe_webhook_secret_arn,
    )
    if not any(arns):
        return settings
    read = fetch or secrets_manager_fetch(settings)
    update: dict[str, Any] = {}
    if settings.api_keys_secret_arn:
        keys = _api_keys(settings.api_keys_secret_arn, read(settings.api_keys_secret_arn))
        if settings.profile is Profile.PRODUCTION and LOCAL_API_KEY in keys:
            raise SecretResolutionError(
                "VITRINE_API_KEYS_SECRET_ARN holds the local development key in production"
            )
        update["api_keys"] = [SecretStr(k) for k in keys]
    if settings.database_secret_arn:
        if settings.database_url is None:
            raise SecretResolutionError(
                "VITRINE_DATABASE_SECRET_ARN is set but DATABASE_URL is not"
            )
        document = _json_object(settings.database_secret_arn, read(settings.database_secret_arn))
        password = document.get("password")
        if not isinstance(password, str) or not password:
            raise SecretResolutionError(
                f"{settings.database_secret_arn} has no 'password' field (an RDS secret has one)"
            )
        username = document.get("username")
        update["database_url"] = with_credentials(
            settings.database_url, password, username if isinstance(username, str) else None
        )
    if settings.redis_auth_secret_arn:
        if settings.redis_url is None:
            raise SecretResolutionError("VITRINE_REDIS_AUTH_SECRET_ARN is set but REDIS_URL is not")
        token = _plain(settings.redis_auth_secret_arn, read(settings.redis_auth_secret_arn))
        update["redis_url"] = with_credentials(settings.redis_url, token, None)
    if settings.origin_verify_secret_arn:
        value = _plain(settings.origin_verify_secret_arn, read(settings.origin_verify_secret_arn))
        update["origin_verify_secret"] = SecretStr(value)
    for arn, field in (
        (settings.stripe_secret_arn, "stripe_secret_key"),
        (settings.stripe_webhook_secret_arn, "stripe_webhook_secret"),
    ):
        if arn:
            update[field] = SecretStr(_plain(arn, read(arn)))
    return settings.model_copy(update=update)


def with_credentials(url: str, password: str, username: str | None) -> str:
    """``url`` with ``password`` (and ``username`` when the URL names no user), escaped."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    user = parts.username or username or ""
    if not user and parts.scheme.startswith("postgres"):
        raise SecretResolutionError("DATABASE_URL names no user and the secret has none")
    netloc = f"{quote(user, safe='')}:{quote(password, safe='')}@{host}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def _api_keys(arn: str, value: str) -> list[str]:
    text = value.strip()
    if text.startswith(("{", "[")):
        try:
            parsed = json.loads(text)
        except ValueError as error:
            raise SecretResolutionError(f"{arn} is not valid JSON") from error
        if isinstance(parsed, dict):
            parsed = [parsed.get("key")]
        if not isinstance(parsed, list) or not all(isinstance(k, str) and k for k in parsed):
            raise SecretResolutionError(
                f'{arn} must hold {{"key": "..."}}, a JSON list of keys, or one key'
            )
        keys: list[str] = parsed
    else:
        keys = [text]
    if not keys or not all(keys):
        raise SecretResolutionError(f"{arn} holds no API key")
    return keys


def _json_object(arn: str, value: str) -> dict[str, Any]:
    try:
        parsed = json.loads(value)
    except ValueError as error:
        raise SecretResolutionError(f"{arn} is not a JSON object") from error
    if not isinstance(parsed, dict):
        raise SecretResolutionError(f"{arn} is not a JSON object")
    return parsed


def _plain(arn: str, value: str) -> str:
    text = value.strip()
    if not text:
        raise SecretResolutionError(f"{arn} is empty")
    return text
