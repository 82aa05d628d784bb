"""AWS Lambda entry point of the gateway over HTTP: Mangum over the FastAPI app.

API Gateway HTTP API (payload format 2.0) calls ``gateway.lambda_http.handler``. Settings
come from the environment (the CDK stacks set them, see ``infra_cdk.names``); the services,
schema and app are built once per container, on the first invocation, and reused while the
container lives. Lifespan events are off: a Lambda container has no shutdown hook, and
start-up checks would run on every cold start inside the request's latency.

This module must stay light to import (cold starts): it imports no CLI, local stack,
render jobs or CDK code.
"""

from __future__ import annotations

from typing import Any

from mangum import Mangum

from gateway.app import create_app
from gateway.bootstrap import Services, build_services
from gateway.logging_setup import configure_logging
from gateway.secrets import resolve_secrets
from gateway.settings import Settings


def build_handler(
    settings: Settings | None = None,
    services: Services | None = None,
    *,
    configure_logs: bool = True,
) -> Mangum:
    """A Mangum adapter over a new app; ``settings`` default to the environment, with the
    secrets they name by ARN read from Secrets Manager. Logs go out as JSON lines
    (CloudWatch) unless ``configure_logs`` is false (tests)."""
    settings = resolve_secrets(Settings() if settings is None else settings)
    if configure_logs:
        configure_logging(settings.log_level, json_lines=True)
    services = build_services(settings) if services is None else services
    app = create_app(settings, services, check_on_start=False)
    return Mangum(app, lifespan="off")


_adapter: Mangum | None = None


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The Lambda handler."""
    global _adapter
    if _adapter is None:
        _adapter = build_handler()
    return _adapter(event, context)


__all__ = ["build_handler", "handler"]
