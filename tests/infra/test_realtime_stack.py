"""Realtime stack: the Fargate services that hold WebSockets and SSE open, their load
balancer behind CloudFront, and the consumers service; plus the Dockerfile they run."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.infra.conftest import Synthesized

pytest.importorskip("aws_cdk", reason="the CDK extra is not installed: pip install -e .[infra]")

ROOT = Path(__file__).resolve().parents[2]
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
ALL_VIEWER_EXCEPT_HOST_HEADER = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
REALTIME_ORIGIN = "realtime-origin.shop.vitrine.test"


def _containers(synth: Synthesized) -> dict[str, dict[str, Any]]:
    """The realtime containers by their command's subcommand (serve, consumers)."""
    found = {}
    for task in synth.resources("Realtime", "AWS::ECS::TaskDefinition").values():
        [container] = task["Properties"]["ContainerDefinitions"]
        found[container["Command"][1]] = {**container, "_task": task["Properties"]}
    return found


def test_subscriptions_and_consumers_run_the_gateway_image_with_external_consumers(
    synth: Synthesized,
) -> None:
    [repository] = synth.resources("Realtime", "AWS::ECR::Repository").values()
    assert repository["Properties"]["RepositoryName"] == "vitrine-test-gateway"
    assert repository["Properties"]["ImageTagMutability"] == "IMMUTABLE"
    containers = _containers(synth)
    assert set(containers) == {"serve", "consumers", "migrate"}
    for container in containers.values():
        assert container["Command"][0] == "vitrine"
        assert '{"Ref": "Images' in json.dumps(container["Image"])
        assert json.dumps(container["Image"]).endswith('":latest"]]}')
        environment = {e["Name"]: e["Value"] for e in container["Environment"]}
        assert environment["VITRINE_CONSUMERS"] == "external"
        assert environment["VITRINE_PROFILE"] == "production"
        assert container["ReadonlyRootFilesystem"] is True
        assert container["_task"]["RuntimePlatform"]["CpuArchitecture"] == "ARM64"
        assert container["_task"]["RequiresCompatibilities"] == ["FARGATE"]
    assert containers["serve"]["PortMappings"] == [{"ContainerPort": 8000, "Protocol": "tcp"}]
    services = {
        s["Properties"]["ServiceName"]: s["Properties"]
        for s in synth.resources("Realtime", "AWS::ECS::Service").values()
    }
    assert services["vitrine-test-subscriptions"]["DesiredCount"] == 2
    assert services["vitrine-test-consumers"]["DesiredCount"] == 1
    for service in services.values():
        network = service["NetworkConfiguration"]["AwsvpcConfiguration"]
        assert network["AssignPublicIp"] == "DISABLED"
        assert service["DeploymentConfiguration"]["DeploymentCircuitBreaker"]["Rollback"]


def test_the_load_balancer_holds_long_connections_on_https_behind_cloudfront(
    synth: Synthesized,
) -> None:
    balancer = synth.only("Realtime", "AWS::ElasticLoadBalancingV2::LoadBalancer")
    attributes = {a["Key"]: a["Value"] for a in balancer["LoadBalancerAttributes"]}
    assert balancer["Scheme"] == "internet-facing"
    assert attributes["idle_timeout.timeout_seconds"] == "3600"
    assert attributes["routing.http.drop_invalid_header_fields.enabled"] == "true"
    assert attributes["deletion_protection.enabled"] == "true"
    listener = synth.only("Realtime", "AWS::ElasticLoadBalancingV2::Listener")
    assert (listener["Port"], listener["Protocol"]) == (443, "HTTPS")
    assert listener["Certificates"] == [
        {
            "CertificateArn": "arn:aws:acm:eu-west-1:111122223333:certificate/"
            "66666666-7777-8888-9999-000000000000"
        }
    ]
    group = synth.only("Realtime", "AWS::ElasticLoadBalancingV2::TargetGroup")
    assert (group["Port"], group["TargetType"], group["HealthCheckPath"]) == (
        8000,
        "ip",
        "/healthz",
    )
    record = synth.only("Realtime", "AWS::Route53::RecordSet")
    assert record["Name"] == "realtime-origin.shop.vitrine.test."


def test_the_migration_task_may_read_the_database_secret_and_nothing_else(
    synth: Synthesized,
) -> None:
    # given the one-off task that runs `vitrine migrate`
    migrate = _containers(synth)["migrate"]
    role = migrate["_task"]["TaskRoleArn"]["Fn::GetAtt"][0]
    # then its role's only policy reads the database secret with the data key, and it has
    # no service (it runs once per deploy, by `aws ecs run-task`)
    policies = [
        p["Properties"]
        for p in synth.resources("Realtime", "AWS::IAM::Policy").values()
        if {"Ref": role} in p["Properties"]["Roles"]
    ]
    [policy] = policies
    actions = sorted(a for s in policy["PolicyDocument"]["Statement"] for a in s["Action"])
    assert all(a.startswith(("secretsmanager:", "kms:")) for a in actions)
    [secret] = [
        s["Resource"] for s in policy["PolicyDocument"]["Statement"] if s["Sid"] == "DatabaseSecret"
    ]
    assert "DatabaseCluster" in json.dumps(secret) or "Secret" in json.dumps(secret)
    assert len(synth.resources("Realtime", "AWS::ECS::Service")) == 2


