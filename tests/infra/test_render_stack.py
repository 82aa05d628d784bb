"""Render stack: GPU capacity (Spot and on-demand), the worker task and its scaling."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.infra.conftest import Synthesized

pytest.importorskip("aws_cdk", reason="the CDK extra is not installed: pip install -e .[infra]")

BUCKET = "arn:aws:s3:::vitrine-test-assets-111122223333-eu-west-1"


def _worker_container(synth: Synthesized) -> dict[str, Any]:
    task = synth.only("Render", "AWS::ECS::TaskDefinition")
    [container] = task["ContainerDefinitions"]
    return dict(container)


def test_gpu_capacity_is_spot_and_on_demand_of_the_context_types(synth: Synthesized) -> None:
    groups = synth.resources("Render", "AWS::AutoScaling::AutoScalingGroup")
    distributions = {}
    for group in groups.values():
        properties = group["Properties"]
        assert properties["MinSize"] == "0"
        assert properties["MaxSize"] == "4"
        assert properties["NewInstancesProtectedFromScaleIn"] is True
        policy = properties["MixedInstancesPolicy"]
        overrides = policy["LaunchTemplate"]["Overrides"]
        assert [o["InstanceType"] for o in overrides] == ["g5.xlarge", "g6.xlarge"]
        distribution = policy["InstancesDistribution"]
        distributions[distribution["OnDemandPercentageAboveBaseCapacity"]] = distribution
    # then one group is all Spot (price-capacity-optimized), the other all on-demand
    assert sorted(distributions) == [0, 100]
    assert distributions[0]["SpotAllocationStrategy"] == "price-capacity-optimized"
    providers = synth.resources("Render", "AWS::ECS::CapacityProvider")
    assert len(providers) == 2
    for provider in providers.values():
        asg = provider["Properties"]["AutoScalingGroupProvider"]
        assert asg["ManagedScaling"]["Status"] == "ENABLED"
        assert asg["ManagedScaling"]["TargetCapacity"] == 100
        assert asg["ManagedTerminationProtection"] == "ENABLED"


def test_instances_use_the_gpu_ami_encrypted_volumes_and_imdsv2(synth: Synthesized) -> None:
    templates = synth.resources("Render", "AWS::EC2::LaunchTemplate")
    assert len(templates) == 2
    parameters = synth.templates["Render"]["Parameters"]
    gpu_ami = [
        p for p in parameters.values() if "amazon-linux-2/gpu/recommended" in p.get("Default", "")
    ]
    assert len(gpu_ami) == 1
    for template in templates.values():
        data = template["Properties"]["LaunchTemplateData"]
        assert data["MetadataOptions"]["HttpTokens"] == "required"
        assert data["Monitoring"] == {"Enabled": True}
        [volume] = data["BlockDeviceMappings"]
        assert volume["Ebs"]["Encrypted"] is True
        assert volume["Ebs"]["VolumeType"] == "gp3"
        assert "Ref" in data["ImageId"]


def test_service_prefers_spot_and_starts_at_zero_tasks(synth: Synthesized) -> None:
    service = synth.only("Render", "AWS::ECS::Service")
    assert service["ServiceName"] == "vitrine-test-render-workers"
    assert service["DesiredCount"] == 0
    weights = sorted(s["Weight"] for s in service["CapacityProviderStrategy"])
    assert weights == [1, 4]
    # and it is created after the capacity providers are associated with the cluster
    [associations] = synth.resources("Render", "AWS::ECS::ClusterCapacityProviderAssociations")
    [resource] = synth.resources("Render", "AWS::ECS::Service").values()
    assert associations in resource["DependsOn"]
    network = service["NetworkConfiguration"]["AwsvpcConfiguration"]
    assert network["AssignPublicIp"] == "DISABLED"
    cluster = synth.only("Render", "AWS::ECS::Cluster")
    assert cluster["ClusterName"] == "vitrine-test-render"
    assert {"Name": "containerInsights", "Value": "enabled"} in cluster["ClusterSettings"]


def test_worker_task_runs_vitrine_worker_on_one_gpu_with_logs(synth: Synthesized) -> None:
    container = _worker_container(synth)
    assert container["Command"] == ["vitrine", "worker"]
    assert container["ResourceRequirements"] == [{"Type": "GPU", "Value": "1"}]
    assert container["LogConfiguration"]["LogDriver"] == "awslogs"
    [log_group] = synth.resources("Render", "AWS::Logs::LogGroup").values()
    assert log_group["Properties"]["RetentionInDays"] == 30
    image = json.dumps(container["Image"])
    assert ":latest" in image
    repository = synth.only("Render", "AWS::ECR::Repository")
    assert repository["RepositoryName"] == "vitrine-test-render"
    assert repository["ImageTagMutability"] == "IMMUTABLE"
    assert repository["ImageScanningConfiguration"] == {"ScanOnPush": True}


def test_worker_environment_has_secret_arns_and_no_api_keys(synth: Synthesized) -> None:
    variables = {e["Name"]: e["Value"] for e in _worker_container(synth)["Environment"]}
    assert "resolve:secretsmanager" not in json.dumps(variables)
    for name in ("VITRINE_DATABASE_SECRET_ARN", "VITRINE_REDIS_AUTH_SECRET_ARN"):
        assert set(variables[name]) == {"Fn::ImportValue"}, variables[name]
    assert variables["VITRINE_PROFILE"] == "production"
    assert variables["VITRINE_API_KEYS"] == "[]"
    assert "VITRINE_API_KEYS_SECRET_ARN" not in variables
    assert "VITRINE_ORIGIN_VERIFY_SECRET_ARN" not in variables


def test_worker_permissions_are_least_privilege(synth: Synthesized) -> None:
    [policy] = [
        p["Properties"]["PolicyDocument"]
        for logical_id, p in synth.resources("Render", "AWS::IAM::Policy").items()
        if logical_id.startswith("WorkersTaskPolicy")
    ]
    statements = {s["Sid"]: s for s in policy["Statement"]}
    assert sorted(statements) == [
        "CatalogTable",
        "ConsumeJobs",
        "DataKey",
        "ReadUploads",
        "Secrets",
        "WriteModels",
    ]
    assert statements["ConsumeJobs"]["Action"] == [
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:ChangeMessageVisibility",
        "sqs:GetQueueUrl",
        "sqs:GetQueueAttributes",
    ]
    assert "JobQueuesJobs" in json.dumps(statements["ConsumeJobs"]["Resource"])
    assert statements["ReadUploads"]["Action"] == "s3:GetObject"
    assert statements["ReadUploads"]["Resource"] == f"{BUCKET}/uploads/*"
    assert statements["WriteModels"]["Action"] == "s3:PutObject"
    assert statements["WriteModels"]["Resource"] == f"{BUCKET}/models/*"
    assert "dynamodb:Scan" not in statements["CatalogTable"]["Action"]
    assert len(statements["Secrets"]["Resource"]) == 2


def test_backlog_scaling_goes_to_zero_when_idle(synth: Synthesized) -> None:
    target = synth.only("Render", "AWS::ApplicationAutoScaling::ScalableTarget")
    assert (target["MinCapacity"], target["MaxCapacity"]) == (0, 4)
    assert target["ScalableDimension"] == "ecs:service:DesiredCount"
    policies = synth.resources("Render", "AWS::ApplicationAutoScaling::ScalingPolicy")
    alarms = synth.resources("Render", "AWS::CloudWatch::Alarm")
    steps_by_alarm = {}
    for alarm in alarms.values():
        properties = alarm["Properties"]
        [action] = properties["AlarmActions"]
        policy = policies[action["Ref"]]["Properties"]["StepScalingPolicyConfiguration"]
        key = (properties["ComparisonOperator"], properties["Threshold"])
        steps_by_alarm[key] = [
            (
                s.get("MetricIntervalLowerBound"),
                s.get("MetricIntervalUpperBound"),
                s["ScalingAdjustment"],
            )
            for s in policy["StepAdjustments"]
        ]
    # then an empty backlog (waiting + running <= 0) removes every task, and one job or more
    # adds tasks, more for a longer backlog
    assert steps_by_alarm == {
        ("LessThanOrEqualToThreshold", 0): [(None, 0, -4)],
        ("GreaterThanOrEqualToThreshold", 1): [(0, 9, 1), (9, 49, 2), (49, None, 4)],
    }
    # and the metric counts waiting and running jobs
    for alarm in alarms.values():
        metrics = alarm["Properties"]["Metrics"]
        names = {m["MetricStat"]["Metric"]["MetricName"] for m in metrics if "MetricStat" in m}
        assert names == {
            "ApproximateNumberOfMessagesVisible",
            "ApproximateNumberOfMessagesNotVisible",
        }
        assert [m["Expression"] for m in metrics if "Expression" in m] == ["waiting + running"]
