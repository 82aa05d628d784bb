"""``api_mode=appsync``: AppSync with the translated SDL and direct Lambda resolvers."""

from __future__ import annotations

import json
from typing import Any

import pytest
from graphql import build_schema

from tests.infra.conftest import Synthesized
from tests.infra.test_appsync_schema import APPSYNC_PRELUDE

pytest.importorskip("aws_cdk", reason="the CDK extra is not installed: pip install -e .[infra]")


def _committed_resolvers() -> list[dict[str, Any]]:
    from infra_cdk.config import REPO_ROOT

    document = json.loads((REPO_ROOT / "schema" / "resolver-map.json").read_text())
    resolvers: list[dict[str, Any]] = document["resolvers"]
    return resolvers


def test_appsync_mode_passes_aws_solutions_checks(synth_appsync: Synthesized) -> None:
    assert synth_appsync.validation_error is None
    reports = (synth_appsync.report or {}).get("pluginReports", [])
    assert [(r["pluginName"], r["violations"]) for r in reports if r["violations"]] == []
    # and the Lambda-mode API pieces are absent
    assert synth_appsync.resources("Api", "AWS::ApiGatewayV2::Api") == {}
    assert synth_appsync.resources("Api", "AWS::SecretsManager::Secret") == {}


def test_api_uses_cognito_by_default_api_keys_besides_xray_and_logs(
    synth_appsync: Synthesized,
) -> None:
    api = synth_appsync.only("Api", "AWS::AppSync::GraphQLApi")
    assert api["Name"] == "vitrine-test-graphql"
    assert api["AuthenticationType"] == "AMAZON_COGNITO_USER_POOLS"
    assert api["UserPoolConfig"]["DefaultAction"] == "ALLOW"
    assert "UserPool" in json.dumps(api["UserPoolConfig"]["UserPoolId"])
    assert api["AdditionalAuthenticationProviders"] == [{"AuthenticationType": "API_KEY"}]
    assert api["XrayEnabled"] is True
    assert api["LogConfig"]["FieldLogLevel"] == "ERROR"
    assert api["LogConfig"]["ExcludeVerboseContent"] is True
    assert api["IntrospectionConfig"] == "DISABLED"
    key = synth_appsync.only("Api", "AWS::AppSync::ApiKey")
    assert isinstance(key["Expires"], int)


def test_schema_is_the_translated_export(synth_appsync: Synthesized) -> None:
    definition = synth_appsync.only("Api", "AWS::AppSync::GraphQLSchema")["Definition"]
    assert "scalar AWSDateTime" not in definition
    assert "type Product implements Node @aws_api_key @aws_cognito_user_pools" in definition
    schema = build_schema(APPSYNC_PRELUDE + definition)
    assert schema.mutation_type is not None


def test_every_pipeline_field_has_a_batched_direct_lambda_resolver(
    synth_appsync: Synthesized,
) -> None:
    resolvers = synth_appsync.resources("Api", "AWS::AppSync::Resolver")
    attached = {
        (r["Properties"]["TypeName"], r["Properties"]["FieldName"]): r["Properties"]
        for r in resolvers.values()
    }
    expected = {(r["typeName"], r["fieldName"]) for r in _committed_resolvers()}
    assert set(attached) == expected
    assert ("Query", "product") in attached
    assert ("Product", "assets") in attached
    for properties in attached.values():
        assert properties["Kind"] == "UNIT"
        assert properties["MaxBatchSize"] == 100
        assert properties["DataSourceName"] == "Resolvers"
        # direct Lambda resolvers: no mapping templates, no JS runtime
        assert "RequestMappingTemplate" not in properties
        assert "Code" not in properties
    source = synth_appsync.only("Api", "AWS::AppSync::DataSource")
    assert source["Type"] == "AWS_LAMBDA"