def test_tasks_take_the_gateway_port_from_the_load_balancer_only(synth: Synthesized) -> None:
    groups = synth.resources("Realtime", "AWS::EC2::SecurityGroup")
    [balancer_id] = [k for k in groups if k.startswith("LoadBalancerSecurityGroup")]
    [task_id] = [k for k in groups if k.startswith("TaskSecurityGroup")]
    balancer = groups[balancer_id]["Properties"]
    assert [(r["CidrIp"], r["FromPort"]) for r in balancer["SecurityGroupIngress"]] == [
        ("0.0.0.0/0", 443)
    ]
    task_rules = [
        r["Properties"]
        for r in synth.resources("Realtime", "AWS::EC2::SecurityGroupIngress").values()
        if r["Properties"]["GroupId"] == {"Fn::GetAtt": [task_id, "GroupId"]}
    ]
    assert task_rules == [
        {
            "IpProtocol": "tcp",
            "Description": "Load balancer to target",
            "FromPort": 8000,
            "GroupId": {"Fn::GetAtt": [task_id, "GroupId"]},
            "SourceSecurityGroupId": {"Fn::GetAtt": [balancer_id, "GroupId"]},
            "ToPort": 8000,
        }
    ]
    # and the stack adds no rule to the data stack's gateway group
    assert not synth.resources("Data", "AWS::EC2::SecurityGroupIngress").keys() & set(
        synth.resources("Realtime", "AWS::EC2::SecurityGroupIngress")
    )


def test_subscriptions_scale_from_two_tasks_on_cpu_and_memory(synth: Synthesized) -> None:
    target = synth.only("Realtime", "AWS::ApplicationAutoScaling::ScalableTarget")
    assert (target["MinCapacity"], target["MaxCapacity"]) == (2, 8)
    policies = synth.resources("Realtime", "AWS::ApplicationAutoScaling::ScalingPolicy")
    metrics = sorted(
        p["Properties"]["TargetTrackingScalingPolicyConfiguration"][
            "PredefinedMetricSpecification"
        ]["PredefinedMetricType"]
        for p in policies.values()
    )
    assert metrics == ["ECSServiceAverageCPUUtilization", "ECSServiceAverageMemoryUtilization"]


def test_cloudfront_sends_websockets_and_event_streams_to_the_load_balancer_uncached(
    synth: Synthesized,
) -> None:
    config = synth.only("Edge", "AWS::CloudFront::Distribution")["DistributionConfig"]
    [origin] = [o for o in config["Origins"] if o["DomainName"] == REALTIME_ORIGIN]
    assert origin["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
    behaviors = {
        b["PathPattern"]: b for b in config["CacheBehaviors"] if b["TargetOriginId"] == origin["Id"]
    }
    assert set(behaviors) == {"/graphql/ws*", "/graphql/realtime*", "/graphql/stream*"}
    for behavior in behaviors.values():
        assert behavior["CachePolicyId"] == CACHING_DISABLED
        assert behavior["OriginRequestPolicyId"] == ALL_VIEWER_EXCEPT_HOST_HEADER
        assert behavior["ViewerProtocolPolicy"] == "https-only"


def test_each_service_role_is_mapped_into_search_under_its_own_name(synth: Synthesized) -> None:
    mappings = synth.resources("Realtime", "Custom::OpenSearchRoleMapping").values()
    assert sorted(m["Properties"]["RoleName"] for m in mappings) == [
        "vitrine_consumers",
        "vitrine_subscriptions",
    ]


def test_appsync_mode_has_no_realtime_stack(synth_appsync: Synthesized) -> None:
    assert synth_appsync.built.realtime is None


def test_a_realtime_certificate_needs_a_hosted_zone() -> None:
    from infra_cdk.config import ConfigError, DeployConfig

    with pytest.raises(ConfigError, match="hosted_zone_id"):
        DeployConfig.from_context({"realtime_certificate_arn": "arn:aws:acm:eu-west-1:1:c/x"})


# -- the Dockerfile the services run --------------------------------------------------------


def _stages(dockerfile: str) -> dict[str, list[str]]:
    stages: dict[str, list[str]] = {}
    current = ""
    for line in dockerfile.replace("\\\n", " ").splitlines():
        if match := re.match(r"FROM \S+ AS (\S+)", line):
            current = match.group(1)
            stages[current] = []
        elif current and line.strip() and not line.startswith("#"):
            stages[current].append(line.strip())
    return stages


def test_the_dockerfile_copies_what_exists_and_runs_real_commands_unprivileged() -> None:
    from typer.main import get_command

    from gateway.cli import app

    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    stages = _stages(dockerfile)
    assert set(stages) == {"base", "gateway", "render-worker"}
    for line in stages["base"]:
        if line.startswith("COPY "):
            sources = line.split()[1:-1]
            for source in sources:
                assert (ROOT / source).exists(), source
    commands = set(get_command(app).commands)  # type: ignore[attr-defined]
    for target, expected in (("gateway", "serve"), ("render-worker", "worker")):
        [cmd] = [json.loads(line[4:]) for line in stages[target] if line.startswith("CMD ")]
        assert cmd == ["vitrine", expected]
        assert expected in commands
        assert "USER 10001" in stages[target]
    assert "consumers" in commands
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert {".venv", "**/node_modules", ".git", "tests"} <= set(ignored)
