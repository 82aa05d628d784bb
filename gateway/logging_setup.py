"""structlog configuration: JSON lines in production, readable console output locally."""

from __future__ import annotations

import logging
import os

import structlog


def configure_logging(level: str | None = None, *, json_lines: bool | None = None) -> None:
    """Route stdlib and structlog logs through one structlog pipeline."""
    level_name = (level or os.environ.get("VITRINE_LOG_LEVEL", "INFO")).upper()
    as_json = (
        json_lines if json_lines is not None else os.environ.get("VITRINE_PROFILE") == "production"
    )
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer()
        if as_json
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso"),
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler()
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level_name)
    for noisy in ("botocore", "aiobotocore", "werkzeug", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
