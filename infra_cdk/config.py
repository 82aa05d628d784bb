"""Deployment settings read from CDK context (``-c key=value`` or ``CDK_CONTEXT_JSON``).

Every value has a default so that ``make synth`` and the tests work offline with no AWS
account; the dummy account, certificate and domain make a real deploy fail fast until they
are given. Nothing here calls AWS.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from infra_cdk.names import Names

REPO_ROOT = Path(__file__).resolve().parent.parent
DUMMY_ACCOUNT = "123456789012"
DEFAULT_REGION = "eu-west-1"
EDGE_REGION = "us-east-1"
"""CloudFront's WAF web ACLs and ACM certificates must live in us-east-1."""
DUMMY_CERTIFICATE_ARN = (
    f"arn:aws:acm:{EDGE_REGION}:{DUMMY_ACCOUNT}:certificate/00000000-0000-0000-0000-000000000000"
)
SOURCE_CODE = "source"
"""``lambda_code=source``: package the source tree without dependencies (synth tests only)."""
DEFAULT_BUNDLE_DIR = "build/lambda"
DEFAULT_RENDER_INSTANCE_TYPES = ("g5.xlarge", "g6.xlarge")
GPU_INSTANCE_FAMILIES = ("g4dn", "g5", "g6", "g6e")
"""One NVIDIA GPU per instance and the ECS GPU-optimized AMI (x86_64)."""


class ApiMode(StrEnum):
    """How the GraphQL API runs on AWS."""

    LAMBDA = "lambda"
    """The gateway itself on Lambda behind an HTTP API and CloudFront."""
    APPSYNC = "appsync"
    """AWS AppSync with the exported SDL and direct Lambda resolvers."""


class ConfigError(ValueError):
    """A context value is missing or malformed."""


def _text(context: Mapping[str, Any], key: str, default: str | None) -> str | None:
    value = context.get(key, default)
    if value is None:
        return None
    if not isinstance(value, str | int):
        raise ConfigError(f"context {key!r} must be a string, got {value!r}")
    text = str(value).strip()
    return text or None


def _int(context: Mapping[str, Any], key: str, default: int) -> int:
    value = context.get(key, default)
    try:
        return int(value)
    except (TypeError, ValueError) as error:
        raise ConfigError(f"context {key!r} must be an integer, got {value!r}") from error


def _list(context: Mapping[str, Any], key: str) -> tuple[str, ...]:
    value = context.get(key)
    if value is None:
        return ()
    if isinstance(value, str):
        text = value.strip()
        items = json.loads(text) if text.startswith("[") else text.split(",")
    else:
        items = value
    return tuple(str(item).strip() for item in items if str(item).strip())


def _https_url(context: Mapping[str, Any], key: str) -> str | None:
    url = _text(context, key, None)
    if url is not None and not url.startswith("https://"):
        raise ConfigError(f"context {key!r} must be an https:// URL, got {url!r}")
    return url


