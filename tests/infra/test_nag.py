"""cdk-nag's AwsSolutions pack passes, every acknowledgement is justified, and the check is
not vacuous."""

from __future__ import annotations

import json

import pytest

from tests.infra.conftest import Synthesized


def test_synthesis_passes_aws_solutions_checks(synth: Synthesized) -> None:
    # given the whole app synthesized with the AwsSolutions pack
    # then nothing interrupted synthesis and no plugin reported a violation
    assert synth.validation_error is None
    reports = (synth.report or {}).get("pluginReports", [])
    assert [(r["pluginName"], r["violations"]) for r in reports if r["violations"]] == []


def test_every_acknowledgement_names_a_rule_and_a_reason(synth: Synthesized) -> None:
    # given the acknowledgements recorded in the cloud assembly's metadata
    acknowledged = []
    for stack in synth.built.stacks:
        metadata = json.loads(
            (synth.outdir / f"{stack.artifact_id}.metadata.json").read_text(encoding="utf-8")
        )
        for path, entries in metadata.items():
            for entry in entries:
                if entry["type"] == "aws:cdk:acknowledged-rules":
                    acknowledged += [(path, rule, why) for rule, why in entry["data"].items()]
    ours = [
        (path, rule.removeprefix("Annotation::"), why)
        for path, rule, why in acknowledged
        if "AwsSolutions-" in rule
    ]
    # then only these AwsSolutions rules are acknowledged, each with a real reason
    assert sorted({rule.split("[")[0] for _, rule, _ in ours}) == [
        "AwsSolutions-APIG4",
        "AwsSolutions-AS3",
        "AwsSolutions-CFR1",
        "AwsSolutions-COG2",
        "AwsSolutions-COG8",
        "AwsSolutions-EC23",
        "AwsSolutions-EC26",
        "AwsSolutions-ECS2",
        "AwsSolutions-ELB2",
        "AwsSolutions-IAM5",
        "AwsSolutions-KDF1",
        "AwsSolutions-KDS3",
        "AwsSolutions-L1",
        "AwsSolutions-OS3",
        "AwsSolutions-SMG4",
        "AwsSolutions-SQS3",
    ]
    for path, rule, why in ours:
        assert len(why) >= 30, (path, rule, why)
    # and no wildcard finding is acknowledged on a data action
    iam5 = sorted({rule for _, rule, _ in ours if rule.startswith("AwsSolutions-IAM5")})
    assert iam5 == [
        "AwsSolutions-IAM5[Action::ecs:Submit*]",
        "AwsSolutions-IAM5[Resource::*]",
        "AwsSolutions-IAM5[Resource::arn:aws:dynamodb:eu-west-1:111122223333:table/vitrine-test-catalog/index/*]",
        "AwsSolutions-IAM5[Resource::arn:aws:es:eu-west-1:111122223333:domain/vitrine-test-search/*]",
        "AwsSolutions-IAM5[Resource::arn:aws:s3:::vitrine-test-analytics-111122223333-eu-west-1/errors/*]",
        "AwsSolutions-IAM5[Resource::arn:aws:s3:::vitrine-test-analytics-111122223333-eu-west-1/events/*]",
        "AwsSolutions-IAM5[Resource::arn:aws:s3:::vitrine-test-assets-111122223333-eu-west-1/*]",
        "AwsSolutions-IAM5[Resource::arn:aws:s3:::vitrine-test-assets-111122223333-eu-west-1/models/*]",
        "AwsSolutions-IAM5[Resource::arn:aws:s3:::vitrine-test-assets-111122223333-eu-west-1/uploads/*]",
    ]


def test_nag_catches_an_unencrypted_public_bucket(tmp_path: object) -> None:
    # given a throwaway app with a bucket that breaks the rules, checked the same way
    from aws_cdk import App, Stack
    from aws_cdk import aws_s3 as s3

    from infra_cdk.nag import add_aws_solutions_checks

    app = App(outdir=str(tmp_path))
    stack = Stack(app, "Careless")
    s3.Bucket(stack, "Open", block_public_access=s3.BlockPublicAccess.BLOCK_ACLS_ONLY)
    add_aws_solutions_checks(app)
    # when it synthesizes
    with pytest.raises(RuntimeError, match="AwsSolutions-S10"):
        app.synth()
    # then the report names the missing TLS enforcement
    report = json.loads((tmp_path / "validation-report.json").read_text())  # type: ignore[operator]
    rules = {v["ruleName"] for p in report["pluginReports"] for v in p["violations"]}
    assert "AwsSolutions-S10" in rules


def test_acknowledging_needs_a_real_reason() -> None:
    from aws_cdk import App

    from infra_cdk.nag import acknowledge

    with pytest.raises(ValueError, match="justification"):
        acknowledge(App(), "AwsSolutions-S1", "because")
