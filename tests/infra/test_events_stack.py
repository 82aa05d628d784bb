"""Events stack: the catalog stream's search indexer and the analytics stream to S3."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.infra.conftest import Synthesized

pytest.importorskip("aws_cdk", reason="the CDK extra is not installed: pip install -e .[infra]")

ANALYTICS_BUCKET = "arn:aws:s3:::vitrine-test-analytics-111122223333-eu-west-1"
TABLE = "arn:aws:dynamodb:eu-west-1:111122223333:table/vitrine-test-catalog"


def _indexer_function(synth: Synthesized) -> dict[str, Any]:
    [function] = synth.resources("Events", "AWS::Lambda::Function").values()
    return dict(function["Properties"])


def test_stream_indexer_reads_product_records_with_bisect_and_a_failure_queue(
    synth: Synthesized,
) -> None:
    mapping = synth.only("Events", "AWS::Lambda::EventSourceMapping")
    assert "CatalogTable" in json.dumps(mapping["EventSourceArn"])
    assert "StreamArn" in json.dumps(mapping["EventSourceArn"])
    assert mapping["BisectBatchOnFunctionError"] is True
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["MaximumRetryAttempts"] == 5
    assert mapping["MaximumRecordAgeInSeconds"] == 86400
    [criteria] = mapping["FilterCriteria"]["Filters"]
    assert json.loads(criteria["Pattern"]) == {"dynamodb": {"Keys": {"sk": {"S": ["PRODUCT"]}}}}
    queue = synth.only("Events", "AWS::SQS::Queue")
    assert queue["QueueName"] == "vitrine-test-stream-indexer-dlq"
    assert queue["SqsManagedSseEnabled"] is True
    [logical_id] = synth.resources("Events", "AWS::SQS::Queue")
    assert mapping["DestinationConfig"]["OnFailure"]["Destination"] == {
        "Fn::GetAtt": [logical_id, "Arn"]
    }


def test_stream_indexer_function_runs_the_handler_with_search_settings(
    synth: Synthesized,
) -> None:
    function = _indexer_function(synth)
    assert function["FunctionName"] == "vitrine-test-stream-indexer"
    assert function["Handler"] == "gateway.lambda_stream_indexer.handler"
    assert function["TracingConfig"] == {"Mode": "Active"}
    assert "VpcConfig" in function
    variables = function["Environment"]["Variables"]
    assert variables["VITRINE_SEARCH_ENGINE"] == "opensearch"
    assert variables["VITRINE_OPENSEARCH_AUTH"] == "sigv4"
    url = json.dumps(variables["OPENSEARCH_URL"])
    assert "https://" in url
    assert "SearchDomain" in url
    assert "DomainEndpoint" in url
    assert variables["VITRINE_API_KEYS"] == "[]"
    assert not [name for name in variables if name.endswith("_SECRET_ARN")]


def test_stream_indexer_reads_only(synth: Synthesized) -> None:
    [policy] = [
        p["Properties"]["PolicyDocument"]
        for logical_id, p in synth.resources("Events", "AWS::IAM::Policy").items()
        if logical_id.startswith("StreamIndexerAccess")
    ]
    statements = {s["Sid"]: s for s in policy["Statement"]}
    assert statements["CatalogStream"]["Action"] == [
        "dynamodb:DescribeStream",
        "dynamodb:GetRecords",
        "dynamodb:GetShardIterator",
    ]
    assert statements["CatalogRead"]["Resource"] == [TABLE, f"{TABLE}/index/*"]
    actions = [a for s in policy["Statement"] for a in _list(s["Action"])]
    assert not [
        a for a in actions if a.startswith(("dynamodb:Put", "dynamodb:Update", "dynamodb:Delete"))
    ]
    assert statements["ListStreams"] == {
        "Sid": "ListStreams",
        "Effect": "Allow",
        "Action": "dynamodb:ListStreams",
        "Resource": "*",
    }


def test_an_external_cluster_replaces_the_domain_and_is_not_signed() -> None:
    from aws_cdk.assertions import Template

    from infra_cdk.app import build_app
    from tests.infra.conftest import TEST_CONTEXT

    # given context naming a cluster of one's own
    context = {**TEST_CONTEXT, "opensearch_url": "https://search.vitrine.test"}
    # when the app is built
    built = build_app(context, nag=False)
    # then there is no domain, and the indexer and gateway are pointed at the cluster, unsigned
    assert built.data.search is None
    for stack in (built.events, built.api):
        [function] = Template.from_stack(stack).find_resources("AWS::Lambda::Function").values()
        variables = function["Properties"]["Environment"]["Variables"]
        assert variables["OPENSEARCH_URL"] == "https://search.vitrine.test"
        assert "VITRINE_OPENSEARCH_AUTH" not in variables
    assert not Template.from_stack(built.data).find_resources("AWS::OpenSearchService::Domain")


def test_analytics_stream_is_encrypted_on_demand(synth: Synthesized) -> None:
    stream = synth.only("Events", "AWS::Kinesis::Stream")
    assert stream["Name"] == "vitrine-test-analytics"
    assert stream["StreamModeDetails"] == {"StreamMode": "ON_DEMAND"}
    assert stream["StreamEncryption"]["EncryptionType"] == "KMS"
    assert "DataKey" in json.dumps(stream["StreamEncryption"]["KeyId"])


def test_firehose_writes_compressed_hourly_partitions(synth: Synthesized) -> None:
    delivery = synth.only("Events", "AWS::KinesisFirehose::DeliveryStream")
    assert delivery["DeliveryStreamType"] == "KinesisStreamAsSource"
    s3 = delivery["ExtendedS3DestinationConfiguration"]
    assert s3["CompressionFormat"] == "GZIP"
    hourly = (
        "year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/"
    )
    assert s3["Prefix"] == f"events/{hourly}"
    assert s3["ErrorOutputPrefix"] == f"errors/!{{firehose:error-output-type}}/{hourly}"
    assert "DataKey" in json.dumps(s3["EncryptionConfiguration"])
    assert s3["CloudWatchLoggingOptions"]["Enabled"] is True
    assert "AnalyticsBucket" in json.dumps(s3["BucketARN"])


def test_firehose_role_writes_only_the_analytics_prefixes(synth: Synthesized) -> None:
    [policy] = [
        p["Properties"]["PolicyDocument"]
        for logical_id, p in synth.resources("Events", "AWS::IAM::Policy").items()
        if logical_id.startswith("AnalyticsDeliveryPolicy")
    ]
    statements = {s["Sid"]: s for s in policy["Statement"]}
    assert statements["WriteObjects"]["Resource"] == [
        f"{ANALYTICS_BUCKET}/events/*",
        f"{ANALYTICS_BUCKET}/errors/*",
    ]
    assert statements["Bucket"]["Resource"] == ANALYTICS_BUCKET
    [role] = [
        r["Properties"]
        for lid, r in synth.resources("Events", "AWS::IAM::Role").items()
        if lid.startswith("AnalyticsDeliveryRole")
    ]
    [trust] = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "firehose.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"sts:ExternalId": "111122223333"}}


def test_analytics_bucket_is_private_encrypted_and_tiered(synth: Synthesized) -> None:
    [bucket] = [
        b["Properties"]
        for b in synth.resources("Data", "AWS::S3::Bucket").values()
        if b["Properties"]["BucketName"] == "vitrine-test-analytics-111122223333-eu-west-1"
    ]
    encryption = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert encryption["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert bucket["PublicAccessBlockConfiguration"]["RestrictPublicBuckets"] is True
    assert bucket["LoggingConfiguration"]["LogFilePrefix"] == "s3/analytics/"
    rules = {rule["Id"]: rule for rule in bucket["LifecycleConfiguration"]["Rules"]}
    assert [t["StorageClass"] for t in rules["old-events-to-cheaper-classes"]["Transitions"]] == [
        "STANDARD_IA",
        "GLACIER_IR",
    ]


def test_gateway_may_put_analytics_events(synth: Synthesized) -> None:
    [policy] = [
        p["Properties"]
        for logical_id, p in synth.resources("Api", "AWS::IAM::Policy").items()
        if logical_id.startswith("GatewayDataAccess")
    ]
    statements = {s["Sid"]: s for s in policy["PolicyDocument"]["Statement"] if "Sid" in s}
    assert statements["AnalyticsStream"]["Action"] == ["kinesis:PutRecord", "kinesis:PutRecords"]
    assert (
        statements["AnalyticsStream"]["Resource"]
        == "arn:aws:kinesis:eu-west-1:111122223333:stream/vitrine-test-analytics"
    )


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]