@dataclass(frozen=True)
class DeployConfig:
    """One deployment of Vitrine."""

    account: str = DUMMY_ACCOUNT
    region: str = DEFAULT_REGION
    stage: str = "prod"
    api_mode: ApiMode = ApiMode.LAMBDA
    domain_name: str = "vitrine.example.com"
    certificate_arn: str = DUMMY_CERTIFICATE_ARN
    hosted_zone_id: str | None = None
    hosted_zone_name: str | None = None
    hosted_ui_domain_prefix: str | None = None
    availability_zones: tuple[str, ...] = ()
    lambda_code: str = DEFAULT_BUNDLE_DIR
    alarm_emails: tuple[str, ...] = ()
    rate_limit_per_5_minutes: int = 3000
    max_request_body_bytes: int = 16 * 1024
    cors_origins: tuple[str, ...] = ()
    render_instance_types: tuple[str, ...] = DEFAULT_RENDER_INSTANCE_TYPES
    render_max_instances: int = 4
    render_image_tag: str = "latest"
    opensearch_url: str | None = None
    monthly_budget_usd: int = 1000
    realtime_certificate_arn: str | None = None
    """A regional ACM certificate for ``realtime-origin.<domain_name>``: with it (and a
    hosted zone), ``api_mode=lambda`` adds the Fargate services for WebSockets and SSE."""
    gateway_image_tag: str = "latest"
    max_realtime_tasks: int = 8

    @classmethod
    def from_context(cls, context: Mapping[str, Any]) -> DeployConfig:
        """The configuration from CDK context values (strings, as ``-c`` passes them)."""
        defaults = cls()
        region = _text(context, "region", defaults.region) or defaults.region
        mode = _text(context, "api_mode", ApiMode.LAMBDA.value) or ApiMode.LAMBDA.value
        try:
            api_mode = ApiMode(mode)
        except ValueError as error:
            choices = ", ".join(m.value for m in ApiMode)
            raise ConfigError(f"context 'api_mode' must be one of {choices}") from error
        zones = _list(context, "availability_zones") or (f"{region}a", f"{region}b")
        if len(zones) < 2:
            raise ConfigError("context 'availability_zones' needs at least two zones (Multi-AZ)")
        hosted_zone_id = _text(context, "hosted_zone_id", None)
        hosted_zone_name = _text(context, "hosted_zone_name", None)
        if (hosted_zone_id is None) != (hosted_zone_name is None):
            raise ConfigError("give both 'hosted_zone_id' and 'hosted_zone_name', or neither")
        stage = _text(context, "stage", defaults.stage) or defaults.stage
        if not stage.replace("-", "").isalnum() or stage != stage.lower():
            raise ConfigError(f"context 'stage' must be lower-case letters, digits, '-': {stage!r}")
        domain = _text(context, "domain_name", defaults.domain_name) or defaults.domain_name
        instance_types = _list(context, "render_instance_types") or defaults.render_instance_types
        for instance_type in instance_types:
            if instance_type.split(".")[0] not in GPU_INSTANCE_FAMILIES:
                families = ", ".join(GPU_INSTANCE_FAMILIES)
                raise ConfigError(
                    f"context 'render_instance_types': {instance_type!r} is not a GPU instance "
                    f"type of the families {families}"
                )
        budget = _int(context, "monthly_budget_usd", defaults.monthly_budget_usd)
        if budget < 1:
            raise ConfigError("context 'monthly_budget_usd' must be a positive amount")
        max_instances = _int(context, "render_max_instances", defaults.render_max_instances)
        if max_instances < 1:
            raise ConfigError("context 'render_max_instances' must be at least 1")
        realtime_certificate = _text(context, "realtime_certificate_arn", None)
        if realtime_certificate is not None and hosted_zone_id is None:
            raise ConfigError(
                "context 'realtime_certificate_arn' needs 'hosted_zone_id' and "
                "'hosted_zone_name' (the realtime origin gets a DNS name in that zone)"
            )
        max_realtime_tasks = _int(context, "max_realtime_tasks", defaults.max_realtime_tasks)
        if max_realtime_tasks < 2:
            raise ConfigError("context 'max_realtime_tasks' must be at least 2 (one per zone)")
        return cls(
            account=_text(context, "account", defaults.account) or defaults.account,
            region=region,
            stage=stage,
            api_mode=api_mode,
            domain_name=domain,
            certificate_arn=_text(context, "certificate_arn", defaults.certificate_arn)
            or defaults.certificate_arn,
            hosted_zone_id=hosted_zone_id,
            hosted_zone_name=hosted_zone_name,
            hosted_ui_domain_prefix=_text(context, "hosted_ui_domain_prefix", None),
            availability_zones=zones,
            lambda_code=_text(context, "lambda_code", defaults.lambda_code) or defaults.lambda_code,
            alarm_emails=_list(context, "alarm_emails"),
            rate_limit_per_5_minutes=_int(
                context, "rate_limit_per_5_minutes", defaults.rate_limit_per_5_minutes
            ),
            max_request_body_bytes=_int(
                context, "max_request_body_bytes", defaults.max_request_body_bytes
            ),
            cors_origins=_list(context, "cors_origins") or (f"https://{domain}",),
            render_instance_types=instance_types,
            render_max_instances=max_instances,
            render_image_tag=_text(context, "render_image_tag", defaults.render_image_tag)
            or defaults.render_image_tag,
            opensearch_url=_https_url(context, "opensearch_url"),
            monthly_budget_usd=budget,
            realtime_certificate_arn=realtime_certificate,
            gateway_image_tag=_text(context, "gateway_image_tag", defaults.gateway_image_tag)
            or defaults.gateway_image_tag,
            max_realtime_tasks=max_realtime_tasks,
        )

    @property
    def names(self) -> Names:
        """Physical names of this deployment."""
        return Names(self.stage)

    @property
    def realtime_origin_domain(self) -> str:
        """The realtime load balancer's DNS name (CloudFront's origin for WebSockets/SSE)."""
        return f"realtime-origin.{self.domain_name}"

    @property
    def realtime(self) -> bool:
        """Whether the Fargate services for WebSockets and SSE are deployed."""
        return self.api_mode is ApiMode.LAMBDA and self.realtime_certificate_arn is not None

    @property
    def public_url(self) -> str:
        """The storefront's API and asset origin (the CloudFront distribution's alias)."""
        return f"https://{self.domain_name}"

    def lambda_code_path(self) -> Path:
        """The directory packaged as the gateway function's code."""
        if self.lambda_code == SOURCE_CODE:
            return REPO_ROOT
        path = Path(self.lambda_code)
        return path if path.is_absolute() else REPO_ROOT / path
