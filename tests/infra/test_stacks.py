"""Each stack's key resources and properties, from one offline synthesis."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.infra.conftest import Synthesized

Match = pytest.importorskip(
    "aws_cdk.assertions", reason="the CDK extra is not installed: pip install -e .[infra]"
).Match

# -- Data -----------------------------------------------------------------------------------


def test_catalog_table_is_encrypted_recoverable_and_streams(synth: Synthesized) -> None:
    table = synth.only("Data", "AWS::DynamoDB::Table")
    assert table["TableName"] == "vitrine-test-catalog"
    assert table["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert table["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert table["SSESpecification"]["SSEEnabled"] is True
    assert table["SSESpecification"]["SSEType"] == "KMS"
    assert table["SSESpecification"]["KMSMasterKeyId"] == {
        "Fn::GetAtt": [_logical_id(synth, "Data", "AWS::KMS::Key"), "Arn"]
    }
    assert table["DeletionProtectionEnabled"] is True
    [resource] = synth.resources("Data", "AWS::DynamoDB::Table").values()
    assert resource["DeletionPolicy"] == "Retain"


def test_data_key_rotates(synth: Synthesized) -> None:
    key = synth.only("Data", "AWS::KMS::Key")
    assert key["EnableKeyRotation"] is True
    synth.template("Data").has_resource_properties(
        "AWS::KMS::Alias", {"AliasName": "alias/vitrine-test-data"}
    )


def test_asset_bucket_is_private_encrypted_versioned_and_tiered(synth: Synthesized) -> None:
    [bucket] = [
        b["Properties"]
        for b in synth.resources("Data", "AWS::S3::Bucket").values()
        if b["Properties"]["BucketName"] == "vitrine-test-assets-111122223333-eu-west-1"
    ]
    encryption = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert encryption["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert encryption["BucketKeyEnabled"] is True
    assert bucket["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    rules = {rule["Id"]: rule for rule in bucket["LifecycleConfiguration"]["Rules"]}
    assert rules["old-renders-to-cheaper-classes"]["Prefix"] == "renders/"
    assert rules["old-renders-to-cheaper-classes"]["Transitions"] == [
        {"StorageClass": "STANDARD_IA", "TransitionInDays": 30},
        {"StorageClass": "GLACIER_IR", "TransitionInDays": 90},
    ]
    assert rules["abort-incomplete-uploads"]["AbortIncompleteMultipartUpload"] == {
        "DaysAfterInitiation": 2
    }
    [cors] = bucket["CorsConfiguration"]["CorsRules"]
    assert set(cors["AllowedMethods"]) == {"PUT", "POST", "GET", "HEAD"}
    assert cors["AllowedOrigins"] == ["https://shop.vitrine.test"]
    assert bucket["LoggingConfiguration"]["LogFilePrefix"] == "s3/assets/"


def test_asset_bucket_policy_requires_tls_and_admits_only_cloudfront(synth: Synthesized) -> None:
    policies = synth.resources("Data", "AWS::S3::BucketPolicy")
    statements = [
        statement
        for policy in policies.values()
        if "Assets" in json.dumps(policy["Properties"]["Bucket"])
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]
    deny_plain_http = [
        s
        for s in statements
        if s["Effect"] == "Deny"
        and s.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}
    ]
    assert len(deny_plain_http) == 1
    [cloudfront] = [s for s in statements if s.get("Sid") == "CloudFrontOriginAccessControlRead"]
    assert cloudfront["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert cloudfront["Action"] == "s3:GetObject"
    assert cloudfront["Condition"] == {
        "StringLike": {"AWS:SourceArn": "arn:aws:cloudfront::111122223333:distribution/*"}
    }


def test_aurora_is_serverless_v2_multi_az_encrypted_behind_a_tls_proxy(synth: Synthesized) -> None:
    cluster = synth.only("Data", "AWS::RDS::DBCluster")
    assert cluster["Engine"] == "aurora-postgresql"
    assert cluster["EngineVersion"].startswith("16.")
    assert cluster["StorageEncrypted"] is True
    assert "KmsKeyId" in cluster
    assert cluster["DeletionProtection"] is True
    assert cluster["EnableIAMDatabaseAuthentication"] is True
    assert cluster["ServerlessV2ScalingConfiguration"] == {"MinCapacity": 0.5, "MaxCapacity": 16}
    assert cluster["Port"] == 5433
    instances = synth.resources("Data", "AWS::RDS::DBInstance")
    assert sorted(i["Properties"]["DBInstanceClass"] for i in instances.values()) == [
        "db.serverless",
        "db.serverless",
    ]
    subnets = synth.only("Data", "AWS::RDS::DBSubnetGroup")["SubnetIds"]
    assert len(subnets) == 2
    assert all("dataSubnet" in json.dumps(s) for s in subnets)
    proxy = synth.only("Data", "AWS::RDS::DBProxy")
    assert proxy["RequireTLS"] is True
    assert proxy["EngineFamily"] == "POSTGRESQL"
    secrets = synth.resources("Data", "AWS::SecretsManager::Secret")
    assert sorted(s["Properties"]["Name"] for s in secrets.values()) == [
        "vitrine/test/database",
        "vitrine/test/redis-auth",
    ]


def test_redis_is_multi_az_and_encrypted_in_transit_and_at_rest(synth: Synthesized) -> None:
    group = synth.only("Data", "AWS::ElastiCache::ReplicationGroup")
    assert group["MultiAZEnabled"] is True
    assert group["AutomaticFailoverEnabled"] is True
    assert group["ReplicasPerNodeGroup"] == 1
    assert group["AtRestEncryptionEnabled"] is True
    assert group["TransitEncryptionEnabled"] is True
    assert "KmsKeyId" in group
    assert group["Port"] == 6380
    assert "{{resolve:secretsmanager:" in json.dumps(group["AuthToken"])


def test_vpc_has_private_subnets_endpoints_and_flow_logs(synth: Synthesized) -> None:
    template = synth.template("Data")
    template.resource_count_is("AWS::EC2::NatGateway", 2)
    template.resource_count_is("AWS::EC2::Subnet", 6)
    endpoints = [e["Properties"] for e in synth.resources("Data", "AWS::EC2::VPCEndpoint").values()]
    services = sorted(json.dumps(e["ServiceName"]) for e in endpoints)
    assert any("dynamodb" in s for s in services)
    assert any(".s3" in s for s in services)
    assert any("secretsmanager" in s for s in services)
    interface = [e for e in endpoints if e.get("VpcEndpointType") == "Interface"]
    assert all(e["PrivateDnsEnabled"] is True for e in interface)
    template.has_resource_properties(
        "AWS::EC2::FlowLog", {"ResourceType": "VPC", "TrafficType": "REJECT"}
    )


def test_data_stores_admit_only_the_gateway_security_group(synth: Synthesized) -> None:
    ingress = synth.resources("Data", "AWS::EC2::SecurityGroupIngress")
    rules = [r["Properties"] for r in ingress.values()]
    assert rules, "expected explicit ingress rules"
    assert all("SourceSecurityGroupId" in r for r in rules)
    assert not any(r.get("CidrIp") == "0.0.0.0/0" for r in rules)
    literal_ports = sorted(r["FromPort"] for r in rules if isinstance(r["FromPort"], int))
    # endpoints, OpenSearch, RDS Proxy, Redis: from the gateway
    assert literal_ports == [443, 443, 5432, 6380]
    [to_cluster] = [r for r in rules if not isinstance(r["FromPort"], int)]
    assert to_cluster["FromPort"]["Fn::GetAtt"][1] == "Endpoint.Port"  # RDS Proxy to Aurora
    assert "Proxy" in json.dumps(to_cluster["SourceSecurityGroupId"])


# -- Identity -------------------------------------------------------------------------------


def test_user_pool_groups_client_and_hosted_ui(synth: Synthesized) -> None:
    pool = synth.only("Identity", "AWS::Cognito::UserPool")
    assert pool["UserPoolName"] == "vitrine-test-users"
    assert pool["Policies"]["PasswordPolicy"]["MinimumLength"] == 12
    assert pool["MfaConfiguration"] == "OPTIONAL"
    assert pool["DeletionProtection"] == "ACTIVE"
    groups = synth.resources("Identity", "AWS::Cognito::UserPoolGroup")
    assert sorted(g["Properties"]["GroupName"] for g in groups.values()) == ["admin", "shopper"]
    client = synth.only("Identity", "AWS::Cognito::UserPoolClient")
    assert client["GenerateSecret"] is False
    assert client["ExplicitAuthFlows"] == ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
    assert client["CallbackURLs"] == ["https://shop.vitrine.test/"]
    domain = synth.only("Identity", "AWS::Cognito::UserPoolDomain")
    assert domain["Domain"] == "vitrine-test-login"


def test_hosted_ui_only_with_its_context_flag() -> None:
    from aws_cdk import App
    from aws_cdk.assertions import Template

    from infra_cdk.config import DeployConfig
    from infra_cdk.stacks.identity import IdentityStack

    # given no hosted_ui_domain_prefix in the context
    app = App()
    stack = IdentityStack(app, "Identity", config=DeployConfig.from_context({}))
    template = Template.from_stack(stack)
    # then there is no domain and the client has no OAuth flows
    template.resource_count_is("AWS::Cognito::UserPoolDomain", 0)
    template.has_resource_properties(
        "AWS::Cognito::UserPoolClient", {"AllowedOAuthFlows": Match.absent()}
    )


# -- Api ------------------------------------------------------------------------------------


def _gateway_function(synth: Synthesized) -> dict[str, Any]:
    [function] = [
        f["Properties"]
        for f in synth.resources("Api", "AWS::Lambda::Function").values()
        if f["Properties"].get("Handler") == "gateway.lambda_http.handler"
    ]
    return dict(function)


def test_gateway_function_runs_in_the_vpc_traced_with_encrypted_environment(
    synth: Synthesized,
) -> None:
    function = _gateway_function(synth)
    assert function["FunctionName"] == "vitrine-test-gateway"
    assert function["Runtime"] == "python3.11"
    assert function["Architectures"] == ["arm64"]
    assert function["TracingConfig"] == {"Mode": "Active"}
    assert function["LoggingConfig"]["LogFormat"] == "JSON"
    assert len(function["VpcConfig"]["SubnetIds"]) == 2
    assert all("privateSubnet" in json.dumps(s) for s in function["VpcConfig"]["SubnetIds"])
    assert "KmsKeyArn" in function
    assert function["Timeout"] < 30


def test_gateway_code_is_the_runtime_packages_only(synth: Synthesized) -> None:
    asset = _gateway_function(synth)["Code"]["S3Key"]
    digest = asset.removesuffix(".zip") if isinstance(asset, str) else None
    assert digest is not None
    staged = synth.outdir / f"asset.{digest}"
    assert sorted(p.name for p in staged.iterdir()) == [
        "datasources",
        "gateway",
        "resolvers",
        "schema",
    ]
    assert (staged / "gateway" / "lambda_http.py").is_file()
    assert (staged / "gateway" / "graphiql" / "index.html").is_file()
    assert not (staged / "gateway" / "graphiql" / "node_modules").exists()


def test_http_api_routes_throttling_and_access_logs(synth: Synthesized) -> None:
    routes = synth.resources("Api", "AWS::ApiGatewayV2::Route")
    assert sorted(r["Properties"]["RouteKey"] for r in routes.values()) == [
        "GET /graphql",
        "GET /healthz",
        "POST /graphql",
    ]
    stage = synth.only("Api", "AWS::ApiGatewayV2::Stage")
    assert stage["StageName"] == "$default"
    assert stage["DefaultRouteSettings"]["ThrottlingRateLimit"] == 2000
    assert stage["DefaultRouteSettings"]["ThrottlingBurstLimit"] == 4000
    log_format = json.loads(stage["AccessLogSettings"]["Format"])
    assert log_format["requestId"] == "$context.requestId"
    assert "authorization" not in json.dumps(log_format).lower()


def test_gateway_data_access_is_least_privilege(synth: Synthesized) -> None:
    [policy] = [
        p["Properties"]
        for logical_id, p in synth.resources("Api", "AWS::IAM::Policy").items()
        if logical_id.startswith("GatewayDataAccess")
    ]
    statements = {s["Sid"]: s for s in policy["PolicyDocument"]["Statement"] if "Sid" in s}
    table = "arn:aws:dynamodb:eu-west-1:111122223333:table/vitrine-test-catalog"
    assert statements["CatalogTable"]["Resource"] == [table, f"{table}/index/*"]
    assert "dynamodb:Scan" not in statements["CatalogTable"]["Action"]
    bucket = "arn:aws:s3:::vitrine-test-assets-111122223333-eu-west-1"
    assert statements["AssetBucketRead"] == {
        "Sid": "AssetBucketRead",
        "Effect": "Allow",
        "Action": "s3:GetObject",
        "Resource": f"{bucket}/*",
    }
    # database, Redis, the two Stripe secrets, API keys, origin verify
    assert len(statements["Secrets"]["Resource"]) == 6
    assert statements["JobQueues"]["Action"] == [
        "sqs:SendMessage",
        "sqs:GetQueueUrl",
        "sqs:GetQueueAttributes",
    ]
    assert len(statements["JobQueues"]["Resource"]) == 2


def _policy_statements(synth: Synthesized) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for stack_id, template in synth.templates.items():
        for logical_id, resource in template["Resources"].items():
            properties = resource.get("Properties", {})
            documents = []
            if resource["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
                documents.append(properties["PolicyDocument"])
            if resource["Type"] == "AWS::IAM::Role":
                documents += [p["PolicyDocument"] for p in properties.get("Policies", [])]
            for document in documents:
                found += [(f"{stack_id}/{logical_id}", s) for s in document["Statement"]]
    return found


RESOURCE_STAR_ALLOWED = {
    # Lambda's VPC attachment and X-Ray take no resource-level permissions.
    "ec2:CreateNetworkInterface",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSubnets",
    "ec2:DeleteNetworkInterface",
    "ec2:AssignPrivateIpAddresses",
    "ec2:UnassignPrivateIpAddresses",
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    # The ECS agent on the render instances and image pulls (CDK's instance/execution roles).
    "ecs:DiscoverPollEndpoint",
    "ecs:Poll",
    "ecs:StartTelemetrySession",
    "ecr:GetAuthorizationToken",
    "logs:CreateLogStream",
    "logs:PutLogEvents",
}
METADATA_ON_STAR = {
    # Lambda's stream poller lists stream ARNs; it takes no resource and reads no records.
    "dynamodb:ListStreams",
}
DATA_SERVICES = ("dynamodb:", "s3:", "rds:", "rds-db:", "elasticache:", "secretsmanager:", "kms:")


def test_no_wildcard_actions_and_no_data_access_on_every_resource(synth: Synthesized) -> None:
    statements = _policy_statements(synth)
    assert len(statements) >= 8
    for where, statement in statements:
        if statement["Effect"] != "Allow":
            continue
        actions = (
            statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        )
        # no "*" and no "service:*" anywhere
        assert not [a for a in actions if a == "*" or a.endswith(":*")], where
        # no data action on "*"
        resources = statement.get("Resource")
        resources = resources if isinstance(resources, list) else [resources]
        if "*" in resources:
            assert set(actions) <= RESOURCE_STAR_ALLOWED | METADATA_ON_STAR, (where, actions)
            data_actions = [a for a in actions if a.startswith(DATA_SERVICES)]
            assert set(data_actions) <= METADATA_ON_STAR, where


# -- Edge -----------------------------------------------------------------------------------


def test_web_acl_rules_for_cloudfront_in_us_east_1(synth: Synthesized) -> None:
    assert synth.built.firewall.region == "us-east-1"
    acl = synth.only("EdgeFirewall", "AWS::WAFv2::WebACL")
    assert acl["Scope"] == "CLOUDFRONT"
    assert acl["DefaultAction"] == {"Allow": {}}
    rules = {rule["Name"]: rule for rule in acl["Rules"]}
    managed = {
        r["Statement"]["ManagedRuleGroupStatement"]["Name"]
        for r in rules.values()
        if "ManagedRuleGroupStatement" in r["Statement"]
    }
    assert {"AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet"} <= managed
    rate = rules["RateLimitPerIp"]["Statement"]["RateBasedStatement"]
    assert rate == {"AggregateKeyType": "IP", "Limit": 3000, "EvaluationWindowSec": 300}
    assert rules["RateLimitPerIp"]["Action"] == {"Block": {}}
    size = rules["RequestBodyTooLarge"]["Statement"]["SizeConstraintStatement"]
    assert size["ComparisonOperator"] == "GT"
    assert size["Size"] == 16 * 1024
    assert size["FieldToMatch"] == {"Body": {"OversizeHandling": "MATCH"}}
    common = rules["AWSManagedRulesCommonRuleSet"]["Statement"]["ManagedRuleGroupStatement"]
    assert common["RuleActionOverrides"] == [
        {"Name": "SizeRestrictions_BODY", "ActionToUse": {"Count": {}}}
    ]


def test_distribution_is_behind_the_web_acl_with_tls_and_logging(synth: Synthesized) -> None:
    config = synth.only("Edge", "AWS::CloudFront::Distribution")["DistributionConfig"]
    # the web ACL's ARN arrives through CDK's cross-region reference from us-east-1
    acl = json.dumps(config["WebACLId"])
    assert "ExportsReader" in acl
    assert "WebAcl" in acl
    assert config["Aliases"] == ["shop.vitrine.test"]
    assert config["ViewerCertificate"]["MinimumProtocolVersion"] == "TLSv1.2_2021"
    assert config["ViewerCertificate"]["SslSupportMethod"] == "sni-only"
    assert config["Logging"]["Prefix"] == "cloudfront/"
    assert config["HttpVersion"] == "http2and3"


def test_assets_come_from_s3_through_origin_access_control(synth: Synthesized) -> None:
    config = synth.only("Edge", "AWS::CloudFront::Distribution")["DistributionConfig"]
    origins = {o["Id"]: o for o in config["Origins"]}
    [s3_origin] = [o for o in origins.values() if "S3OriginConfig" in o]
    assert "OriginAccessControlId" in s3_origin
    assert s3_origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}
    [assets] = [b for b in config["CacheBehaviors"] if b["PathPattern"] == "/assets/*"]
    assert assets["TargetOriginId"] == s3_origin["Id"]
    assert assets["ViewerProtocolPolicy"] == "redirect-to-https"
    oac = synth.only("Edge", "AWS::CloudFront::OriginAccessControl")
    assert oac["OriginAccessControlConfig"]["SigningBehavior"] == "always"
    assert oac["OriginAccessControlConfig"]["OriginAccessControlOriginType"] == "s3"


def test_api_behaviour_honours_cache_control_and_forwards_only_what_it_needs(
    synth: Synthesized,
) -> None:
    config = synth.only("Edge", "AWS::CloudFront::Distribution")["DistributionConfig"]
    default = config["DefaultCacheBehavior"]
    api_origin = next(o for o in config["Origins"] if o["Id"] == default["TargetOriginId"])
    assert api_origin["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
    assert api_origin["CustomOriginConfig"]["OriginSSLProtocols"] == ["TLSv1.2"]
    assert default["ViewerProtocolPolicy"] == "https-only"
    assert "POST" in default["AllowedMethods"]
    cache = synth.only("Edge", "AWS::CloudFront::CachePolicy")["CachePolicyConfig"]
    assert cache["DefaultTTL"] == 0
    assert cache["MinTTL"] == 0
    assert cache["MaxTTL"] == 86400
    key = cache["ParametersInCacheKeyAndForwardedToOrigin"]
    assert key["HeadersConfig"] == {
        "HeaderBehavior": "whitelist",
        "Headers": ["Authorization", "x-api-key"],
    }
    assert key["CookiesConfig"] == {"CookieBehavior": "none"}
    assert key["QueryStringsConfig"] == {"QueryStringBehavior": "all"}
    forwarded = synth.only("Edge", "AWS::CloudFront::OriginRequestPolicy")[
        "OriginRequestPolicyConfig"
    ]
    assert forwarded["HeadersConfig"] == {
        "HeaderBehavior": "whitelist",
        "Headers": ["content-type", "accept", "x-request-id"],
    }
    assert forwarded["CookiesConfig"] == {"CookieBehavior": "none"}


def test_dns_alias_records_when_a_zone_is_given(synth: Synthesized) -> None:
    records = synth.resources("Edge", "AWS::Route53::RecordSet")
    assert sorted(r["Properties"]["Type"] for r in records.values()) == ["A", "AAAA"]
    assert all(r["Properties"]["HostedZoneId"] == "Z0123456789ABCDEFGHIJ" for r in records.values())


# -- Operations -----------------------------------------------------------------------------


def test_alarms_notify_an_encrypted_topic(synth: Synthesized) -> None:
    alarms = synth.resources("Operations", "AWS::CloudWatch::Alarm")
    names = sorted(a["Properties"]["AlarmName"] for a in alarms.values())
    assert names == [
        "vitrine-test-analytics-throttles",
        "vitrine-test-api-5xx-rate",
        "vitrine-test-api-p99-latency",
        "vitrine-test-aurora-cpu",
        "vitrine-test-dynamodb-throttles",
        "vitrine-test-gateway-errors",
        "vitrine-test-gateway-throttles",
        "vitrine-test-render-dlq-depth",
        "vitrine-test-stream-indexer-failures",
        "vitrine-test-stream-indexer-lag",
        "vitrine-test-stream-indexer-throttles",
    ]
    topic_id = _logical_id(synth, "Operations", "AWS::SNS::Topic")
    for alarm in alarms.values():
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": topic_id}]
        assert alarm["Properties"]["OKActions"] == [{"Ref": topic_id}]
    topic = synth.only("Operations", "AWS::SNS::Topic")
    assert "KmsMasterKeyId" in topic
    synth.template("Operations").has_resource_properties(
        "AWS::SNS::Subscription", {"Protocol": "email", "Endpoint": "oncall@vitrine.test"}
    )


def test_five_xx_alarm_is_a_rate_and_the_dashboard_exists(synth: Synthesized) -> None:
    [rate] = [
        a["Properties"]
        for a in synth.resources("Operations", "AWS::CloudWatch::Alarm").values()
        if a["Properties"]["AlarmName"].endswith("api-5xx-rate")
    ]
    expressions = [m.get("Expression") for m in rate["Metrics"] if "Expression" in m]
    assert expressions == ["IF(requests > 0, 100 * errors / requests, 0)"]
    assert rate["Threshold"] == 1
    dashboard = synth.only("Operations", "AWS::CloudWatch::Dashboard")
    assert dashboard["DashboardName"] == "vitrine-test-overview"


def _logical_id(synth: Synthesized, stack_id: str, resource_type: str) -> str:
    [logical_id] = synth.resources(stack_id, resource_type)
    return logical_id


def test_job_queues_are_encrypted_with_a_dead_letter_queue(synth: Synthesized) -> None:
    queues = {
        q["Properties"]["QueueName"]: q["Properties"]
        for q in synth.resources("Data", "AWS::SQS::Queue").values()
    }
    assert sorted(queues) == ["vitrine-test-render-jobs", "vitrine-test-render-jobs-dlq"]
    jobs, dead = queues["vitrine-test-render-jobs"], queues["vitrine-test-render-jobs-dlq"]
    assert jobs["VisibilityTimeout"] == 120
    assert jobs["RedrivePolicy"]["maxReceiveCount"] == 3
    assert "KmsMasterKeyId" in jobs
    assert "KmsMasterKeyId" in dead
    assert dead["MessageRetentionPeriod"] == 14 * 24 * 3600
    # and both refuse plain HTTP
    for policy in synth.resources("Data", "AWS::SQS::QueuePolicy").values():
        [statement] = policy["Properties"]["PolicyDocument"]["Statement"]
        assert statement["Effect"] == "Deny"
        assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_dead_letters_page_on_call(synth: Synthesized) -> None:
    [alarm] = [
        a["Properties"]
        for a in synth.resources("Operations", "AWS::CloudWatch::Alarm").values()
        if a["Properties"]["AlarmName"] == "vitrine-test-render-dlq-depth"
    ]
    assert alarm["MetricName"] == "ApproximateNumberOfMessagesVisible"
    assert alarm["Namespace"] == "AWS/SQS"
    assert alarm["Threshold"] == 0
    assert alarm["ComparisonOperator"] == "GreaterThanThreshold"


def test_gateway_environment_holds_secret_arns_never_secret_values(synth: Synthesized) -> None:
    [function] = [
        f["Properties"]
        for f in synth.resources("Api", "AWS::Lambda::Function").values()
        if f["Properties"].get("Handler") == "gateway.lambda_http.handler"
    ]
    variables = function["Environment"]["Variables"]
    # then no variable resolves a secret at deploy time
    assert "resolve:secretsmanager" not in json.dumps(variables)
    for name in (
        "VITRINE_API_KEYS_SECRET_ARN",
        "VITRINE_DATABASE_SECRET_ARN",
        "VITRINE_REDIS_AUTH_SECRET_ARN",
        "VITRINE_ORIGIN_VERIFY_SECRET_ARN",
    ):
        assert set(variables[name]) <= {"Ref", "Fn::ImportValue"}, (name, variables[name])
    assert "VITRINE_API_KEYS" not in variables
    assert variables["VITRINE_METRICS"] == "true"
    database_url = json.dumps(variables["DATABASE_URL"])
    assert "postgresql://vitrine@" in database_url


def test_cloudfront_sends_the_origin_verify_header_to_the_api_only(synth: Synthesized) -> None:
    distribution = synth.only("Edge", "AWS::CloudFront::Distribution")
    origins = distribution["DistributionConfig"]["Origins"]
    api = [o for o in origins if "CustomOriginConfig" in o]
    s3_origins = [o for o in origins if "S3OriginConfig" in o]
    # the HTTP API and the realtime load balancer
    assert sorted(o["DomainName"] == "realtime-origin.shop.vitrine.test" for o in api) == [
        False,
        True,
    ]
    for origin in api:
        [header] = origin["OriginCustomHeaders"]
        assert header["HeaderName"] == "x-origin-verify"
        assert (
            header["HeaderValue"]
            == "{{resolve:secretsmanager:vitrine/test/origin-verify:SecretString:::}}"
        )
    assert all("OriginCustomHeaders" not in o for o in s3_origins)
    secret = [
        r["Properties"]
        for r in synth.resources("Api", "AWS::SecretsManager::Secret").values()
        if r["Properties"].get("Name") == "vitrine/test/origin-verify"
    ]
    assert secret[0]["GenerateSecretString"]["PasswordLength"] == 48
