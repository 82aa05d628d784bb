"""Operations: CloudTrail, the cost budget, and the alarms of the events stack."""

from __future__ import annotations

import json

import pytest

from tests.infra.conftest import Synthesized

pytest.importorskip("aws_cdk", reason="the CDK extra is not installed: pip install -e .[infra]")


def test_trail_is_multi_region_validated_and_encrypted(synth: Synthesized) -> None:
    trail = synth.only("Operations", "AWS::CloudTrail::Trail")
    assert trail["TrailName"] == "vitrine-test-audit"
    assert trail["EnableLogFileValidation"] is True
    assert trail["IsMultiRegionTrail"] is True
    assert trail["IncludeGlobalServiceEvents"] is True
    assert trail["IsLogging"] is True
    assert "AuditKey" in json.dumps(trail["KMSKeyId"])
    assert "TrailBucket" in json.dumps(trail["S3BucketName"])
    assert "CloudWatchLogsLogGroupArn" in trail


def test_trail_key_rotates_and_admits_only_this_trail(synth: Synthesized) -> None:
    [key] = [
        k["Properties"]
        for logical_id, k in synth.resources("Operations", "AWS::KMS::Key").items()
        if logical_id.startswith("AuditKey")
    ]
    assert key["EnableKeyRotation"] is True
    [encrypt] = [
        s for s in key["KeyPolicy"]["Statement"] if s.get("Sid") == "CloudTrailEncryptLogs"
    ]
    source_arn = json.dumps(encrypt["Condition"]["StringEquals"]["aws:SourceArn"])
    assert "cloudtrail:eu-west-1:111122223333:trail/vitrine-test-audit" in source_arn


def test_trail_bucket_is_private_and_tls_only(synth: Synthesized) -> None:
    [bucket] = [
        b["Properties"]
        for b in synth.resources("Data", "AWS::S3::Bucket").values()
        if b["Properties"]["BucketName"] == "vitrine-test-trail-111122223333-eu-west-1"
    ]
    assert bucket["PublicAccessBlockConfiguration"]["BlockPublicPolicy"] is True
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    assert bucket["LoggingConfiguration"]["LogFilePrefix"] == "s3/trail/"
    [rule] = bucket["LifecycleConfiguration"]["Rules"]
    assert rule["ExpirationInDays"] == 7 * 365


def test_monthly_budget_notifies_the_alarm_topic_and_on_call(synth: Synthesized) -> None:
    budget = synth.only("Operations", "AWS::Budgets::Budget")
    assert budget["Budget"]["BudgetLimit"] == {"Amount": 1000, "Unit": "USD"}
    assert budget["Budget"]["TimeUnit"] == "MONTHLY"
    notifications = {
        n["Notification"]["NotificationType"]: n for n in budget["NotificationsWithSubscribers"]
    }
    assert notifications["ACTUAL"]["Notification"]["Threshold"] == 80
    assert notifications["FORECASTED"]["Notification"]["Threshold"] == 100
    subscribers = notifications["ACTUAL"]["Subscribers"]
    assert {s["SubscriptionType"] for s in subscribers} == {"SNS", "EMAIL"}
    # and AWS Budgets may publish to the encrypted topic
    policy = synth.only("Operations", "AWS::SNS::TopicPolicy")["PolicyDocument"]
    [publish] = [s for s in policy["Statement"] if s.get("Sid") == "BudgetsPublish"]
    assert publish["Principal"] == {"Service": "budgets.amazonaws.com"}


def test_budget_amount_comes_from_context() -> None:
    from infra_cdk.app import build_app
    from tests.infra.conftest import TEST_CONTEXT

    built = build_app({**TEST_CONTEXT, "monthly_budget_usd": "250"}, nag=False)
    assert built.operations.budget.budget.budget.budget_limit.amount == 250  # type: ignore[union-attr]


def test_events_alarms_cover_throttles_lag_and_failures(synth: Synthesized) -> None:
    alarms = {
        a["Properties"]["AlarmName"]: a["Properties"]
        for a in synth.resources("Operations", "AWS::CloudWatch::Alarm").values()
    }
    throttles = alarms["vitrine-test-analytics-throttles"]
    assert throttles["MetricName"] == "PutRecords.ThrottledRecords"
    assert throttles["Namespace"] == "AWS/Kinesis"
    lag = alarms["vitrine-test-stream-indexer-lag"]
    assert (lag["MetricName"], lag["Statistic"], lag["Threshold"]) == (
        "IteratorAge",
        "Maximum",
        300_000,
    )
    assert alarms["vitrine-test-stream-indexer-throttles"]["MetricName"] == "Throttles"
    failures = alarms["vitrine-test-stream-indexer-failures"]
    assert failures["MetricName"] == "ApproximateNumberOfMessagesVisible"
    for alarm in alarms.values():
        assert alarm["AlarmActions"] == alarm["OKActions"]