def test_fields_the_gateway_caches_are_cached_by_appsync_for_as_long(
    synth_appsync: Synthesized,
) -> None:
    # given the fields whose pipelines carry a resolver-cache TTL
    ttls = {
        (r["typeName"], r["fieldName"]): int(r["cacheTtlSeconds"])
        for r in _committed_resolvers()
        if r.get("cacheTtlSeconds")
    }
    assert ttls, "expected at least one cached field (Query.categories)"
    # then the API has an encrypted per-resolver cache
    cache = synth_appsync.only("Api", "AWS::AppSync::ApiCache")
    assert cache["ApiCachingBehavior"] == "PER_RESOLVER_CACHING"
    assert (cache["AtRestEncryptionEnabled"], cache["TransitEncryptionEnabled"]) == (True, True)
    assert cache["Ttl"] == max(ttls.values())
    # and exactly those resolvers cache, as long as the gateway does, keyed by their arguments
    resolvers = synth_appsync.resources("Api", "AWS::AppSync::Resolver").values()
    caching = {
        (r["Properties"]["TypeName"], r["Properties"]["FieldName"]): r["Properties"][
            "CachingConfig"
        ]
        for r in resolvers
        if "CachingConfig" in r["Properties"]
    }
    assert {field: config["Ttl"] for field, config in caching.items()} == ttls
    assert caching[("Query", "categories")]["CachingKeys"] == []
    for resolver in resolvers:
        if "CachingConfig" in resolver["Properties"]:
            assert any("Cache" in dependency for dependency in resolver["DependsOn"])


def test_caching_keys_are_the_fields_arguments() -> None:
    from infra_cdk.constructs.graphql_api import field_arguments

    arguments = field_arguments(
        "type Query { product(id: ID, slug: String): Int categories: [Int] }"
    )
    assert arguments == {"Query.product": ("id", "slug"), "Query.categories": ()}


def test_resolver_function_runs_the_appsync_handler_without_api_key_secrets(
    synth_appsync: Synthesized,
) -> None:
    [function] = [
        f["Properties"]
        for f in synth_appsync.resources("Api", "AWS::Lambda::Function").values()
        if f["Properties"].get("Handler") == "gateway.lambda_appsync.handler"
    ]
    assert function["FunctionName"] == "vitrine-test-resolvers"
    assert function["TracingConfig"] == {"Mode": "Active"}
    variables = function["Environment"]["Variables"]
    assert variables["VITRINE_API_KEYS"] == "[]"
    assert "VITRINE_API_KEYS_SECRET_ARN" not in variables
    assert "VITRINE_ORIGIN_VERIFY_SECRET_ARN" not in variables
    [policy] = [
        p["Properties"]["PolicyDocument"]
        for logical_id, p in synth_appsync.resources("Api", "AWS::IAM::Policy").items()
        if logical_id.startswith("GatewayDataAccess")
    ]
    secrets = next(s for s in policy["Statement"] if s.get("Sid") == "Secrets")
    assert len(secrets["Resource"]) == 4  # database, Redis and the two Stripe secrets


def test_cloudfront_fronts_appsync_without_the_origin_verify_header(
    synth_appsync: Synthesized,
) -> None:
    origins = synth_appsync.only("Edge", "AWS::CloudFront::Distribution")["DistributionConfig"][
        "Origins"
    ]
    [api] = [o for o in origins if "CustomOriginConfig" in o]
    assert "GraphQLUrl" in json.dumps(api["DomainName"])
    assert "OriginCustomHeaders" not in api


def test_operations_watch_appsync_metrics(synth_appsync: Synthesized) -> None:
    alarms = {
        a["Properties"]["AlarmName"]: a["Properties"]
        for a in synth_appsync.resources("Operations", "AWS::CloudWatch::Alarm").values()
    }
    latency = alarms["vitrine-test-api-p99-latency"]
    assert latency["Namespace"] == "AWS/AppSync"
    assert latency["MetricName"] == "Latency"
    assert latency["ExtendedStatistic"] == "p99"
    errors = alarms["vitrine-test-api-5xx-rate"]
    names = {
        m["MetricStat"]["Metric"]["MetricName"] for m in errors["Metrics"] if "MetricStat" in m
    }
    assert names == {"5XXError", "Latency"}
