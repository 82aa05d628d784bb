"""Synthesize the CDK app once per test session (offline, no AWS calls), cdk-nag included."""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from aws_cdk.assertions import Template

    from infra_cdk.app import VitrineApp

TEST_CONTEXT = {
    "account": "111122223333",
    "region": "eu-west-1",
    "stage": "test",
    "lambda_code": "source",
    "domain_name": "shop.vitrine.test",
    "certificate_arn": (
        "arn:aws:acm:us-east-1:111122223333:certificate/11111111-2222-3333-4444-555555555555"
    ),
    "hosted_zone_id": "Z0123456789ABCDEFGHIJ",
    "hosted_zone_name": "vitrine.test",
    "hosted_ui_domain_prefix": "vitrine-test-login",
    "alarm_emails": "oncall@vitrine.test",
    "realtime_certificate_arn": (
        "arn:aws:acm:eu-west-1:111122223333:certificate/66666666-7777-8888-9999-000000000000"
    ),
}


@dataclass(frozen=True)
class Synthesized:
    """The app, its cloud assembly directory, each stack's template and the
    validation (cdk-nag) outcome."""

    built: VitrineApp
    outdir: Path
    templates: dict[str, dict[str, Any]]
    validation_error: str | None
    report: dict[str, Any] | None

    def template(self, stack_id: str) -> Template:
        """``aws_cdk.assertions.Template`` of a stack (by construct id: Data, Api...)."""
        from aws_cdk.assertions import Template

        return Template.from_json(self.templates[stack_id])

    def resources(self, stack_id: str, resource_type: str) -> dict[str, dict[str, Any]]:
        """The stack's resources of one CloudFormation type, by logical id."""
        return {
            logical_id: resource
            for logical_id, resource in self.templates[stack_id]["Resources"].items()
            if resource["Type"] == resource_type
        }

    def only(self, stack_id: str, resource_type: str) -> dict[str, Any]:
        """The properties of the stack's one resource of this type."""
        found = self.resources(stack_id, resource_type)
        assert len(found) == 1, f"{stack_id}: {len(found)} {resource_type}"
        properties: dict[str, Any] = next(iter(found.values())).get("Properties", {})
        return properties


def _synthesize(context: dict[str, Any], outdir: Path) -> Synthesized:
    pytest.importorskip("aws_cdk", reason="the CDK extra is not installed: pip install -e .[infra]")
    if shutil.which("node") is None:
        pytest.skip("Node.js is needed to synthesize the CDK app")
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    from infra_cdk.app import build_app

    built = build_app(context, outdir=str(outdir))
    error: str | None = None
    try:
        built.app.synth()
    except RuntimeError as failure:  # cdk-nag findings interrupt synthesis
        error = str(failure)
    report_path = outdir / "validation-report.json"
    report = json.loads(report_path.read_text()) if report_path.exists() else None
    templates = {
        stack.artifact_id: json.loads((outdir / stack.template_file).read_text())
        for stack in built.stacks
    }
    return Synthesized(built, outdir, templates, error, report)


@pytest.fixture(scope="session")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    """The app in its default API mode (the gateway on Lambda)."""
    return _synthesize(TEST_CONTEXT, tmp_path_factory.mktemp("cdk.out"))


@pytest.fixture(scope="session")
def synth_appsync(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    """The app with ``api_mode=appsync``."""
    context = {**TEST_CONTEXT, "api_mode": "appsync"}
    return _synthesize(context, tmp_path_factory.mktemp("cdk.out.appsync"))
